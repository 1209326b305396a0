"""Dispatching retention triggers from the queue to the CRM and the email platform.

For one SQS batch:

1. Each body is parsed into a ``Trigger``. A body that is not one fails its record, which
   reaches the dead-letter queue once SQS has retried it.
2. The customer's profile is read and the trigger checked again with the rules and the
   clock: a trigger no longer true (the customer ordered since), out of its window,
   superseded by a further win-back step, without consent, or for a customer without an
   email is suppressed: counted, the record succeeds, nothing is sent.
3. A trigger already sent is skipped, so a redelivered message costs neither a CRM call nor
   an email.
4. Each tenant's contacts go to HubSpot in one batch call; then one Klaviyo event is sent
   per trigger, exactly once per trigger key.

A record fails, and is reported in ``batchItemFailures`` for SQS to deliver again, when
its own send fails or is refused; when the HubSpot call fails as a whole, every record of
that call fails. The others succeed. An unexpected error fails the whole invocation; the
triggers already sent in it are then skipped on redelivery.

Triggers are enqueued before the profile that records them is written (see
``retention.recording``), so a trigger can arrive before its profile does. Such a record
fails and is retried later rather than judged on a profile that does not know it yet.
Only the last 100 trigger keys are kept on a profile; a message older than 100 newer
triggers of its customer would be retried until the dead-letter queue takes it.

Powertools idempotency, keyed on the trigger key, makes the send happen once: its record is
written before the send and deleted if the send fails, so a failed send is tried again.
The Lambda context is registered with it, so that a record left by an invocation that
timed out expires with that invocation instead of blocking the trigger.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from aws_lambda_powertools import single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyItemNotFoundError,
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import (
    STATUS_CONSTANTS,
    DataRecord,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from retention import clock
from retention.channels import ChannelError
from retention.channels.connect import Channels
from retention.channels.hubspot import contact_for
from retention.channels.klaviyo import event_for
from retention.data.ports import ProfileStore
from retention.domain.identity import normalise_email
from retention.domain.profiles import Profile
from retention.domain.rules import RetentionRules
from retention.domain.triggers import Trigger, suppression
from retention.observability import logger, metrics, redact

DAY = 24 * 60 * 60
KEY_PREFIX = "trigger"
# Longer than a message can live in the queue and then its dead-letter queue, redrives
# included; a trigger key is never enqueued again once its profile records it.
SENT_KEPT_DAYS = 400
NO_EMAIL = "no_email"
# The customer was erased since the trigger was queued: dropped, not retried.
ERASED = "erased"

SEND_FAILURES = (
    ChannelError,
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyPersistenceLayerError,
)


class DispatchError(Exception):
    """A record that cannot be dispatched now; ``reason`` is safe to log."""

    def __init__(self, reason: str, trigger: Trigger | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.trigger = trigger


class InvalidTriggerError(DispatchError):
    """The body is not a trigger; SQS's retries then move it to the dead-letter queue."""


class NotRecordedError(DispatchError):
    """The profile does not know the trigger yet; the record is retried later."""


@dataclass(frozen=True)
class Ready:
    """A trigger that still holds, with the profile it was checked against."""

    message_id: str
    trigger: Trigger
    profile: Profile


