"""The Shopify adapter: who sent a delivery, what it is about, and what its body says."""

import base64
import copy
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from retention.domain.events import CustomerSnapshot, OrderSnapshot, RedactRequest, RefundSnapshot
from retention.domain.identity import customer_key
from retention.vendors.shopify import ShopifyWebhooks, sign
from retention.webhooks import (
    Delivery,
    Ignored,
    PayloadError,
    SignatureError,
    WebhookRequest,
)

SHOP = "demo-store.myshopify.com"
PUBLISHED_SHOPIFY = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "shopify"
SOURCE = ShopifyWebhooks()
Event = dict[str, Any]


def _request(event: Event) -> WebhookRequest:
    return WebhookRequest.from_http_api(event)


@pytest.fixture
def with_body(shopify_secret: str) -> Callable[[Event, Any], Event]:
    """The same delivery carrying another body, signed as Shopify would sign it."""

    def build(event: Event, payload: Any) -> Event:
        changed = copy.deepcopy(event)
        changed["body"] = json.dumps(payload, separators=(",", ":"))
        signature = sign(changed["body"].encode(), shopify_secret)
        changed["headers"]["x-shopify-hmac-sha256"] = signature
        return changed

    return build


def _parse(event: Event, secrets: dict[str, Any]) -> Any:
    request = _request(event)
    delivery = SOURCE.authenticate(request, secrets)
    return SOURCE.parse(delivery, request.body)


def _payload(event: Event) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(event["body"])
    return payload


# Signatures


def test_sample_event_signed_with_the_local_secret_is_accepted(shopify_event, shopify_secrets):
    # Given the orders/create sample, signed with the local demo-store secret
    event = shopify_event("orders/create")

    # When its signature is checked
    delivery = SOURCE.authenticate(_request(event), shopify_secrets)

    # Then the delivery is the demo store's, about orders/create
    assert delivery.source == "shopify"
    assert delivery.tenant == SHOP
    assert delivery.topic == "orders/create"
    assert delivery.triggered_at is not None


def test_wrong_secret_is_rejected_with_401(shopify_event):
    # Given a store whose configured secret is not the one that signed the delivery
    secrets = {"shopify": {SHOP: "some-other-secret"}}

    # When the delivery arrives
    with pytest.raises(SignatureError) as rejected:
        SOURCE.authenticate(_request(shopify_event("orders/paid")), secrets)

    # Then it is refused as unauthenticated
    assert rejected.value.status == 401


def test_tampered_body_is_rejected(shopify_event, shopify_secrets):
    # Given a signed delivery whose total was changed in transit
    event = shopify_event("orders/paid")
    event["body"] = event["body"].replace('"total_price":"1250.00"', '"total_price":"1.00"')

    # When its signature is checked
    # Then it is refused
    with pytest.raises(SignatureError):
        SOURCE.authenticate(_request(event), shopify_secrets)


def test_hex_signature_is_rejected(shopify_event, shopify_secrets, shopify_secret):
    # Given the right HMAC, but written in hex rather than Shopify's base64
    event = shopify_event("orders/create")
    secret = shopify_secret.encode()
    digest = hmac.new(secret, event["body"].encode(), hashlib.sha256).hexdigest()
    event["headers"]["x-shopify-hmac-sha256"] = digest

    # When its signature is checked
    # Then it is refused
    with pytest.raises(SignatureError):
        SOURCE.authenticate(_request(event), shopify_secrets)


def test_header_names_are_matched_whatever_their_case(shopify_event, shopify_secrets):
    # Given a delivery whose header names arrive in Shopify's documented capitals
    event = shopify_event("orders/create")
    event["headers"] = {
        "-".join(part.capitalize() for part in name.split("-")): value
        for name, value in event["headers"].items()
    }
    assert "X-Shopify-Hmac-Sha256" in event["headers"]

    # When it is authenticated
    delivery = SOURCE.authenticate(_request(event), shopify_secrets)

    # Then it is accepted like the lower-case one
    assert delivery.topic == "orders/create"


