"""The scheduled scan in process against moto: due profiles only, each trigger once."""

from datetime import UTC, datetime

import pytest
from retention import clock
from retention.domain.lifecycle import Stage
from retention.domain.triggers import TriggerKind

from tests.support.webhook_stack import WebhookStack, sample_event, webhook_stack

ASHA = "shopify:7000000001"
ROHAN = "shopify:7000000002"
# The rules' zone is Asia/Kolkata and send hour 10:00 there, which is 04:30 UTC.
POST_PURCHASE_DUE = "2026-01-20T04:30:00Z"
WIN_BACK_45_DUE = "2026-02-26T04:30:00Z"
WIN_BACK_60_DUE = "2026-03-13T04:30:00Z"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch):
    with webhook_stack(monkeypatch, datetime(2026, 1, 13, 10, 35, 5, tzinfo=UTC)) as running:
        running.post(sample_event("orders_paid"))
        running.post(sample_event("orders_fulfilled"))
        running.post(sample_event("orders_cancelled"))
        running.queued()
        yield running


def at(moment: str) -> None:
    clock.set_source(lambda: datetime.fromisoformat(moment))


def test_the_scan_reads_only_profiles_that_are_due(stack: WebhookStack):
    # Given Asha with a check-in due and Rohan with nothing ever due (his order was cancelled)
    assert stack.profile(ROHAN).next_action_at is None  # type: ignore[union-attr]

    # When the scan runs at the check-in's time
    at(POST_PURCHASE_DUE)
    result = stack.run_scan(POST_PURCHASE_DUE)

    # Then it refreshed Asha only and queued her check-in
    assert result["profiles"] == 1
    queued = stack.queued()
    assert [t.kind for t in queued] == [TriggerKind.POST_PURCHASE]
    assert queued[0].customer_key == ASHA


def test_a_second_run_for_the_same_schedule_time_queues_nothing_new(stack: WebhookStack):
    at(POST_PURCHASE_DUE)
    stack.run_scan(POST_PURCHASE_DUE)
    first = stack.queued()

    result = stack.run_scan(POST_PURCHASE_DUE)

    assert len(first) == 1
    assert result["triggers"] == 0
    assert stack.queued() == []


def test_a_run_before_anything_is_due_reads_nothing(stack: WebhookStack):
    result = stack.run_scan("2026-01-15T00:00:00Z")

    assert result == {"profiles": 0, "triggers": 0, "unfinished": False}
    assert stack.queued() == []


def test_win_back_steps_fire_in_turn_and_the_stage_moves_on(stack: WebhookStack):
    # Given Asha's check-in has gone out
    stack.run_scan(POST_PURCHASE_DUE)
    stack.queued()

    # When 45 and then 60 days pass without an order
    stack.run_scan(WIN_BACK_45_DUE)
    at_risk = stack.profile(ASHA)
    first = stack.queued()
    stack.run_scan(WIN_BACK_60_DUE)
    lapsed = stack.profile(ASHA)
    second = stack.queued()

    # Then each win-back step is queued once, and her stage follows
    assert [(t.kind, t.step_days) for t in first] == [(TriggerKind.WIN_BACK, 45)]
    assert [(t.kind, t.step_days) for t in second] == [(TriggerKind.WIN_BACK, 60)]
    assert at_risk is not None
    assert at_risk.stage is Stage.AT_RISK
    assert lapsed is not None
    assert lapsed.stage is Stage.LAPSED
    assert lapsed.next_action_at is None


def test_a_scan_that_runs_late_sends_only_the_furthest_win_back(stack: WebhookStack):
    # Given the schedule was paused past both steps
    result = stack.run_scan("2026-03-20T00:00:00Z")

    # Then only the 60-day win-back is queued; the check-in is past its window
    assert result["profiles"] == 1
    assert [(t.kind, t.step_days) for t in stack.queued()] == [(TriggerKind.WIN_BACK, 60)]