class Dispatcher:
    def __init__(
        self,
        store: ProfileStore,
        rules: RetentionRules,
        channels: Channels,
        sent: BasePersistenceLayer,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self._store = store
        self._rules = rules
        self._channels = channels
        self._sent = sent
        self._now = now

    def dispatch(
        self, event: Mapping[str, Any], context: LambdaContext | None
    ) -> dict[str, list[dict[str, str]]]:
        """Send a batch of SQS records; answer SQS's partial batch response."""
        records: list[Mapping[str, Any]] = list(event.get("Records") or [])
        metrics.add_metric(name="TriggersReceived", unit=MetricUnit.Count, value=len(records))
        once = Once(self._sent, context)
        now = self._now()

        failed: list[str] = []
        ready: list[Ready] = []
        for record in records:
            try:
                checked = self._check(record, once, now)
            except DispatchError as error:
                failed.append(_failed(record["messageId"], error, error.trigger))
                continue
            if checked is not None:
                ready.append(checked)

        for tenant, group in _by_tenant(ready):
            failed.extend(self._send(tenant, group, once, now))
        return {"batchItemFailures": [{"itemIdentifier": message} for message in failed]}

    def _check(self, record: Mapping[str, Any], once: "Once", now: datetime) -> Ready | None:
        trigger = _parse(record.get("body"))
        profile = self._store.get_profile(trigger.tenant, trigger.customer_key)
        if profile is None and self._store.get_erasure(trigger.tenant, trigger.customer_key):
            logger.info("trigger suppressed", extra={"reason": ERASED, **_keys(trigger)})
            _count("TriggerSuppressed", reason=ERASED)
            return None
        if profile is None:
            raise NotRecordedError("no profile yet", trigger)
        if trigger.key not in profile.triggers_enqueued:
            raise NotRecordedError("profile does not record the trigger yet", trigger)

        reason = _suppressed(trigger, profile, self._rules, now)
        if reason is not None:
            logger.info("trigger suppressed", extra={"reason": reason, **_keys(trigger)})
            _count("TriggerSuppressed", reason=reason)
            return None

        if once.already_sent(trigger):
            _duplicate(trigger)
            return None
        return Ready(record["messageId"], trigger, profile)

    def _send(self, tenant: str, group: list[Ready], once: "Once", now: datetime) -> list[str]:
        """One HubSpot call for the tenant's contacts, then each trigger's Klaviyo event."""
        contacts = [contact_for(item.profile, item.trigger, self._rules) for item in group]
        try:
            refused = self._channels.hubspot.upsert(
                tenant,
                [contact for contact in contacts if contact is not None],
            )
        except ChannelError as error:
            return [_failed(item.message_id, error, item.trigger) for item in group]

        failed: list[str] = []
        for item in group:
            try:
                self._deliver(item, refused, once, now)
            except SEND_FAILURES as error:
                failed.append(_failed(item.message_id, error, item.trigger))
        return failed

    def _deliver(
        self,
        item: Ready,
        refused: Mapping[str, ChannelError],
        once: "Once",
        now: datetime,
    ) -> None:
        if item.trigger.key in refused:
            raise refused[item.trigger.key]

        event = event_for(item.trigger, item.profile, self._rules, now)
        sent_now = once.send(
            item.trigger,
            lambda: self._channels.klaviyo.create_event(item.trigger, event),
        )
        if not sent_now:
            _duplicate(item.trigger)
            return

        logger.info("trigger sent", extra=_keys(item.trigger))
        _count("TriggerSent", kind=item.trigger.kind.value)


class Once:
    """Exactly-once sending per trigger key, kept by Powertools idempotency."""

    def __init__(self, persistence: BasePersistenceLayer, context: LambdaContext | None) -> None:
        self._persistence = persistence
        self._config = IdempotencyConfig(
            event_key_jmespath="key",
            expires_after_seconds=SENT_KEPT_DAYS * DAY,
            response_hook=_replayed,
            lambda_context=context,
        )

    def already_sent(self, trigger: Trigger) -> bool:
        """Whether a send for this key completed; read before the batch call to HubSpot."""
        self._persistence.configure(self._config, key_prefix=KEY_PREFIX)
        try:
            record = self._persistence.get_record({"key": trigger.key})
        except IdempotencyItemNotFoundError:
            return False
        return record is not None and record.status == STATUS_CONSTANTS["COMPLETED"]

    def send(self, trigger: Trigger, send: Callable[[], None]) -> bool:
        """Run ``send`` unless it ran for this key before; answer whether it ran now."""
        once = idempotent_function(
            _run,
            data_keyword_argument="trigger",
            persistence_store=self._persistence,
            config=self._config,
            key_prefix=KEY_PREFIX,
        )
        outcome: dict[str, Any] = once(trigger={"key": trigger.key}, send=send)
        return not outcome.get("replayed", False)


def _run(*, trigger: dict[str, str], send: Callable[[], None]) -> dict[str, Any]:
    send()
    return {"sent": True}


def _replayed(response: Any, idempotent_data: DataRecord) -> dict[str, Any]:
    return {**(response or {}), "replayed": True}


def _parse(body: Any) -> Trigger:
    """The trigger in a body; the reason it is not one names fields, never their values."""
    try:
        return Trigger.model_validate_json(body if isinstance(body, str | bytes) else "")
    except ValidationError as error:
        problems = sorted(
            {
                f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['type']}"
                for problem in error.errors(include_input=False, include_url=False)
            }
        )
        raise InvalidTriggerError("not a trigger: " + "; ".join(problems)) from error


def _suppressed(
    trigger: Trigger,
    profile: Profile,
    rules: RetentionRules,
    now: datetime,
) -> str | None:
    reason = suppression(trigger, profile, rules, now)
    if reason is not None:
        return reason.value
    if normalise_email(profile.email) is None:
        return NO_EMAIL
    return None


def _by_tenant(ready: list[Ready]) -> Iterator[tuple[str, list[Ready]]]:
    """Each tenant's triggers, the latest due last, so its values win a shared contact."""
    ordered = sorted(ready, key=lambda item: (item.trigger.tenant, item.trigger.due_at))
    for tenant, group in groupby(ordered, key=lambda item: item.trigger.tenant):
        yield tenant, list(group)


def _keys(trigger: Trigger) -> dict[str, str | None]:
    """What logs may say of a trigger: no email or phone; the key itself only hashed."""
    return {
        "tenant": trigger.tenant,
        "customer": trigger.customer_key,
        "kind": trigger.kind.value,
        "trigger": redact(trigger.key),
    }


def _failed(message_id: str, error: Exception, trigger: Trigger | None) -> str:
    reason = getattr(error, "reason", None) or type(error).__name__
    keys = _keys(trigger) if trigger else {}
    logger.warning(
        "trigger failed",
        extra={"message_id": message_id, "error": type(error).__name__, "reason": reason, **keys},
    )
    metrics.add_metric(name="TriggerFailed", unit=MetricUnit.Count, value=1)
    return message_id


def _duplicate(trigger: Trigger) -> None:
    logger.info("trigger already sent", extra=_keys(trigger))
    metrics.add_metric(name="TriggerDuplicate", unit=MetricUnit.Count, value=1)


def _count(name: str, **dimensions: str) -> None:
    """One metric with its own dimensions; the shared metric set has one set for all."""
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=1,
        namespace=metrics.namespace,
    ) as metric:
        for dimension, value in dimensions.items():
            metric.add_dimension(name=dimension, value=value)