def test_base64_body_from_api_gateway_is_decoded_before_hashing(shopify_event, shopify_secrets):
    # Given API Gateway delivering the signed body base64-encoded
    event = shopify_event("orders/create")
    raw = event["body"].encode()
    event["body"] = base64.b64encode(raw).decode()
    event["isBase64Encoded"] = True

    # When it is read and authenticated
    request = _request(event)
    delivery = SOURCE.authenticate(request, shopify_secrets)

    # Then the signature was checked over Shopify's bytes, and those bytes are parsed
    assert request.body == raw
    assert isinstance(SOURCE.parse(delivery, request.body), OrderSnapshot)


def test_base64_body_hashed_without_decoding_would_not_verify(shopify_event, shopify_secrets):
    # Given the base64 body, but the flag that says so lost on the way
    event = shopify_event("orders/create")
    event["body"] = base64.b64encode(event["body"].encode()).decode()

    # When it is authenticated
    # Then it is refused: only the sender's exact bytes verify
    with pytest.raises(SignatureError):
        SOURCE.authenticate(_request(event), shopify_secrets)


def test_unknown_shop_is_rejected(shopify_event, shopify_secrets):
    # Given a delivery from a shop with no secret configured
    event = shopify_event("orders/create")
    event["headers"]["x-shopify-shop-domain"] = "unknown-store.myshopify.com"

    # When it arrives
    with pytest.raises(SignatureError) as rejected:
        SOURCE.authenticate(_request(event), shopify_secrets)

    # Then it is refused, saying that no secret is configured
    assert "no secret" in rejected.value.reason


def test_app_wide_secret_authenticates_any_shop(shopify_event, shopify_secret):
    # Given a public app's client secret, configured for every shop as "*"
    secrets = {"shopify": {"*": shopify_secret}}
    event = shopify_event("orders/create")
    event["headers"]["x-shopify-shop-domain"] = "Another-Store.myshopify.com"

    # When a shop without its own entry delivers
    delivery = SOURCE.authenticate(_request(event), secrets)

    # Then it is accepted, and the shop domain (lower-cased) is the tenant
    assert delivery.tenant == "another-store.myshopify.com"


def test_a_shops_own_secret_is_preferred_to_the_app_wide_one(shopify_event, shopify_secret):
    # Given a shop with its own secret, which did not sign this delivery
    secrets = {"shopify": {SHOP: "rotated-secret", "*": shopify_secret}}

    # When the delivery arrives
    # Then the shop's own secret is the one checked, and it fails
    with pytest.raises(SignatureError):
        SOURCE.authenticate(_request(shopify_event("orders/create")), secrets)


@pytest.mark.parametrize("header", ["x-shopify-hmac-sha256", "x-shopify-shop-domain"])
def test_missing_signature_or_shop_is_rejected(shopify_event, shopify_secrets, header):
    # Given a delivery without its signature or its shop
    event = shopify_event("orders/create")
    del event["headers"][header]

    # When it arrives
    # Then it is refused as unauthenticated
    with pytest.raises(SignatureError):
        SOURCE.authenticate(_request(event), shopify_secrets)


# Deduplication keys


def test_deliveries_of_one_merchant_action_share_a_key(shopify_event, shopify_secrets):
    # Given two deliveries of one event (two subscriptions), each with its own webhook id
    first = shopify_event("orders/paid")
    second = shopify_event("orders/paid")
    second["headers"]["x-shopify-webhook-id"] = "another-delivery"

    # When both are authenticated
    keys = {SOURCE.authenticate(_request(e), shopify_secrets).key for e in (first, second)}

    # Then they have one key, built from the topic and the event id
    event_id = first["headers"]["x-shopify-event-id"]
    assert keys == {f"shopify/{SHOP}/orders/paid/{event_id}"}


def test_one_event_on_two_topics_gives_two_keys(shopify_event, shopify_secrets):
    # Given the same event id delivered on orders/paid and on orders/updated
    paid = shopify_event("orders/paid")
    updated = shopify_event("orders/updated")
    updated["headers"]["x-shopify-event-id"] = paid["headers"]["x-shopify-event-id"]

    # When both are authenticated
    keys = {SOURCE.authenticate(_request(e), shopify_secrets).key for e in (paid, updated)}

    # Then each topic is processed once, not one of them dropped as a duplicate
    assert len(keys) == 2


