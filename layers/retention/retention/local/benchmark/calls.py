"""Every AWS call a function makes, timed and counted through botocore's hooks."""

import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore import handlers

from retention.local.benchmark.units import IndexEntries, Units, request_units

# DynamoDB speaks JSON on the wire; its requests and answers are read for units.
READ_ON_THE_WIRE = frozenset({"dynamodb"})


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    seconds: float
    table: str | None = None
    index: str | None = None
    units: Units = field(default_factory=Units)

    @property
    def name(self) -> str:
        return f"{self.service} {self.operation}"


@dataclass(frozen=True)
class Invocation:
    function: str
    seconds: float
    calls: tuple[Call, ...]

    @property
    def aws_seconds(self) -> float:
        return sum(call.seconds for call in self.calls)

    @property
    def own_seconds(self) -> float:
        return self.seconds - self.aws_seconds


def calls_of(runs: Iterable[Invocation]) -> list[Call]:
    return [call for run in runs for call in run.calls]


def by_name(calls: Iterable[Call]) -> Counter[str]:
    return Counter(call.name for call in calls)


class Calls:
    """The AWS calls made during an invocation, with DynamoDB's units estimated.

    The hooks go into botocore's list of built-in handlers, which every new
    session copies, so they reach the functions' own clients and those that
    Powertools makes.
    """

    def __init__(self, entries: IndexEntries) -> None:
        self._entries = entries
        self._current: list[Call] | None = None

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        hooks: list[Any] = [
            ("before-call", self._before),
            ("after-call", self._after),
        ]
        handlers.BUILTIN_HANDLERS.extend(hooks)
        # A default session made before the hooks went in would lack them.
        boto3.DEFAULT_SESSION = None
        try:
            yield
        finally:
            for hook in hooks:
                handlers.BUILTIN_HANDLERS.remove(hook)
            boto3.DEFAULT_SESSION = None

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Call]]:
        made: list[Call] = []
        self._current = made
        try:
            yield made
        finally:
            self._current = None

    def _before(
        self,
        model: Any,
        params: dict[str, Any],
        context: dict[str, Any],
        **_: Any,
    ) -> None:
        body = params.get("body")
        readable = model.service_model.service_name in READ_ON_THE_WIRE
        wire = readable and isinstance(body, bytes | str)
        request = json.loads(body or "{}") if wire else {}
        context["benchmark"] = (time.perf_counter(), self._current, request)

    def _after(
        self,
        http_response: Any,
        model: Any,
        context: dict[str, Any],
        **_: Any,
    ) -> None:
        started, made, request = context.pop("benchmark", (0.0, None, {}))
        seconds = time.perf_counter() - started
        service, operation = model.service_model.service_name, model.name
        # Index entries are followed outside invocations too, so later writes compare.
        put = operation == "PutItem" and http_response.status_code == 200
        index_units = self._entries.written(request) if put else 0
        if made is None:
            return

        units = Units()
        if service == "dynamodb":
            response = json.loads(http_response.content or b"{}")
            units = request_units(operation, request, response, index_units)
        made.append(
            Call(
                service,
                operation,
                seconds,
                table=request.get("TableName"),
                index=request.get("IndexName"),
                units=units,
            )
        )
