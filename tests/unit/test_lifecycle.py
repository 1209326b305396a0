"""Lifecycle stages, counted in whole days of the store's own time zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from retention.domain.lifecycle import (
    Stage,
    days_after,
    local_day,
    next_stage_change,
    stage_of,
)
from retention.domain.rules import RetentionRules

KOLKATA = RetentionRules(timezone="Asia/Kolkata")
IST = KOLKATA.zone
# Asha's order: 00:30 on 12 January in Kolkata, still 11 January in UTC.
ORDER = datetime(2026, 1, 12, 0, 30, tzinfo=IST)


def test_an_order_just_after_local_midnight_counts_for_that_local_day():
    # Given an order placed at 00:30 in Kolkata (19:00 UTC the day before)
    # When its day is read in the store's zone
    # Then it is 12 January, not UTC's 11 January
    assert local_day(ORDER, IST) == date(2026, 1, 12)
    assert local_day(ORDER, ZoneInfo("UTC")) == date(2026, 1, 11)


@pytest.mark.parametrize(
    ("now", "stage"),
    [
        (datetime(2026, 2, 25, 23, 59, 59, tzinfo=IST), Stage.NEW),
        (datetime(2026, 2, 26, 0, 0, tzinfo=IST), Stage.AT_RISK),
        (datetime(2026, 3, 12, 23, 59, 59, tzinfo=IST), Stage.AT_RISK),
        (datetime(2026, 3, 13, 0, 0, tzinfo=IST), Stage.LAPSED),
    ],
    ids=["day-44", "day-45", "day-59", "day-60"],
)
def test_stages_change_at_local_midnight(now, stage):
    # Given a one-order customer of a store in Kolkata
    # When the stage is read around days 45 and 60
    # Then it changes exactly at local midnight
    assert stage_of(1, ORDER, KOLKATA, now) is stage


def test_counting_in_utc_would_flag_the_customer_a_day_early():
    # Given the moment that is 05:30 on 25 February in Kolkata, 44 local days on
    now = datetime(2026, 2, 25, 0, 0, tzinfo=UTC)

    # When the stage is read in the store's zone and in UTC
    local = stage_of(1, ORDER, KOLKATA, now)
    utc = stage_of(1, ORDER, RetentionRules(), now)

    # Then only the UTC count calls her at risk already
    assert (local, utc) == (Stage.NEW, Stage.AT_RISK)


@pytest.mark.parametrize(
    ("order_count", "last_order_at", "stage"),
    [(0, None, Stage.PROSPECT), (1, ORDER, Stage.NEW), (3, ORDER, Stage.REPEAT)],
)
def test_stage_by_number_of_orders(order_count, last_order_at, stage):
    # Given a customer with no, one or several orders, the last one recent
    now = datetime(2026, 1, 20, tzinfo=IST)

    # When the stage is read
    # Then it is prospect, new or repeat
    assert stage_of(order_count, last_order_at, KOLKATA, now) is stage


def test_next_stage_change_is_the_next_local_midnight_that_matters():
    # Given a customer who last ordered on 12 January, Kolkata time
    # When the next change is asked for before day 45, before day 60, and after
    before_risk = next_stage_change(ORDER, KOLKATA, datetime(2026, 2, 1, tzinfo=IST))
    before_lapse = next_stage_change(ORDER, KOLKATA, datetime(2026, 2, 26, 1, tzinfo=IST))
    after = next_stage_change(ORDER, KOLKATA, datetime(2026, 3, 13, 1, tzinfo=IST))

    # Then it is local midnight of day 45, then of day 60, then nothing more
    assert before_risk == datetime(2026, 2, 26, 0, 0, tzinfo=IST)
    assert before_lapse == datetime(2026, 3, 13, 0, 0, tzinfo=IST)
    assert after is None


def test_a_prospect_changes_stage_only_by_ordering():
    # Given a customer who never ordered
    # When the next change is asked for
    # Then there is none to schedule
    assert next_stage_change(None, KOLKATA, ORDER) is None


def test_days_after_lands_on_the_local_send_hour():
    # Given the order and a send hour of 10:00
    # When the moment seven local days later is asked for
    moment = days_after(ORDER, 7, KOLKATA, hour=10)

    # Then it is 10:00 in Kolkata on 19 January
    assert moment == datetime(2026, 1, 19, 10, 0, tzinfo=IST)
    assert moment.astimezone(UTC) == datetime(2026, 1, 19, 4, 30, tzinfo=UTC)


def test_days_after_keeps_the_local_hour_across_a_clock_change():
    # Given a New York store and an order the evening before clocks go forward
    rules = RetentionRules(timezone="America/New_York")
    order = datetime(2026, 3, 7, 20, 0, tzinfo=rules.zone)

    # When the 10:00 send time two days later is asked for
    moment = days_after(order, 2, rules, hour=10)

    # Then it is 10:00 local, now four hours behind UTC rather than five
    assert moment.astimezone(UTC) == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
