"""The Shopify webhook function in process against moto: what the sender is told, what is
stored and what is queued."""

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from retention.domain.lifecycle import Stage
from retention.domain.triggers import TriggerKind

from tests.support.webhook_stack import WebhookStack, resigned, sample_event, webhook_stack

ASHA = "shopify:7000000001"
ROHAN = "shopify:7000000002"
# Five seconds after Asha's first order (00:30 on 12 January in Kolkata).
JUST_AFTER_ORDER = datetime(2026, 1, 11, 19, 0, 5, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "shopify"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch):
    with webhook_stack(monkeypatch, JUST_AFTER_ORDER) as running:
        yield running


def test_first_order_makes_a_profile_and_queues_a_welcome(stack: WebhookStack):
    # Given Asha's first order, as Shopify delivers it
    event = sample_event("orders_create")

    # When it arrives
    status, body = stack.post(event)

    # Then it is accepted, her profile holds the order, and a welcome is queued once
    assert status == 200
    assert body["status"] == "accepted"
    profile = stack.profile(ASHA)
    assert profile is not None
    assert profile.order_count == 1
    assert profile.stage is Stage.NEW
    assert profile.email == "asha.rao@example.com"
    assert profile.consent.email is True
    assert [o.name for o in profile.recent_orders] == ["#1001"]
    assert [t.kind for t in stack.queued()] == [TriggerKind.WELCOME]


def test_wrong_signature_is_refused_and_stores_nothing(stack: WebhookStack):
    # Given an order whose signature was made with another secret
    event = sample_event("orders_create")
    event["headers"]["x-shopify-hmac-sha256"] = base64.b64encode(b"x" * 32).decode()

    # When it arrives
    status, body = stack.post(event)

    # Then it is refused with a reason and nothing is stored or queued
    assert status == 401
    assert body == {"status": "rejected", "reason": "signature does not match the body"}
    assert stack.items() == []
    assert stack.queued() == []


def test_missing_signature_is_refused(stack: WebhookStack):
    event = sample_event("orders_create")
    del event["headers"]["x-shopify-hmac-sha256"]

    status, _ = stack.post(event)

    assert status == 401
    assert stack.items() == []


def test_a_delivery_seen_before_changes_nothing(stack: WebhookStack):
    # Given an order that was already delivered once
    event = sample_event("orders_create")
    stack.post(event)
    stored = stack.profile(ASHA)
    first_queue = stack.queued()

    # When Shopify delivers it again
    status, body = stack.post(event)

    # Then it is acknowledged as a duplicate and nothing changes or is queued again
    assert status == 200
    assert body["status"] == "duplicate"
    assert stack.profile(ASHA) == stored
    assert len(first_queue) == 1
    assert stack.queued() == []


def test_a_duplicate_subscription_with_the_same_event_id_counts_once(stack: WebhookStack):
    # Given the same merchant action delivered to two subscriptions (new webhook id)
    event = sample_event("orders_create")
    twin = resigned(event, event["body"].encode(), **{"x-shopify-webhook-id": "another"})

    # When both arrive
    stack.post(event)
    status, body = stack.post(twin)

    # Then the second is a duplicate
    assert (status, body["status"]) == (200, "duplicate")
    profile = stack.profile(ASHA)
    assert profile is not None
    assert profile.order_count == 1


def test_an_update_older_than_the_stored_order_does_not_overwrite_it(stack: WebhookStack):
    # Given the refunded, fulfilled state of order #1001 arrived first
    stack.post(sample_event("orders_updated"))

    # When the older create and paid deliveries arrive late
    stack.post(sample_event("orders_create"))
    stack.post(sample_event("orders_paid"))

    # Then the profile keeps the newer state: paid, fulfilled, refund taken off
    profile = stack.profile(ASHA)
    assert profile is not None
    assert profile.revenue == {"INR": Decimal("900.00")}
    assert profile.recent_orders[0].fulfilled_at is not None
    assert profile.order_count == 1


def test_a_refund_before_its_order_is_held_then_taken_off(stack: WebhookStack):
    # Given a refund that arrives before anything about its order
    status, body = stack.post(sample_event("refunds_create"))
    assert (status, body["status"]) == (200, "accepted")
    assert stack.profile(ASHA) is None

    # When the paid order arrives
    stack.post(sample_event("orders_paid"))

    # Then the held refund is taken off the order's value
    profile = stack.profile(ASHA)
    assert profile is not None
    assert profile.revenue == {"INR": Decimal("900.00")}


