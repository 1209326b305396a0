"""Schedules of the template, fired on the virtual clock.

A ``rate(...)`` schedule fires every period from the moment the local stack starts. When
the clock jumps over many periods, firing every one of them would make 60 days of an hourly
schedule 1,440 scans; instead the schedule fires at most once per simulated day, at real
schedule times counted back from the latest one, which always fires. The clock is moved to
each time before its fire, and the queues are drained after it, so that what a scan caused
on day 45 happened on day 45.

Failed fires are retried at once up to the template's ``MaximumRetryAttempts``, then sent
to the schedule's dead-letter queue, as EventBridge Scheduler does (it waits between tries).
``cron(...)`` and ``at(...)`` schedules are not run locally.
"""

import json
import logging
import math
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from retention.local.background import Repeating
from retention.local.template import Schedule
from retention.local.virtual_clock import VirtualClock, iso_z

log = logging.getLogger(__name__)
DAY = timedelta(days=1)
_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNITS = {"minute": "minutes", "hour": "hours", "day": "days"}


class UnsupportedScheduleError(ValueError):
    """The expression is not a ``rate(...)`` that the local scheduler can run."""


def rate_period(expression: str) -> timedelta:
    match = _RATE.fullmatch(expression.strip())
    if match is None:
        raise UnsupportedScheduleError(
            f"{expression}: only rate(N minutes|hours|days) schedules run locally; give the "
            "stack parameter a rate(...) with --parameter, or invoke the function with an event"
        )
    count, unit = int(match.group(1)), match.group(2)
    if count < 1:
        raise UnsupportedScheduleError(f"{expression}: the rate must be at least 1")
    return timedelta(**{_UNITS.get(unit, unit): count})


def fire_times(last: datetime, now: datetime, period: timedelta) -> list[datetime]:
    """Schedule times in ``(last, now]``, at most one per day, always including the latest."""
    elapsed = (now - last) // period
    if elapsed < 1:
        return []
    latest = last + elapsed * period
    stride = max(1, math.ceil(DAY / period))
    return [latest - k * stride * period for k in range((elapsed - 1) // stride, -1, -1)]


@dataclass(frozen=True)
class Fire:
    schedule: str
    scheduled_time: datetime
    ok: bool
    error: str | None = None


@dataclass
class LocalSchedule:
    spec: Schedule
    expression: str
    period: timedelta
    arn: str
    input: Any
    last: datetime
    dead_letter_url: str | None = None


class Scheduler:
    def __init__(
        self,
        schedules: list[LocalSchedule],
        clock: VirtualClock,
        invoke: Callable[[str, Any], Any],
        after_fire: Callable[[], object],
        send_dead_letter: Callable[[str, str, dict[str, Any]], None],
    ) -> None:
        self.schedules = schedules
        self._clock = clock
        self._invoke = invoke
        self._after_fire = after_fire
        self._send_dead_letter = send_dead_letter
        self._lock = threading.RLock()

    def run_until(self, target: datetime) -> list[Fire]:
        """Fire what falls due up to ``target``, walking the clock forward to each time."""
        with self._lock:
            due = sorted(
                (
                    (moment, schedule)
                    for schedule in self.schedules
                    for moment in fire_times(schedule.last, target, schedule.period)
                ),
                key=lambda pair: pair[0],
            )
            fires = []
            for moment, schedule in due:
                if moment > self._clock.now():
                    self._clock.set(moment)
                fires.append(self._fire(schedule, moment))
                schedule.last = max(schedule.last, moment)
                self._after_fire()
            return fires

    def advance(self, delta: timedelta) -> list[Fire]:
        with self._lock:
            target = self._clock.now() + delta
            fires = self.run_until(target)
            if target > self._clock.now():
                self._clock.set(target)
            self._after_fire()
            return fires

    def repeat_last(self) -> list[Fire]:
        """Fire every schedule again for the time it last fired, as a retried run would."""
        with self._lock:
            fires = [self._fire(schedule, schedule.last) for schedule in self.schedules]
            self._after_fire()
            return fires

    def next_times(self) -> dict[str, datetime]:
        with self._lock:
            return {s.spec.logical_id: s.last + s.period for s in self.schedules}

    def _fire(self, schedule: LocalSchedule, moment: datetime) -> Fire:
        execution = str(uuid.uuid4())
        attempts = schedule.spec.retry_attempts + 1
        error = ""
        for attempt in range(1, attempts + 1):
            event = _event(schedule, moment, execution, attempt)
            try:
                self._invoke(schedule.spec.function, event)
            except Exception as failure:
                # The target's error is the schedule's business: retry, then dead-letter.
                log.exception("%s failed at %s", schedule.spec.logical_id, iso_z(moment))
                error = f"{type(failure).__name__}: {failure}"
                continue
            return Fire(schedule.spec.logical_id, moment, ok=True)

        if schedule.dead_letter_url:
            self._send_dead_letter(
                schedule.dead_letter_url,
                json.dumps(event),
                _dead_letter_attributes(schedule, error, attempts - 1),
            )
        return Fire(schedule.spec.logical_id, moment, ok=False, error=error)


class ScheduleTicker:
    """Fires schedules as real time moves the clock, between explicit jumps."""

    def __init__(self, scheduler: Scheduler, clock: VirtualClock, interval: float = 1.0) -> None:
        self._ticker = Repeating(
            "firing schedules", interval, lambda: scheduler.run_until(clock.now())
        )

    def start(self) -> None:
        self._ticker.start()

    def stop(self) -> None:
        self._ticker.stop()


def _event(schedule: LocalSchedule, moment: datetime, execution: str, attempt: int) -> Any:
    """The target's input with EventBridge Scheduler's context attributes filled in."""
    if schedule.input is None:
        return {}
    text = str(schedule.input)
    for name, value in {
        "scheduled-time": iso_z(moment),
        "schedule-arn": schedule.arn,
        "execution-id": execution,
        "attempt-number": str(attempt),
    }.items():
        text = text.replace(f"<aws.scheduler.{name}>", value)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _dead_letter_attributes(schedule: LocalSchedule, error: str, retries: int) -> dict[str, Any]:
    def text(value: str) -> dict[str, str]:
        return {"DataType": "String", "StringValue": value}

    return {
        "ERROR_CODE": text("LocalInvocationFailed"),
        "ERROR_MESSAGE": text(error[:1000] or "unknown"),
        "EXHAUSTED_RETRY_CONDITION": text("MaximumRetryAttempts"),
        "RETRY_ATTEMPTS": {"DataType": "Number", "StringValue": str(retries)},
        "SCHEDULE_ARN": text(schedule.arn),
    }
