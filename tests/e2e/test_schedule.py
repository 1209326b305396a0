"""Time moves, the lifecycle scan fires, and triggers reach the outbox exactly once.

These tests share one virtual clock, which only moves forward: each starts from the module
fixture's 60 days and asserts only what cannot depend on how far the others moved it.
With the scan's hourly rate, a big jump runs it once per simulated day, at 00:00:01 UTC.
"""

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.e2e.admin import advance, drain, outbox, sent_to, waiting_triggers
from tests.e2e.deliveries import ASHA, ROHAN, SHOP

pytestmark = pytest.mark.e2e

# Her order #1001 was placed on 12 January, Kolkata time; it shipped on the 13th.
ORDER = "6000000001"
WELCOME = f"{SHOP}/{ASHA}/welcome"
POST_PURCHASE = f"{SHOP}/{ASHA}/post_purchase/{ORDER}"
WIN_BACK_45 = f"{SHOP}/{ASHA}/win_back/{ORDER}/45"
WIN_BACK_60 = f"{SHOP}/{ASHA}/win_back/{ORDER}/60"
CHANNELS = ("hubspot", "klaviyo")
ASHA_EMAIL = "asha.rao@example.com"
ELEVENTH_OF_MARCH = datetime(2026, 3, 11, 0, 0, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def sixty_days(story: dict[str, httpx.Response], client: httpx.Client) -> list[dict[str, Any]]:
    """The story (its last delivery on 25 January), then the clock moved on to 11 March,
    58 days after Asha's order: the schedule runs it fired."""
    now = datetime.fromisoformat(client.get("/_local/clock").json()["now"].replace("Z", "+00:00"))
    return advance(client, seconds=(ELEVENTH_OF_MARCH - now).total_seconds())


def both_channels(*keys: str) -> list[tuple[str, str]]:
    return [(channel, key) for key in keys for channel in CHANNELS]


def test_sixty_days_later_asha_got_each_trigger_once_on_both_channels(
    sixty_days: list[dict[str, Any]],
    client: httpx.Client,
):
    # Given the story, and the clock moved on to 11 March (sixty_days)
    # When the outbox is read
    asha = sent_to(client, ASHA)

    # Then every scan ran, and no trigger is left waiting in a queue or its dead letters
    assert len(sixty_days) >= 44
    assert all(fire["ok"] for fire in sixty_days)
    assert set(waiting_triggers(client).values()) == {0}

    # And Asha got the welcome, the post-purchase check-in and the 45-day win-back, each
    # once to HubSpot and once to Klaviyo; the 60-day step is not due until 13 March
    assert sorted(asha) == sorted(both_channels(WELCOME, POST_PURCHASE, WIN_BACK_45))


def test_rohan_gets_nothing(sixty_days: list[dict[str, Any]], client: httpx.Client):
    # Given Rohan, not subscribed, whose only order was cancelled, and 60 days gone by
    # When the outbox is read
    rohan = sent_to(client, ROHAN)

    # Then nothing was sent about him
    assert rohan == []


def test_win_back_request_carries_what_the_flow_needs(
    sixty_days: list[dict[str, Any]],
    client: httpx.Client,
):
    # Given the 45-day win-back sent after 60 days
    # When its recorded requests are read (a HubSpot batch may carry other customers too)
    requests = {
        item["channel"]: json.loads(item["body"])
        for item in outbox(client)
        if WIN_BACK_45 in item["trigger_keys"]
    }
    contacts = {contact["id"]: contact for contact in requests["hubspot"]["inputs"]}
    contact = contacts[ASHA_EMAIL]
    event = requests["klaviyo"]["data"]["attributes"]

    # Then HubSpot upserts Asha, by email, with her net lifetime value
    assert contact["properties"]["retention_lifetime_value"] == "900.00"
    assert contact["properties"]["retention_ltv_currency"] == "INR"

    # And Klaviyo gets one event, keyed on the trigger so it cannot start the flow twice
    assert event["unique_id"] == WIN_BACK_45
    assert event["properties"]["trigger"] == "win_back"
    assert event["properties"]["step_days"] == 45


def test_another_day_runs_the_scan_and_sends_nothing_new(
    sixty_days: list[dict[str, Any]],
    client: httpx.Client,
):
    # Given everything due after 60 days already sent
    drain(client)
    before = outbox(client)

    # When one more day passes, and then no time at all
    day = advance(client, days=1)
    nothing = advance(client, days=0)

    # Then the scan ran once more and sent nothing new; a zero move runs nothing
    assert [fire["ok"] for fire in day] == [True]
    assert nothing == []
    assert outbox(client) == before


def test_the_sixty_day_step_goes_out_once(
    sixty_days: list[dict[str, Any]],
    client: httpx.Client,
):
    # Given Asha's 45-day win-back sent, and her 60-day step due on 13 March
    before = sent_to(client, ASHA)

    # When the clock passes 14 March, and a day more
    advance(client, days=3)
    after_step = sent_to(client, ASHA)
    advance(client, days=1)

    # Then the 60-day win-back went out once on both channels, and nothing after it
    assert after_step[len(before) :] == both_channels(WIN_BACK_60)
    assert sent_to(client, ASHA) == after_step
    assert set(waiting_triggers(client).values()) == {0}