def test_a_refund_delivered_twice_and_listed_on_the_order_counts_once(stack: WebhookStack):
    # Given the paid order and its refund
    stack.post(sample_event("orders_paid"))
    stack.post(sample_event("refunds_create"))

    # When the order update lists the same refund again
    stack.post(sample_event("orders_updated"))

    # Then ₹350 is taken off once
    profile = stack.profile(ASHA)
    assert profile is not None
    assert profile.revenue == {"INR": Decimal("900.00")}


def test_a_cancelled_order_is_not_counted(stack: WebhookStack):
    # Given Rohan's order, cancelled
    status, _ = stack.post(sample_event("orders_cancelled"))

    # Then he is on file but has no counted order and no revenue
    assert status == 200
    profile = stack.profile(ROHAN)
    assert profile is not None
    assert profile.order_count == 0
    assert profile.stage is Stage.PROSPECT
    assert profile.revenue == {}
    assert stack.queued() == []


def test_a_customer_update_older_than_the_stored_one_is_ignored(stack: WebhookStack):
    # Given Asha's update (new phone) already stored
    stack.post(sample_event("customers_update"))
    updated = stack.profile(ASHA)

    # When her older sign-up arrives late
    stack.post(sample_event("customers_create"))

    # Then her newer details stay
    assert stack.profile(ASHA) == updated


def test_a_base64_body_is_verified_over_the_decoded_bytes(stack: WebhookStack):
    # Given API Gateway passing the body base64-encoded
    event = sample_event("orders_create")
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True

    # When it arrives
    status, _ = stack.post(event)

    # Then the signature over the original bytes holds
    assert status == 200
    assert stack.profile(ASHA) is not None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "body is not JSON"),
        (b"[1, 2]", "body is not a JSON object"),
        (b'{"email": "someone@example.com"}', "body does not match the topic: id: Field required"),
    ],
)
def test_a_body_that_is_not_an_order_gets_400_and_changes_nothing(
    stack: WebhookStack, body: bytes, reason: str
):
    # Given a correctly signed delivery whose body is not an order
    event = resigned(sample_event("orders_create"), body)

    # When it arrives
    status, answer = stack.post(event)

    # Then it is refused with a reason that names no personal data, and nothing is stored
    assert status == 400
    assert answer["reason"].startswith(reason)
    assert "someone@example.com" not in answer["reason"]
    assert stack.items() == []


def test_an_unhandled_topic_is_acknowledged_and_ignored(stack: WebhookStack):
    event = resigned(
        sample_event("orders_create"), b'{"id": 1}', **{"x-shopify-topic": "products/update"}
    )

    status, body = stack.post(event)

    assert (status, body["status"]) == (200, "ignored")
    assert stack.items() == []


def test_a_test_order_is_ignored(stack: WebhookStack):
    order = json.loads(sample_event("orders_create")["body"])
    order["test"] = True
    event = resigned(sample_event("orders_create"), json.dumps(order).encode())

    status, body = stack.post(event)

    assert (status, body) == (200, {"status": "ignored", "reason": "test order", "triggers": []})
    assert stack.items() == []


def test_a_guest_order_gets_a_profile_keyed_on_a_hash_of_the_email(stack: WebhookStack):
    # Given an order placed without an account
    order = json.loads(sample_event("orders_create")["body"])
    order["customer"] = None
    event = resigned(sample_event("orders_create"), json.dumps(order).encode())

    # When it arrives
    status, _ = stack.post(event)

    # Then a guest profile holds it, keyed without the address, and no marketing is queued
    assert status == 200
    profiles = [item for item in stack.items() if item["sk"] == "PROFILE"]
    assert len(profiles) == 1
    assert profiles[0]["customer_key"].startswith("guest:")
    assert "example.com" not in profiles[0]["customer_key"]
    assert profiles[0]["order_count"] == 1
    assert stack.queued() == []