def test_key_falls_back_to_the_webhook_id(shopify_event, shopify_secrets):
    # Given a delivery without an event id
    event = shopify_event("orders/paid")
    del event["headers"]["x-shopify-event-id"]

    # When it is authenticated
    delivery = SOURCE.authenticate(_request(event), shopify_secrets)

    # Then its webhook id keys it
    webhook_id = event["headers"]["x-shopify-webhook-id"]
    assert delivery.key == f"shopify/{SHOP}/orders/paid/{webhook_id}"


def test_signed_delivery_without_topic_is_a_bad_request(shopify_event, shopify_secrets):
    # Given a correctly signed delivery that names no topic
    event = shopify_event("orders/paid")
    del event["headers"]["x-shopify-topic"]

    # When it is authenticated
    with pytest.raises(PayloadError) as rejected:
        SOURCE.authenticate(_request(event), shopify_secrets)

    # Then it is a 400, not a 401
    assert rejected.value.status == 400


# Bodies that are not what the topic promises


def test_body_that_is_not_json_is_a_bad_request(shopify_event, shopify_secrets, shopify_secret):
    # Given a signed orders/create delivery whose body is not JSON
    event = shopify_event("orders/create")
    event["body"] = "id=6000000001"
    event["headers"]["x-shopify-hmac-sha256"] = sign(b"id=6000000001", shopify_secret)

    # When it is parsed
    with pytest.raises(PayloadError) as rejected:
        _parse(event, shopify_secrets)

    # Then the answer is a 400 saying so
    assert rejected.value.status == 400
    assert rejected.value.reason == "body is not JSON"


def test_json_that_is_not_an_object_is_a_bad_request(shopify_event, shopify_secrets, with_body):
    # Given a signed orders/create delivery whose body is a JSON list
    event = with_body(shopify_event("orders/create"), [1, 2, 3])

    # When it is parsed
    # Then it is refused
    with pytest.raises(PayloadError, match="not a JSON object"):
        _parse(event, shopify_secrets)


def test_reason_names_bad_fields_but_never_their_values(shopify_event, shopify_secrets, with_body):
    # Given an order whose total and currency hold an email address
    event = shopify_event("orders/create")
    payload = _payload(event)
    payload["total_price"] = "asha.rao@example.com"
    payload["currency"] = "asha.rao@example.com"

    # When it is parsed
    with pytest.raises(PayloadError) as rejected:
        _parse(with_body(event, payload), shopify_secrets)

    # Then the reason names both fields, and the address appears nowhere in it
    reason = rejected.value.reason
    assert "total_price" in reason
    assert "currency" in reason
    assert "asha" not in reason
    assert "example.com" not in reason


def test_order_without_its_id_is_a_bad_request(shopify_event, shopify_secrets, with_body):
    # Given an order body missing its id
    event = shopify_event("orders/paid")
    payload = _payload(event)
    del payload["id"]

    # When it is parsed
    # Then the reason names the missing field
    with pytest.raises(PayloadError, match=r"\bid\b"):
        _parse(with_body(event, payload), shopify_secrets)


def test_refund_without_order_id_is_a_bad_request(shopify_event, shopify_secrets, with_body):
    # Given a refunds/create body that does not say which order it refunds
    event = shopify_event("refunds/create")
    payload = _payload(event)
    del payload["order_id"]

    # When it is parsed
    # Then it is refused, naming order_id
    with pytest.raises(PayloadError, match="order_id"):
        _parse(with_body(event, payload), shopify_secrets)


# What is ignored


def test_test_orders_are_ignored(shopify_event, shopify_secrets, with_body):
    # Given an order placed in test mode
    event = shopify_event("orders/create")
    payload = _payload(event)
    payload["test"] = True

    # When it is parsed
    parsed = _parse(with_body(event, payload), shopify_secrets)

    # Then it is acknowledged and ignored as a test order
    assert parsed == Ignored("test order")


def test_unhandled_topic_is_ignored_and_named(shopify_event, shopify_secrets):
    # Given a signed delivery on a topic the engine does not handle
    event = shopify_event("orders/create")
    event["headers"]["x-shopify-topic"] = "checkouts/create"

    # When it is parsed
    parsed = _parse(event, shopify_secrets)

    # Then it is ignored, and the reason names the topic
    assert isinstance(parsed, Ignored)
    assert "checkouts/create" in parsed.reason


