"""Shopify webhooks over HTTP: accepted, rejected when tampered with, deduplicated."""

import uuid

import httpx
import pytest

from tests.e2e.admin import profile
from tests.e2e.deliveries import ASHA, ROHAN, STORY, deliver, sample_event

pytestmark = pytest.mark.e2e


def test_every_sample_event_is_accepted_in_the_storys_order(story: dict[str, httpx.Response]):
    # Given the local stack, and the sample events posted in the order of events/README.md
    # When each one arrived (the session's story fixture sent them)
    answers = {name: (r.status_code, r.json()["status"]) for name, r in story.items()}

    # Then every delivery was acknowledged and recorded
    assert answers == dict.fromkeys(STORY, (200, "accepted"))


def test_profile_shows_net_revenue_after_the_refund(
    story: dict[str, httpx.Response],
    client: httpx.Client,
):
    # Given Asha's order of 1250.00 INR, partly refunded (350.00), and Rohan's cancelled order
    # When their profiles are read over the admin API
    asha, rohan = profile(client, ASHA), profile(client, ROHAN)

    # Then Asha has one order worth 900.00 INR net, the refund counted once
    assert asha["order_count"] == 1
    assert asha["revenue"] == {"INR": "900.00"}
    (order,) = asha["recent_orders"]
    assert (order["name"], order["total"], order["net"]) == ("#1001", "1250.00", "900.00")

    # And Rohan's cancelled order counts for nothing
    assert rohan["order_count"] == 0
    assert rohan["revenue"] == {}
    assert [order["cancelled"] for order in rohan["recent_orders"]] == [True]


def test_tampered_body_is_refused_and_changes_nothing(
    story: dict[str, httpx.Response],
    client: httpx.Client,
):
    # Given Asha's refund delivery, with the amount raised after Shopify signed it
    event = sample_event("refunds_create")
    assert '"350.00"' in event["body"]
    event["body"] = event["body"].replace('"350.00"', '"1250.00"')
    event["headers"]["x-shopify-event-id"] = str(uuid.uuid4())
    before = profile(client, ASHA)

    # When it is posted
    response = deliver(client, event)

    # Then it is refused as unsigned, and her profile is exactly as it was
    assert response.status_code == 401
    assert response.json()["status"] == "rejected"
    assert profile(client, ASHA) == before


def test_a_delivery_sent_again_is_a_duplicate(
    story: dict[str, httpx.Response],
    client: httpx.Client,
):
    # Given Asha's refund, already delivered once in the story
    before = profile(client, ASHA)

    # When Shopify retries the same delivery
    response = deliver(client, sample_event("refunds_create"))

    # Then it is acknowledged as a duplicate, and the refund is not taken off twice
    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert profile(client, ASHA) == before
    assert before["revenue"] == {"INR": "900.00"}
