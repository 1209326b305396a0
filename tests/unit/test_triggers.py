"""Which retention triggers are due, which come next, and which are no longer true."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from retention.domain.events import Consent
from retention.domain.lifecycle import Stage
from retention.domain.orders import merge_order
from retention.domain.profiles import Profile, apply_customer, summarise
from retention.domain.rules import RetentionRules
from retention.domain.triggers import Suppression, Trigger, plan, suppression

SHOP = "demo-store.myshopify.com"
RULES = RetentionRules(timezone="Asia/Kolkata")
IST = RULES.zone
BASE = f"{SHOP}/shopify:7000000001"
ORDER = datetime(2026, 1, 12, 0, 30, tzinfo=IST)
SHIPPED = datetime(2026, 1, 13, 16, 5, tzinfo=IST)
WELCOME = f"{BASE}/welcome"
POST_PURCHASE = f"{BASE}/post_purchase/6000000001"
WIN_BACK_45 = f"{BASE}/win_back/6000000001/45"
WIN_BACK_60 = f"{BASE}/win_back/6000000001/60"


def _profile(**fields: Any) -> Profile:
    """Asha after her first order, subscribed to email."""
    values = {
        "tenant": SHOP,
        "customer_key": "shopify:7000000001",
        "consent": Consent(email=True),
        "order_count": 1,
        "first_order_at": ORDER,
        "last_order_at": ORDER,
        "last_order_id": "6000000001",
    }
    return Profile(**(values | fields))


def _due(profile: Profile, now: datetime) -> list[str]:
    return [trigger.key for trigger in plan(profile, RULES, now).due]


# Welcome


def test_welcome_is_due_on_the_first_order():
    # Given a subscribed customer who just placed a first order
    # When the profile is planned a minute later
    due = _due(_profile(), ORDER + timedelta(minutes=1))

    # Then the welcome is due
    assert due == [WELCOME]


def test_the_sample_story_enqueues_the_sample_welcome(shopify_snapshot, events_dir):
    # Given Asha's profile built from her sample sign-up and order
    signed_up = Profile(tenant=SHOP, customer_key="shopify:7000000001")
    profile = apply_customer(signed_up, shopify_snapshot("customers/create"))
    order = merge_order(None, shopify_snapshot("orders/create"))
    profile = summarise(profile, [order], RULES)

    # When it is planned at the time the order was recorded
    [welcome] = plan(profile, RULES, ORDER + timedelta(minutes=1)).due

    # Then the trigger is the one in the sample queue event, field for field
    record = json.loads((events_dir / "sqs" / "trigger.json").read_text(encoding="utf-8"))
    assert welcome == Trigger.model_validate_json(record["Records"][0]["body"])


@pytest.mark.parametrize(
    ("after", "due"),
    [(timedelta(days=3), [WELCOME]), (timedelta(days=3, seconds=1), [])],
    ids=["last-moment-of-grace", "after-grace"],
)
def test_welcome_is_not_sent_after_its_grace(after, due):
    # Given a first order, and a welcome grace of three days
    # When the profile is first planned at the end of the grace, or just after
    # Then the welcome is due only within it
    assert _due(_profile(), ORDER + after) == due


def test_welcome_is_enqueued_once():
    # Given a profile whose welcome is already enqueued
    profile = _profile(triggers_enqueued=(WELCOME,))

    # When it is planned again
    # Then nothing is due
    assert _due(profile, ORDER + timedelta(hours=1)) == []


def test_planning_twice_at_the_same_time_enqueues_nothing_new():
    # Given a first plan, whose due triggers are recorded as enqueued
    now = ORDER + timedelta(minutes=1)
    first = plan(_profile(), RULES, now)
    profile = _profile(triggers_enqueued=tuple(t.key for t in first.due))

    # When the same time is planned again (a retried scan)
    # Then nothing new is due
    assert first.due
    assert _due(profile, now) == []


# Post-purchase check-in


def test_post_purchase_is_due_at_the_local_send_hour_days_after_fulfilment():
    # Given an order fulfilled at 16:05 on 13 January in Kolkata, the welcome already sent
    profile = _profile(
        last_fulfilled_at=SHIPPED,
        last_fulfilled_order_id="6000000001",
        triggers_enqueued=(WELCOME,),
    )
    send_time = datetime(2026, 1, 20, 10, 0, tzinfo=IST)

    # When it is planned just before 10:00 on the seventh day, and at 10:00
    before = plan(profile, RULES, send_time - timedelta(seconds=1))
    at = plan(profile, RULES, send_time)

    # Then the check-in is next at 10:00 local, and due from then
    assert (before.due, before.next_action, before.next_action_at) == (
        [],
        "post_purchase",
        send_time,
    )
    assert [t.key for t in at.due] == [POST_PURCHASE]
    assert at.due[0].order_id == "6000000001"


def test_post_purchase_is_not_sent_after_its_grace():
    # Given a fulfilled order whose check-in was never planned in time
    profile = _profile(
        last_fulfilled_at=SHIPPED,
        last_fulfilled_order_id="6000000001",
        triggers_enqueued=(WELCOME,),
    )

    # When it is planned three days and a second after the send time
    now = datetime(2026, 1, 23, 10, 0, 1, tzinfo=IST)

    # Then it is dropped
    assert _due(profile, now) == []


# Win-back


def test_win_back_at_45_days_is_due_at_the_local_send_hour():
    # Given a customer who last ordered on 12 January, Kolkata time
    profile = _profile(triggers_enqueued=(WELCOME,))
    send_time = datetime(2026, 2, 26, 10, 0, tzinfo=IST)

    # When it is planned at 10:00 on day 45, and a second before
    at = plan(profile, RULES, send_time)
    before = plan(profile, RULES, send_time - timedelta(seconds=1))

    # Then the 45-day win-back is due from 10:00, naming the last order and the step
    assert before.due == []
    assert [t.key for t in at.due] == [WIN_BACK_45]
    assert at.due[0].step_days == 45
    assert at.stage is Stage.AT_RISK


def test_only_the_furthest_win_back_is_sent_when_both_are_due():
    # Given a customer planned for the first time on day 60 (say, the scan was down)
    profile = _profile(triggers_enqueued=(WELCOME,))

    # When it is planned at 10:00 on day 60
    due = _due(profile, datetime(2026, 3, 13, 10, 0, tzinfo=IST))

    # Then only the 60-day win-back is sent, not both
    assert due == [WIN_BACK_60]


def test_the_60_day_win_back_follows_the_45_day_one():
    # Given the 45-day win-back already enqueued
    profile = _profile(triggers_enqueued=(WELCOME, WIN_BACK_45))

    # When day 60 comes
    # Then the 60-day win-back is due
    assert _due(profile, datetime(2026, 3, 13, 10, 0, tzinfo=IST)) == [WIN_BACK_60]


def test_nothing_is_due_once_every_step_is_enqueued():
    # Given both win-backs already enqueued
    profile = _profile(triggers_enqueued=(WELCOME, WIN_BACK_45, WIN_BACK_60))

    # When the lapsed customer is planned again
    planned = plan(profile, RULES, datetime(2026, 4, 1, tzinfo=IST))

    # Then nothing is due and nothing is left to schedule
    assert (planned.due, planned.next_action, planned.next_action_at) == ([], None, None)
    assert planned.stage is Stage.LAPSED


# Consent


@pytest.mark.parametrize("consent", [Consent(), Consent(email=False)], ids=["unknown", "no"])
def test_no_marketing_trigger_without_consent(consent):
    # Given a customer who has not consented to email
    profile = _profile(consent=consent)

    # When their welcome and their win-back would be due
    welcome = _due(profile, ORDER + timedelta(minutes=1))
    win_back = _due(profile, datetime(2026, 2, 26, 10, 0, tzinfo=IST))

    # Then neither is enqueued
    assert (welcome, win_back) == ([], [])


# Suppression when sending


def _queued(profile: Profile, now: datetime) -> Trigger:
    [trigger] = plan(profile, RULES, now).due
    return trigger


def test_win_back_is_dropped_when_the_customer_ordered_since():
    # Given a 45-day win-back enqueued for the order of 12 January
    day_45 = datetime(2026, 2, 26, 10, 0, tzinfo=IST)
    trigger = _queued(_profile(triggers_enqueued=(WELCOME,)), day_45)

    # When the customer orders that morning, before it is sent
    ordered = _profile(
        order_count=2,
        last_order_at=day_45 - timedelta(hours=2),
        last_order_id="6000000003",
    )

    # Then the win-back is no longer true, since its key names the old last order
    assert suppression(trigger, ordered, RULES, day_45) is Suppression.NO_LONGER_TRUE


def test_welcome_is_dropped_when_it_reaches_the_sender_too_late():
    # Given a welcome enqueued on the first order
    trigger = _queued(_profile(), ORDER + timedelta(minutes=1))

    # When it reaches the sender four days later (say, from the dead-letter queue)
    # Then it has expired
    assert suppression(trigger, _profile(), RULES, ORDER + timedelta(days=4)) is (
        Suppression.EXPIRED
    )


def test_trigger_is_dropped_when_consent_is_withdrawn_before_sending():
    # Given a welcome enqueued on the first order
    trigger = _queued(_profile(), ORDER + timedelta(minutes=1))

    # When the customer unsubscribes before it is sent
    unsubscribed = _profile(consent=Consent(email=False))

    # Then it is not sent
    assert suppression(trigger, unsubscribed, RULES, ORDER + timedelta(minutes=2)) is (
        Suppression.NO_CONSENT
    )


def test_trigger_that_still_holds_is_sent():
    # Given a welcome enqueued on the first order
    trigger = _queued(_profile(), ORDER + timedelta(minutes=1))

    # When it reaches the sender a minute later
    # Then nothing stops it
    assert suppression(trigger, _profile(), RULES, ORDER + timedelta(minutes=2)) is None


# When to look again


def test_next_action_is_the_stage_change_when_it_comes_first():
    # Given a welcomed customer with nothing shipped yet
    profile = _profile(triggers_enqueued=(WELCOME,))

    # When the profile is planned the next day
    planned = plan(profile, RULES, ORDER + timedelta(days=1))

    # Then the next look is at midnight of day 45, before that day's 10:00 win-back
    assert planned.next_action == "stage_change"
    assert planned.next_action_at == datetime(2026, 2, 26, 0, 0, tzinfo=IST)


def test_next_action_is_the_trigger_when_it_comes_first():
    # Given a welcomed customer whose order shipped on 13 January
    profile = _profile(
        last_fulfilled_at=SHIPPED,
        last_fulfilled_order_id="6000000001",
        triggers_enqueued=(WELCOME,),
    )

    # When the profile is planned the next day
    planned = plan(profile, RULES, ORDER + timedelta(days=2))

    # Then the next look is the check-in at 10:00 on 20 January
    assert planned.next_action == "post_purchase"
    assert planned.next_action_at == datetime(2026, 1, 20, 10, 0, tzinfo=IST)


def test_a_prospect_has_nothing_to_schedule():
    # Given a customer who signed up and never ordered
    profile = Profile(tenant=SHOP, customer_key="shopify:7000000001")

    # When the profile is planned
    planned = plan(profile, RULES, ORDER)

    # Then there is no trigger and no next action
    assert (planned.stage, planned.due, planned.next_action_at) == (Stage.PROSPECT, [], None)