# Orders


def test_order_sample_becomes_an_order_snapshot(shopify_snapshot):
    # Given the fulfilled order sample
    # When it is parsed
    order = shopify_snapshot("orders/fulfilled")

    # Then the snapshot carries what the profile is built from
    assert isinstance(order, OrderSnapshot)
    assert order.order_id == "6000000001"
    assert order.currency == "INR"
    assert order.total == Decimal("1250.00")
    assert order.paid is True
    assert order.fulfilled_at == datetime(2026, 1, 13, 10, 35, tzinfo=UTC)
    assert [line.quantity for line in order.lines] == [2, 1]
    assert order.customer is not None
    assert order.customer.customer_id == "7000000001"


def test_money_is_exact_decimal(shopify_snapshot):
    # Given the order sample, whose prices are strings
    order = shopify_snapshot("orders/create")

    # When its lines are added up
    assert isinstance(order, OrderSnapshot)
    lines = sum((line.unit_price * line.quantity for line in order.lines), Decimal(0))

    # Then they make the total exactly, with no binary float anywhere
    assert lines == order.total
    assert all(isinstance(line.unit_price, Decimal) for line in order.lines)


@pytest.mark.parametrize(
    ("financial_status", "paid"),
    [
        ("pending", False),
        ("authorized", False),
        ("voided", False),
        ("paid", True),
        ("partially_paid", True),
        ("partially_refunded", True),
        ("refunded", True),
    ],
)
def test_payment_is_read_from_the_financial_status(
    shopify_event, shopify_secrets, financial_status, paid, with_body
):
    # Given an order in a given financial status
    event = shopify_event("orders/create")
    payload = _payload(event)
    payload["financial_status"] = financial_status

    # When it is parsed
    order = _parse(with_body(event, payload), shopify_secrets)

    # Then it counts as paid only once money was taken
    assert order.paid is paid


def test_cancelled_order_is_marked_cancelled(shopify_snapshot):
    # Given the cancelled order sample
    # When it is parsed
    order = shopify_snapshot("orders/cancelled")

    # Then it is cancelled and unpaid
    assert isinstance(order, OrderSnapshot)
    assert order.cancelled is True
    assert order.paid is False


def test_partly_fulfilled_order_has_no_fulfilment_time(shopify_event, shopify_secrets, with_body):
    # Given an order of which only part has shipped
    event = shopify_event("orders/fulfilled")
    payload = _payload(event)
    payload["fulfillment_status"] = "partial"

    # When it is parsed
    order = _parse(with_body(event, payload), shopify_secrets)

    # Then it is not yet fulfilled
    assert order.fulfilled_at is None


def test_cancelled_fulfilment_does_not_count(shopify_event, shopify_secrets, with_body):
    # Given a fulfilled order with an earlier, cancelled fulfilment
    event = shopify_event("orders/fulfilled")
    payload = _payload(event)
    cancelled = copy.deepcopy(payload["fulfillments"][0])
    cancelled.update(status="cancelled", created_at="2026-01-12T09:00:00+05:30")
    payload["fulfillments"].insert(0, cancelled)

    # When it is parsed
    order = _parse(with_body(event, payload), shopify_secrets)

    # Then the fulfilment time is the one that shipped
    assert order.fulfilled_at == datetime(2026, 1, 13, 10, 35, tzinfo=UTC)


def test_only_successful_refund_transactions_count(shopify_event, shopify_secrets, with_body):
    # Given a refund with a successful transaction and a failed retry of it
    event = shopify_event("refunds/create")
    payload = _payload(event)
    failed = copy.deepcopy(payload["transactions"][0])
    failed.update(id=6900000003, status="failure")
    payload["transactions"].append(failed)

    # When it is parsed
    refund = _parse(with_body(event, payload), shopify_secrets)

    # Then only the money actually returned counts, in the refund's currency
    assert isinstance(refund, RefundSnapshot)
    assert refund.amount == Decimal("350.00")
    assert refund.currency == "INR"


