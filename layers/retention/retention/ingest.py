"""Receiving one webhook: the same steps for every source.

1. Authenticate over the raw bytes (401, nothing read or stored, if it fails).
2. Parse the body into a snapshot (400 with a reason; ignored topics get 200).
3. Record it once per delivery key: a delivery seen before answers 200 "duplicate" and
   changes nothing. Powertools idempotency keeps the key, and deletes it again if
   recording fails, so the sender's retry is processed rather than lost.
"""

import json
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from retention import clock, runtime
from retention.domain.events import SourceEvent, latest_time
from retention.observability import logger, metrics
from retention.webhooks import (
    Delivery,
    Ignored,
    InProgressError,
    PayloadError,
    Receipt,
    WebhookError,
    WebhookRequest,
    WebhookSource,
)

DAY = 24 * 60 * 60
# How far ahead of our clock a sender's clock may run before its times are refused.
CLOCK_SKEW = timedelta(days=1)


def receive(
    event: dict[str, Any],
    context: LambdaContext,
    source: WebhookSource,
) -> dict[str, Any]:
    """Answer an API Gateway event; every domain error maps to its HTTP status here."""
    logger.append_keys(source=source.name)

    try:
        receipt = _receive(WebhookRequest.from_http_api(event), context, source)
    except WebhookError as error:
        logger.warning("webhook rejected", reason=error.reason, status=error.status)
        metrics.add_metric(name="WebhookRejected", unit="Count", value=1)
        return _answer(error.status, {"status": "rejected", "reason": error.reason})

    metrics.add_metric(name="WebhookAccepted", unit="Count", value=1)
    return _answer(200, asdict(receipt))


def _receive(request: WebhookRequest, context: LambdaContext, source: WebhookSource) -> Receipt:
    delivery = source.authenticate(request, runtime.webhook_secrets())
    logger.append_keys(tenant=delivery.tenant, topic=delivery.topic, delivery=delivery.key)

    parsed = source.parse(delivery, request.body)
    if isinstance(parsed, Ignored):
        logger.info("webhook ignored", reason=parsed.reason)
        return Receipt(status="ignored", reason=parsed.reason)

    latest = latest_time(parsed)
    if latest is not None and latest > clock.now() + CLOCK_SKEW:
        raise PayloadError("a time in the body is more than a day ahead of now")

    try:
        answer = _record_once(context, delivery=asdict(delivery), parsed=parsed)
    except IdempotencyAlreadyInProgressError as error:
        raise InProgressError("the same delivery is being processed") from error
    return Receipt(**answer)


def _record_once(
    context: LambdaContext,
    *,
    delivery: dict[str, Any],
    parsed: SourceEvent,
) -> dict[str, Any]:
    """Wrap the recording in Powertools idempotency, keyed on the delivery key.

    The Lambda context lets an in-progress key expire with the invocation, so a delivery
    whose function timed out can be retried straight away.
    """
    config = IdempotencyConfig(
        event_key_jmespath="key",
        expires_after_seconds=runtime.settings().dedupe_days * DAY,
        response_hook=_mark_duplicate,
    )
    config.register_lambda_context(context)
    once = idempotent_function(
        _record,
        data_keyword_argument="delivery",
        persistence_store=runtime.idempotency_store(),
        config=config,
    )
    result: dict[str, Any] = once(delivery=delivery, parsed=parsed)
    return result


def _record(*, delivery: dict[str, Any], parsed: SourceEvent) -> dict[str, Any]:
    seen = Delivery(**delivery)
    outcome = runtime.recorder().record(seen.source, seen.tenant, parsed, clock.now())
    if not outcome.applied:
        logger.info("webhook ignored", reason=outcome.reason)
        return {"status": "ignored", "reason": outcome.reason}

    logger.info(
        "webhook recorded",
        customer=outcome.customer_key,
        triggers=len(outcome.triggers),
    )
    return {"status": "accepted", "reason": outcome.reason, "triggers": outcome.triggers}


def _mark_duplicate(response: Any, idempotent_data: DataRecord) -> Any:
    logger.warning("webhook duplicate")
    metrics.add_metric(name="WebhookDuplicate", unit="Count", value=1)
    return {**response, "status": "duplicate", "triggers": []}


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
