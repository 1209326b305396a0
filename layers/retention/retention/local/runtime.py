"""Everything that ``serve`` runs, started and stopped together.

Start order: moto and the template's resources, the virtual clock (installed as the shared
package's clock), the HTTP API, then the background queue consumers and the schedule
ticker. Stop is the reverse, so no thread outlives what it talks to.
"""

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from boto3.dynamodb.conditions import Key

from retention import clock
from retention.data.dynamodb import DynamoProfileStore
from retention.local.apigateway import Router
from retention.local.invoker import Invoker
from retention.local.queues import Consumers, QueueConsumer
from retention.local.schedules import (
    Fire,
    LocalSchedule,
    Scheduler,
    ScheduleTicker,
    UnsupportedScheduleError,
    rate_period,
)
from retention.local.server import LocalServer
from retention.local.stack import (
    ACCOUNT,
    DEFAULT_MOTO_PORT,
    HOST,
    REGION,
    LocalStack,
    StackOptions,
    check_port_free,
)
from retention.local.template import QUEUE, TemplateError, load_template
from retention.local.virtual_clock import VirtualClock, iso_z
from retention.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_PORT = 3000


@dataclass(frozen=True)
class RuntimeOptions:
    template: Path = Path("template.yaml")
    port: int = DEFAULT_PORT
    moto_port: int = DEFAULT_MOTO_PORT
    start: datetime | None = None
    frozen_clock: bool = False
    parameters: Mapping[str, str] = field(default_factory=dict)
    secrets_file: Path | None = None
    serve: bool = True
    background: bool = True
    poll_interval: float = 0.2


class LocalRuntime:
    """The local stack as a whole; a context manager, as are its parts."""

    def __init__(self, options: RuntimeOptions | None = None) -> None:
        self.options = options or RuntimeOptions()
        self.template = load_template(self.options.template)
        self.stack = LocalStack(
            self.template,
            StackOptions(
                moto_port=self.options.moto_port,
                parameters=self.options.parameters,
                secrets_file=self.options.secrets_file,
            ),
        )
        self.clock = VirtualClock(self.options.start, frozen=self.options.frozen_clock)
        self.invoker = Invoker(self.stack)
        self.consumers = Consumers([], self.options.poll_interval)
        self.scheduler = Scheduler([], self.clock, self.invoke, self.drain, self._dead_letter)
        self.skipped_schedules: list[str] = []
        self._ticker = ScheduleTicker(self.scheduler, self.clock)
        self._server: LocalServer | None = None
        self._reads = threading.Lock()

    def __enter__(self) -> "LocalRuntime":
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the HTTP API is not running")
        return self._server.url

    def start(self) -> None:
        if self.options.serve:
            check_port_free(self.options.port, "--port")
        self.stack.start()
        try:
            clock.set_source(self.clock.now)
            self.consumers.consumers = self._consumers()
            self.scheduler.schedules = self._schedules()
            if self.options.serve:
                router = Router(self.template.routes())
                self._server = LocalServer(self, router, HOST, self.options.port)
                self._server.start()
            if self.options.background:
                self.consumers.start()
                self._ticker.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self._ticker.stop()
        self.consumers.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None
        clock.set_source(None)
        self.invoker.unload()
        self.stack.stop()

    def invoke(self, logical_id: str, event: Any) -> Any:
        return self.invoker.invoke(logical_id, event)

    def now(self) -> datetime:
        return self.clock.now()

    def advance(self, delta: timedelta) -> list[Fire]:
        return self.scheduler.advance(delta)

    def drain(self) -> int:
        return self.consumers.drain()

    def schedules(self) -> list[dict[str, Any]]:
        next_times = self.scheduler.next_times()
        running = [
            {
                "schedule": schedule.spec.logical_id,
                "function": schedule.spec.function,
                "expression": schedule.expression,
                "next": iso_z(next_times[schedule.spec.logical_id]),
            }
            for schedule in self.scheduler.schedules
        ]
        skipped = [{"skipped": reason} for reason in self.skipped_schedules]
        return running + skipped

    def queues(self) -> list[dict[str, Any]]:
        sqs = self.stack.client("sqs")
        depths = []
        for queue in self.template.of_type(QUEUE):
            attributes = sqs.get_queue_attributes(
                QueueUrl=self.stack.queue_url(queue.logical_id),
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            depths.append(
                {
                    "queue": queue.logical_id,
                    "visible": int(attributes["ApproximateNumberOfMessages"]),
                    "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"]),
                }
            )
        return depths

    def profile(self, tenant: str, customer_key: str) -> dict[str, Any] | None:
        with self._reads:
            store = DynamoProfileStore(self.stack.table(self._table_of("profiles_table")))
            profile = store.get_profile(tenant, customer_key)
        return profile.model_dump(mode="json") if profile else None

    def outbox(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """Every outbox item, oldest first (the sort key is time-ordered)."""
        with self._reads:
            table = self.stack.table(self._table_of("outbox_table"))
            if tenant:
                items = _all_pages(table.query, KeyConditionExpression=Key("pk").eq(tenant))
            else:
                items = _all_pages(table.scan)
        return sorted(items, key=lambda item: (str(item.get("sk", "")), str(item.get("pk", ""))))

    def _table_of(self, setting: str) -> str:
        """The table a setting names, as the template gives it to the functions."""
        variable = setting.upper()
        assert setting in Settings.model_fields  # noqa: S101 - a typo here is a bug
        names = self.stack.variable_values(variable)
        if len(names) != 1:
            raise TemplateError(f"expected one table in {variable} across functions, got {names}")
        return names.pop()

    def _consumers(self) -> list[QueueConsumer]:
        return [
            QueueConsumer(
                function=function.logical_id,
                source=source,
                queue_url=self.stack.queue_url(source.queue),
                queue_arn=self.stack.queue_arn(source.queue),
                region=REGION,
                sqs=self.stack.client("sqs"),
                invoke=self.invoke,
            )
            for function in self.template.functions.values()
            for source in function.queue_sources
        ]

    def _schedules(self) -> list[LocalSchedule]:
        schedules = []
        self.skipped_schedules.clear()
        for spec in self.template.schedules:
            expression = self.stack.resolver.text(spec.expression)
            if not spec.enabled:
                self.skipped_schedules.append(f"{spec.logical_id}: disabled in the template")
                continue
            try:
                period = rate_period(expression)
            except UnsupportedScheduleError as error:
                log.warning("%s is not run locally: %s", spec.logical_id, error)
                self.skipped_schedules.append(f"{spec.logical_id}: {error}")
                continue
            queue = spec.dead_letter_queue
            schedules.append(
                LocalSchedule(
                    spec=spec,
                    expression=expression,
                    period=period,
                    arn=f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/{spec.logical_id}",
                    input=self.stack.resolver.resolve(spec.input),
                    last=self.clock.now(),
                    dead_letter_url=self.stack.queue_url(queue) if queue else None,
                )
            )
        return schedules

    def _dead_letter(self, queue_url: str, body: str, attributes: dict[str, Any]) -> None:
        self.stack.client("sqs").send_message(
            QueueUrl=queue_url,
            MessageBody=body,
            MessageAttributes=attributes,
        )


def _all_pages(operation: Any, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        response = operation(**kwargs)
        items.extend(response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return items
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