def test_refund_sample_becomes_a_refund_snapshot(shopify_snapshot):
    # Given the refunds/create sample
    # When it is parsed
    refund = shopify_snapshot("refunds/create")

    # Then it names its order and the amount returned
    assert refund == RefundSnapshot(
        refund_id="1010000001",
        order_id="6000000001",
        created_at=datetime(2026, 1, 18, 5, 50, tzinfo=UTC),
        currency="INR",
        amount=Decimal("350.00"),
    )


def test_order_lists_its_refunds_by_id(shopify_snapshot):
    # Given the order as it stands after the refund
    # When it is parsed
    order = shopify_snapshot("orders/updated")

    # Then the refund is listed under its own id, so it can be matched with refunds/create
    assert isinstance(order, OrderSnapshot)
    assert order.refunds == {"1010000001": Decimal("350.00")}


def test_guest_order_uses_the_contact_email(shopify_event, shopify_secrets, with_body):
    # Given a guest checkout: no customer, no email, a contact email
    event = shopify_event("orders/create")
    payload = _payload(event)
    payload.update(customer=None, email=None, contact_email="guest@example.com")

    # When it is parsed
    order = _parse(with_body(event, payload), shopify_secrets)

    # Then the order is the guest's, by that address
    assert order.customer is None
    assert order.email == "guest@example.com"


def test_order_without_customer_or_email_belongs_to_nobody(
    shopify_event, shopify_secrets, with_body
):
    # Given a point-of-sale order with no customer and no email
    event = shopify_event("orders/create")
    payload = _payload(event)
    payload.update(customer=None, email=None, contact_email=None)

    # When it is parsed
    order = _parse(with_body(event, payload), shopify_secrets)

    # Then it parses, and no profile key can be made for it
    assert order.customer is None
    assert customer_key("shopify", None, order.email) is None


def test_very_large_order_keeps_its_line_count(shopify_event, shopify_secrets, with_body):
    # Given a wholesale order of 300 lines
    event = shopify_event("orders/create")
    payload = _payload(event)
    line = payload["line_items"][0]
    payload["line_items"] = [{**line, "id": line["id"] + n} for n in range(300)]

    # When it is parsed
    order = _parse(with_body(event, payload), shopify_secrets)

    # Then every line is counted
    assert order.line_count == 300


# Customers and consent


def test_customer_sample_becomes_a_customer_snapshot(shopify_snapshot):
    # Given the customers/create sample
    # When it is parsed
    customer = shopify_snapshot("customers/create")

    # Then the person and their consent are read
    assert isinstance(customer, CustomerSnapshot)
    assert customer.customer_id == "7000000001"
    assert customer.email == "asha.rao@example.com"
    assert customer.consent.email is True
    assert customer.consent.sms is False


def _customer_fields(event: Event, **fields: Any) -> dict[str, Any]:
    """The customer sample with its consent fields replaced by ``fields``."""
    payload = _payload(event)
    payload.pop("email_marketing_consent", None)
    payload.pop("accepts_marketing", None)
    payload.update(fields)
    return payload


@pytest.mark.parametrize(
    ("fields", "consent"),
    [
        ({"email_marketing_consent": {"state": "subscribed"}}, True),
        ({"email_marketing_consent": {"state": "unsubscribed"}}, False),
        ({"email_marketing_consent": {"state": "pending"}}, False),
        ({"accepts_marketing": True}, True),
        ({"accepts_marketing": False}, False),
        (
            {"email_marketing_consent": {"state": "unsubscribed"}, "accepts_marketing": True},
            False,
        ),
        ({}, None),
    ],
    ids=[
        "subscribed",
        "unsubscribed",
        "pending-double-opt-in",
        "deprecated-true",
        "deprecated-false",
        "new-field-wins",
        "nothing-said",
    ],
)
def test_email_consent(shopify_event, shopify_secrets, with_body, fields, consent):
    # Given a customer whose consent is stated one way or another
    event = shopify_event("customers/update")
    event = with_body(event, _customer_fields(event, **fields))

    # When it is parsed
    customer = _parse(event, shopify_secrets)

    # Then email_marketing_consent decides, and the deprecated flag only when it is absent
    assert customer.consent.email is consent


