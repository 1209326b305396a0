"""Lifecycle stages, counted in whole days in the store's time zone.

Counting in UTC would move an order placed at 01:00 in Kolkata to the previous day, and a
"45 days since the last order" rule would then fire a day early for that customer.
"""

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from retention.domain.rules import RetentionRules


class Stage(StrEnum):
    PROSPECT = "prospect"
    NEW = "new"
    REPEAT = "repeat"
    AT_RISK = "at_risk"
    LAPSED = "lapsed"


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def days_between(earlier: datetime, later: datetime, zone: ZoneInfo) -> int:
    return (local_day(later, zone) - local_day(earlier, zone)).days


def moment_on(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """The given local hour of a local day, as an aware datetime in that zone."""
    return datetime.combine(day, time(hour=hour), tzinfo=zone)


def days_after(moment: datetime, days: int, rules: RetentionRules, hour: int = 0) -> datetime:
    """The local hour on the day that is ``days`` local days after ``moment``."""
    day = local_day(moment, rules.zone) + timedelta(days=days)
    return moment_on(day, hour, rules.zone)


def stage_of(
    order_count: int,
    last_order_at: datetime | None,
    rules: RetentionRules,
    now: datetime,
) -> Stage:
    if order_count == 0 or last_order_at is None:
        return Stage.PROSPECT

    idle = days_between(last_order_at, now, rules.zone)
    if idle >= rules.lapsed_after_days:
        return Stage.LAPSED
    if idle >= rules.at_risk_after_days:
        return Stage.AT_RISK
    return Stage.NEW if order_count == 1 else Stage.REPEAT


def next_stage_change(
    last_order_at: datetime | None,
    rules: RetentionRules,
    now: datetime,
) -> datetime | None:
    """When the stage will next move on by itself, if no order comes first."""
    if last_order_at is None:
        return None

    for days in (rules.at_risk_after_days, rules.lapsed_after_days):
        change = days_after(last_order_at, days, rules)
        if change > now:
            return change
    return None
