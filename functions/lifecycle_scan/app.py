"""The scheduled lifecycle scan, started by EventBridge Scheduler.

The schedule passes ``{"scheduled_time": "<aws.scheduler.scheduled-time>"}``; the run treats
that time as "now", so a retried run of the same schedule time does the same work.
"""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from retention import clock, runtime
from retention.observability import logger, metrics, tracer
from retention.scan import scan

MILLISECONDS = 1000


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = _scheduled_time(event)
    logger.append_keys(scheduled_time=now.isoformat())

    result = scan(
        runtime.store(),
        runtime.recorder(),
        now,
        time_left=lambda: context.get_remaining_time_in_millis() / MILLISECONDS,
    )

    logger.info("scan finished", **asdict(result))
    metrics.add_metric(name="ProfilesRefreshed", unit="Count", value=result.profiles)
    metrics.add_metric(name="TriggersEnqueued", unit="Count", value=result.triggers)
    return asdict(result)


def _scheduled_time(event: dict[str, Any]) -> datetime:
    value = event.get("scheduled_time")
    if not value:
        return clock.now()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