def test_customer_tags_are_split(shopify_event, shopify_secrets, with_body):
    # Given a customer tagged in Shopify's comma-separated form
    event = shopify_event("customers/update")
    event = with_body(event, _customer_fields(event, tags="vip, chai-lover,,"))

    # When it is parsed
    customer = _parse(event, shopify_secrets)

    # Then each tag stands alone
    assert customer.tags == ("vip", "chai-lover")


# Published payloads


def _published(name: str) -> tuple[str, bytes]:
    """A published body and the topic it was delivered on, from its file name."""
    resource, _, action = name.split(".")[0].partition("_")
    return f"{resource}/{action}", (PUBLISHED_SHOPIFY / name).read_bytes()


published = pytest.mark.skipif(
    not PUBLISHED_SHOPIFY.is_dir(),
    reason="the shared published Shopify payloads are not present",
)
PUBLISHED_ORDERS = [
    "orders_create.rudderstack.json",
    "orders_paid.rudderstack.json",
    "orders_updated.rudderstack.json",
]
PUBLISHED_UNHANDLED = [
    "carts_create.rudderstack.json",
    "checkouts_create.rudderstack.json",
    "checkouts_update.rudderstack.json",
    "fulfillments_update.rudderstack.json",
]


def _parse_published(name: str, topic: str | None = None) -> Any:
    published_topic, body = _published(name)
    delivery = Delivery("shopify", SHOP, topic or published_topic, key="published")
    return SOURCE.parse(delivery, body)


@published
@pytest.mark.parametrize("name", PUBLISHED_ORDERS)
def test_published_orders_become_order_snapshots(name):
    # Given an order body captured from a development store
    # When it is parsed on its topic
    order = _parse_published(name)

    # Then it is the customer's order, with its total as an exact Decimal
    assert isinstance(order, OrderSnapshot)
    assert order.total == Decimal("600.00")
    assert order.customer is not None
    assert order.customer.customer_id == "7358220173425"


@published
def test_published_customer_reads_the_deprecated_consent_flag():
    # Given a customers/create body from before email_marketing_consent existed
    # When it is parsed
    customer = _parse_published("customers_create.rudderstack.json")

    # Then its accepts_marketing false is read as no consent
    assert isinstance(customer, CustomerSnapshot)
    assert customer.consent.email is False


@published
def test_shopifys_own_sample_order_is_a_test_order():
    # Given the sample order in Shopify's webhook reference, delivered as orders/create
    # When it is parsed
    parsed = _parse_published("orders_partially_fulfilled.rudderstack.json", "orders/create")

    # Then it is ignored, since Shopify marks it as a test order
    assert parsed == Ignored("test order")


@published
def test_published_body_missing_required_fields_is_refused_by_name():
    # Given an orders/cancelled body trimmed to a few fields (no id, no currency)
    # When it is parsed
    with pytest.raises(PayloadError) as rejected:
        _parse_published("orders_cancelled.rudderstack.json")

    # Then the reason lists what is missing, and none of the body's values
    assert "id: Field required" in rejected.value.reason
    assert "currency" in rejected.value.reason
    assert "example.com" not in rejected.value.reason


@published
@pytest.mark.parametrize("name", PUBLISHED_UNHANDLED)
def test_published_bodies_on_unhandled_topics_are_ignored(name):
    # Given a published body on a topic the engine does not handle yet
    # When it is parsed
    parsed = _parse_published(name)

    # Then it is acknowledged and ignored, naming its topic
    assert isinstance(parsed, Ignored)
    assert _published(name)[0] in parsed.reason


@published
def test_shopifys_published_redact_request_names_the_customer_and_orders():
    # Given the customers/redact body of Shopify's own app template
    # When it is parsed
    parsed = _parse_published("customers_redact.shopify-app-template-node.json")

    # Then it asks to erase that customer, by id and email, with the orders listed
    assert isinstance(parsed, RedactRequest)
    assert parsed.customer_id is not None
    assert parsed.email is not None
    assert parsed.order_ids


@published
@pytest.mark.parametrize(
    "name",
    [
        "customers_data_request.shopify-app-template-node.json",
        "shop_redact.shopify-app-template-node.json",
    ],
)
def test_the_other_privacy_topics_are_acknowledged_with_what_to_do(name):
    parsed = _parse_published(name)

    assert isinstance(parsed, Ignored)
    assert "profile" in parsed.reason or "by hand" in parsed.reason