def test_an_order_with_neither_customer_nor_email_is_acknowledged_and_not_stored(
    stack: WebhookStack,
):
    order = json.loads(sample_event("orders_create")["body"])
    order.update(customer=None, email=None, contact_email=None)
    event = resigned(sample_event("orders_create"), json.dumps(order).encode())

    status, body = stack.post(event)

    assert status == 200
    assert body["status"] == "ignored"
    assert body["reason"] == "order has neither a customer nor an email"
    assert [item for item in stack.items() if item["sk"] == "PROFILE"] == []


def test_a_very_large_order_is_stored_within_dynamodb_limits(stack: WebhookStack):
    # Given a wholesale order of 600 distinct lines
    order = json.loads(sample_event("orders_paid")["body"])
    line = order["line_items"][0]
    order["line_items"] = [
        {**line, "id": n, "product_id": 9_000_000 + n, "title": f"Item {n}" * 20}
        for n in range(600)
    ]
    event = resigned(sample_event("orders_paid"), json.dumps(order).encode())

    # When it arrives
    status, _ = stack.post(event)

    # Then it is stored, with its lines counted and only the first ones kept
    assert status == 200
    profile = stack.profile(ASHA)
    assert profile is not None
    assert profile.recent_orders[0].item_count == 600
    assert len(profile.products) == 50
    stored = [item for item in stack.items() if item["sk"].startswith("ORDER#")]
    assert len(stored[0]["lines"]) == 50
    assert all(len(json.dumps(item, default=str)) < 400_000 for item in stack.items())


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="the shared Shopify fixtures are not here")
@pytest.mark.parametrize(
    "fixture", sorted(FIXTURES.glob("*.json")) if FIXTURES.is_dir() else [], ids=str
)
def test_every_published_shopify_payload_gets_a_clear_answer(stack: WebhookStack, fixture: Path):
    # Given a payload Shopify or an integrator published, signed for our shop
    name = fixture.name.split(".")[0]
    topic = name.replace("_", "/", 1)
    event = resigned(
        sample_event("orders_create"),
        fixture.read_bytes(),
        **{"x-shopify-topic": topic, "x-shopify-event-id": f"fixture-{name}"},
    )

    # When it arrives
    status, body = stack.post(event)

    # Then it is recorded, ignored, or refused with a reason: never a crash
    assert status in {200, 400}
    assert body["status"] in {"accepted", "ignored", "rejected"}
    if status == 400:
        assert body["reason"]


def _consent_event(state: str, at: str, event_id: str) -> dict[str, Any]:
    body = {
        "customer_id": 7000000001,
        "email_address": "asha.rao@example.com",
        "email_marketing_consent": {
            "state": state,
            "opt_in_level": "single_opt_in",
            "consent_updated_at": at,
            "consent_collected_from": "SHOPIFY",
        },
    }
    return resigned(
        sample_event("customers_create"),
        json.dumps(body).encode(),
        **{
            "x-shopify-topic": "customers/email_marketing_consent_update",
            "x-shopify-event-id": event_id,
        },
    )


def test_consent_withdrawn_on_its_own_topic_stops_marketing(stack: WebhookStack):
    # Given Asha signed up subscribed
    stack.post(sample_event("customers_create"))

    # When she unsubscribes (API 2025-01 and later send consent on its own topic)
    status, _ = stack.post(_consent_event("unsubscribed", "2026-01-11T10:00:00+05:30", "c1"))

    # Then her profile says so, and her first order queues no welcome
    assert status == 200
    profile = stack.profile(ASHA)
    assert profile is not None
    assert profile.consent.email is False
    order = json.loads(sample_event("orders_create")["body"])
    for field in ("email_marketing_consent", "sms_marketing_consent"):
        order["customer"].pop(field, None)
    stack.post(resigned(sample_event("orders_create"), json.dumps(order).encode()))
    assert stack.queued() == []


def test_an_older_consent_change_does_not_undo_a_newer_one(stack: WebhookStack):
    # Given an unsubscribe stored
    stack.post(_consent_event("unsubscribed", "2026-01-11T10:00:00+05:30", "c1"))

    # When an older subscribe arrives late
    stack.post(_consent_event("subscribed", "2026-01-05T10:00:00+05:30", "c0"))

    # Then she stays unsubscribed
    profile = stack.profile(ASHA)
    assert profile is not None
    assert profile.consent.email is False
