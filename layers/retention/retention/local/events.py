"""Regenerate the sample events in ``events/`` (``make events``).

The Shopify bodies are our own sample data, written in the shape of the payloads Shopify
publishes for each topic: the same field names, nesting and value types (money as strings,
times with the shop's UTC offset). Every id, time and delivery id is fixed, so a run writes
the same bytes each time and a unit test can tell when the committed files drift.

Each body is signed over its exact bytes with the local secret of ``demo-store.myshopify.com``
and wrapped in the API Gateway HTTP API (payload 2.0) event that the webhook function gets.

The story, in the order the files are best invoked:

1. ``customers/create``: Asha Rao (customer 7000000001) signs up, subscribed to email.
2. ``orders/create``: her order #1001 (6000000001) at 00:30 in Kolkata, two lines, pending.
3. ``orders/paid``: the UPI payment for #1001 arrives.
4. ``orders/fulfilled``: #1001 ships the next afternoon.
5. ``refunds/create``: the strainer arrives damaged and is refunded, a partial refund.
6. ``orders/updated``: #1001 as it stands after the refund (the same refund id again).
7. ``customers/update``: Asha changes her phone number; still subscribed.
8. ``orders/cancelled``: Rohan Mehta (7000000002), not subscribed, cancels #1002.
9. ``customers/email_marketing_consent_update``: Rohan subscribes to email after all; since
   API 2025-01 this topic is the only one that carries consent.
"""

import argparse
import base64
import hashlib
import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from retention.domain.identity import customer_key
from retention.domain.profiles import Profile
from retention.domain.rules import RetentionRules
from retention.domain.triggers import TriggerKind, candidates
from retention.local.secret_values import DEFAULT_FILE, SECRETS_VARIABLE, secrets_file
from retention.vendors.shopify import sign

Json = dict[str, Any]

SHOP = "demo-store.myshopify.com"
SHOP_ID = 71000000001
API_VERSION = "2025-10"
CURRENCY = "INR"
ROUTE_KEY = "POST /webhooks/shopify"
WEBHOOK_PATH = "/webhooks/shopify"
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
API_ID = "r3tent1on0"
TRIGGER_QUEUE = "retention-triggers"
SCHEDULED_TIME = "2026-02-26T05:00:00Z"
SHOPIFY_ADDRESS = "192.0.2.80"
SHOPIFY_AGENT = "Shopify-Captain-Hook"
KOLKATA = timezone(timedelta(hours=5, minutes=30))
# Fixed, so that every delivery, request and message id is the same on every run.
IDS = uuid.UUID("5b0e6f3c-2a41-4f4e-9d3a-7c1d2e8f9a10")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ZERO = Decimal("0.00")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # The file the local stack reads, so the events carry the secret it checks them against.
    secrets = secrets_file(Path.cwd(), args.secrets)
    secret = _shop_secret(secrets)
    if secret is None:
        print(f"no Shopify secret for {SHOP} in {secrets}", file=sys.stderr)
        return 1

    for relative, event in sample_events(secret):
        path = args.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dump(event), encoding="utf-8", newline="\n")
        print(f"wrote {path}")
    return 0


def sample_events(secret: str) -> Iterator[tuple[Path, Json]]:
    """Every sample event, with its path under ``events/``."""
    for topic, payload, delivered_at in _shopify_deliveries():
        name = topic.replace("/", "_") + ".json"
        yield Path("shopify", name), _webhook_event(topic, payload, delivered_at, secret)

    yield Path("sqs", "trigger.json"), _trigger_event()
    yield Path("schedule", "scan.json"), {"scheduled_time": SCHEDULED_TIME}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="retention-local make-events",
        description="Regenerate the signed sample events.",
    )
    parser.add_argument("--out", type=Path, default=Path("events"), help="folder to write")
    parser.add_argument(
        "--secrets",
        type=Path,
        help=f"local secrets file (default: ${SECRETS_VARIABLE}, else {DEFAULT_FILE})",
    )
    return parser


def _shop_secret(path: Path) -> str | None:
    """The demo shop's secret; the file may hold a secret's value as an object or a string."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        webhooks = document.get("WebhookSecrets") if isinstance(document, dict) else None
        if isinstance(webhooks, str):
            webhooks = json.loads(webhooks)
    except (OSError, json.JSONDecodeError):
        return None

    shops = webhooks.get("shopify") if isinstance(webhooks, dict) else None
    secret = shops.get(SHOP) if isinstance(shops, dict) else None
    return secret if isinstance(secret, str) and secret else None


def _dump(document: Json) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# The story's people, products and orders.


@dataclass(frozen=True)
class Person:
    customer_id: int
    address_id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    address1: str
    address2: str | None
    city: str
    province: str
    province_code: str
    zip: str
    created_at: datetime
    consent: str
    consent_updated_at: datetime | None
    tags: str = ""


@dataclass(frozen=True)
class Item:
    line_id: int
    product_id: int
    variant_id: int
    sku: str
    title: str
    variant_title: str | None
    price: Decimal
    quantity: int
    grams: int

    @property
    def name(self) -> str:
        return f"{self.title} - {self.variant_title}" if self.variant_title else self.title

    @property
    def subtotal(self) -> Decimal:
        return self.price * self.quantity


@dataclass(frozen=True)
class Refund:
    refund_id: int
    transaction_id: int
    line_id: int
    item: Item
    quantity: int
    created_at: datetime
    note: str

    @property
    def amount(self) -> Decimal:
        return self.item.price * self.quantity


@dataclass(frozen=True)
class Sale:
    order_id: int
    number: int
    person: Person
    items: tuple[Item, ...]
    shipping_line_id: int
    shipping: Decimal
    created_at: datetime
    gateway: str
    note: str | None
    marketing: bool

    @property
    def subtotal(self) -> Decimal:
        return sum((item.subtotal for item in self.items), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping

    @property
    def token(self) -> str:
        return hashlib.sha256(f"order/{self.order_id}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Fulfilment:
    fulfilment_id: int
    created_at: datetime
    tracking_number: str


@dataclass(frozen=True)
class OrderState:
    """What changes on an order between its webhooks."""

    updated_at: datetime
    financial_status: str
    processed_at: datetime | None = None
    fulfilment: Fulfilment | None = None
    refunds: tuple[Refund, ...] = ()
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    closed_at: datetime | None = None
    line_fulfilment: dict[int, str] = field(default_factory=dict)


ASHA = Person(
    customer_id=7000000001,
    address_id=9100000001,
    first_name="Asha",
    last_name="Rao",
    email="asha.rao@example.com",
    phone="+15555550101",
    address1="12 Example Lane",
    address2="Flat 4B",
    city="Bengaluru",
    province="Karnataka",
    province_code="KA",
    zip="560001",
    created_at=datetime(2026, 1, 10, 18, 5, 12, tzinfo=KOLKATA),
    consent="subscribed",
    consent_updated_at=datetime(2026, 1, 10, 18, 5, 11, tzinfo=KOLKATA),
)
ASHA_UPDATED = replace(ASHA, phone="+15555550111")
ASHA_UPDATED_AT = datetime(2026, 1, 25, 9, 15, 4, tzinfo=KOLKATA)

ROHAN = Person(
    customer_id=7000000002,
    address_id=9100000002,
    first_name="Rohan",
    last_name="Mehta",
    email="rohan.mehta@example.com",
    phone="+15555550102",
    address1="48 Sample Road",
    address2=None,
    city="Pune",
    province="Maharashtra",
    province_code="MH",
    zip="411001",
    created_at=datetime(2026, 1, 20, 18, 39, 55, tzinfo=KOLKATA),
    consent="not_subscribed",
    consent_updated_at=None,
)

CHAI = Item(
    line_id=16000000001,
    product_id=8000000001,
    variant_id=45000000001,
    sku="CHAI-ASSAM-250",
    title="Assam Masala Chai",
    variant_title="250 g",
    price=Decimal("450.00"),
    quantity=2,
    grams=250,
)
STRAINER = Item(
    line_id=16000000002,
    product_id=8000000002,
    variant_id=45000000002,
    sku="STRAINER-BRASS",
    title="Brass Tea Strainer",
    variant_title=None,
    price=Decimal("350.00"),
    quantity=1,
    grams=120,
)
DARJEELING = Item(
    line_id=16000000003,
    product_id=8000000003,
    variant_id=45000000003,
    sku="DARJ-FF-100",
    title="Darjeeling First Flush",
    variant_title="100 g",
    price=Decimal("780.00"),
    quantity=1,
    grams=100,
)

FIRST_ORDER = Sale(
    order_id=6000000001,
    number=1001,
    person=ASHA,
    items=(CHAI, STRAINER),
    shipping_line_id=4300000001,
    shipping=ZERO,
    # 00:30 in Kolkata is still the previous day in UTC: the order counts for 12 January.
    created_at=datetime(2026, 1, 12, 0, 30, 0, tzinfo=KOLKATA),
    gateway="razorpay",
    note="Please gift-wrap — it's a present",
    marketing=True,
)
FULFILMENT = Fulfilment(
    fulfilment_id=5500000001,
    created_at=datetime(2026, 1, 13, 16, 5, 0, tzinfo=KOLKATA),
    tracking_number="DEMO0000000001",
)
DAMAGED_STRAINER = Refund(
    refund_id=1010000001,
    transaction_id=6900000002,
    line_id=1020000001,
    item=STRAINER,
    quantity=1,
    created_at=datetime(2026, 1, 18, 11, 20, 0, tzinfo=KOLKATA),
    note="Strainer arrived bent",
)
PAYMENT_ID = 6900000001

CANCELLED_ORDER = Sale(
    order_id=6000000002,
    number=1002,
    person=ROHAN,
    items=(DARJEELING,),
    shipping_line_id=4300000002,
    shipping=Decimal("60.00"),
    created_at=datetime(2026, 1, 20, 18, 42, 10, tzinfo=KOLKATA),
    gateway="razorpay",
    note=None,
    marketing=False,
)


ROHAN_SUBSCRIBES_AT = datetime(2026, 1, 27, 9, 12, 44, tzinfo=KOLKATA)


def _shopify_deliveries() -> Iterator[tuple[str, Json, datetime]]:
    """Each topic's payload and when Shopify delivered it."""
    created = FIRST_ORDER.created_at
    paid_at = created + timedelta(minutes=1, seconds=38)
    fulfilled = {CHAI.line_id: "fulfilled", STRAINER.line_id: "fulfilled"}
    after_refund = DAMAGED_STRAINER.created_at + timedelta(seconds=1)

    states = {
        "orders/create": OrderState(created + timedelta(seconds=2), "pending"),
        "orders/paid": OrderState(paid_at, "paid", processed_at=paid_at),
        "orders/fulfilled": OrderState(
            FULFILMENT.created_at + timedelta(seconds=1),
            "paid",
            processed_at=paid_at,
            fulfilment=FULFILMENT,
            line_fulfilment=fulfilled,
        ),
        "orders/updated": OrderState(
            after_refund,
            "partially_refunded",
            processed_at=paid_at,
            fulfilment=FULFILMENT,
            refunds=(DAMAGED_STRAINER,),
            line_fulfilment=fulfilled,
        ),
    }

    yield _delivered("customers/create", _customer(ASHA, ASHA.created_at))
    for topic in ("orders/create", "orders/paid", "orders/fulfilled"):
        yield _delivered(topic, _order(FIRST_ORDER, states[topic]))
    yield _delivered("refunds/create", _refund(FIRST_ORDER, DAMAGED_STRAINER))
    yield _delivered("orders/updated", _order(FIRST_ORDER, states["orders/updated"]))
    yield _delivered("customers/update", _customer(ASHA_UPDATED, ASHA_UPDATED_AT))
    yield _delivered("orders/cancelled", _order(CANCELLED_ORDER, _cancelled()))
    yield _consent_delivered(ROHAN_SUBSCRIBES_AT)


def _cancelled() -> OrderState:
    cancelled_at = CANCELLED_ORDER.created_at + timedelta(minutes=23)
    return OrderState(
        cancelled_at,
        "voided",
        cancelled_at=cancelled_at,
        cancel_reason="customer",
        closed_at=cancelled_at,
    )


def _consent_delivered(subscribed_at: datetime) -> tuple[str, Json, datetime]:
    """Rohan subscribes after all. Since API 2025-01 Shopify sends consent only this way."""
    payload = {
        "customer_id": ROHAN.customer_id,
        "email_address": ROHAN.email,
        "email_marketing_consent": {
            "state": "subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": _time(subscribed_at),
            "consent_collected_from": "SHOPIFY",
        },
    }
    delivered = subscribed_at + timedelta(seconds=1, microseconds=284316)
    return "customers/email_marketing_consent_update", payload, delivered


def _delivered(topic: str, payload: Json) -> tuple[str, Json, datetime]:
    changed = datetime.fromisoformat(payload.get("updated_at") or payload["created_at"])
    return topic, payload, changed + timedelta(seconds=1, microseconds=284316)


# Shopify's resources, field for field in the order Shopify writes them.


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _amount(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _money(amount: Decimal) -> Json:
    bag = {"amount": _amount(amount), "currency_code": CURRENCY}
    return {"shop_money": bag, "presentment_money": dict(bag)}


def _gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def _address(person: Person) -> Json:
    return {
        "first_name": person.first_name,
        "address1": person.address1,
        "phone": person.phone,
        "city": person.city,
        "zip": person.zip,
        "province": person.province,
        "country": "India",
        "last_name": person.last_name,
        "address2": person.address2,
        "company": None,
        "latitude": None,
        "longitude": None,
        "name": f"{person.first_name} {person.last_name}",
        "country_code": "IN",
        "province_code": person.province_code,
    }


def _default_address(person: Person) -> Json:
    return {
        "id": person.address_id,
        "customer_id": person.customer_id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "company": None,
        "address1": person.address1,
        "address2": person.address2,
        "city": person.city,
        "province": person.province,
        "country": "India",
        "zip": person.zip,
        "phone": person.phone,
        "name": f"{person.first_name} {person.last_name}",
        "province_code": person.province_code,
        "country_code": "IN",
        "country_name": "India",
        "default": True,
    }


def _email_consent(person: Person) -> Json:
    subscribed = person.consent == "subscribed"
    return {
        "state": person.consent,
        "opt_in_level": "single_opt_in" if subscribed else None,
        "consent_updated_at": _time(person.consent_updated_at),
    }


def _sms_consent() -> Json:
    return {
        "state": "not_subscribed",
        "opt_in_level": "single_opt_in",
        "consent_updated_at": None,
        "consent_collected_from": "OTHER",
    }


def _customer(person: Person, updated_at: datetime) -> Json:
    """The Customer resource, as ``customers/create`` and ``customers/update`` send it."""
    return {
        "id": person.customer_id,
        "email": person.email,
        "created_at": _time(person.created_at),
        "updated_at": _time(updated_at),
        "first_name": person.first_name,
        "last_name": person.last_name,
        "orders_count": 0,
        "state": "enabled",
        "total_spent": "0.00",
        "last_order_id": None,
        "note": None,
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": False,
        "tags": person.tags,
        "last_order_name": None,
        "currency": CURRENCY,
        "phone": person.phone,
        "addresses": [_default_address(person)],
        "tax_exemptions": [],
        "email_marketing_consent": _email_consent(person),
        "sms_marketing_consent": _sms_consent(),
        "admin_graphql_api_id": _gid("Customer", person.customer_id),
        "default_address": _default_address(person),
    }


def _order_customer(person: Person) -> Json:
    """The customer as an order embeds it: fewer fields than the Customer resource."""
    return {
        "id": person.customer_id,
        "email": person.email,
        "created_at": _time(person.created_at),
        "updated_at": _time(person.created_at),
        "first_name": person.first_name,
        "last_name": person.last_name,
        "state": "enabled",
        "note": None,
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": False,
        "phone": person.phone,
        "email_marketing_consent": _email_consent(person),
        "sms_marketing_consent": _sms_consent(),
        "tags": person.tags,
        "currency": CURRENCY,
        "tax_exemptions": [],
        "admin_graphql_api_id": _gid("Customer", person.customer_id),
        "default_address": _default_address(person),
    }


def _line_item(item: Item, status: str | None, refunded: int = 0) -> Json:
    remaining = item.quantity - refunded
    return {
        "id": item.line_id,
        "admin_graphql_api_id": _gid("LineItem", item.line_id),
        "attributed_staffs": [],
        "current_quantity": remaining,
        "fulfillable_quantity": 0 if status == "fulfilled" else remaining,
        "fulfillment_service": "manual",
        "fulfillment_status": status,
        "gift_card": False,
        "grams": item.grams,
        "name": item.name,
        "price": _amount(item.price),
        "price_set": _money(item.price),
        "product_exists": True,
        "product_id": item.product_id,
        "properties": [],
        "quantity": item.quantity,
        "requires_shipping": True,
        "sku": item.sku,
        "taxable": True,
        "title": item.title,
        "total_discount": "0.00",
        "total_discount_set": _money(ZERO),
        "variant_id": item.variant_id,
        "variant_inventory_management": "shopify",
        "variant_title": item.variant_title,
        "vendor": "Demo Tea Co",
        "tax_lines": [],
        "duties": [],
        "discount_allocations": [],
    }


def _shipping_line(sale: Sale) -> Json:
    return {
        "id": sale.shipping_line_id,
        "carrier_identifier": None,
        "code": "Standard",
        "discounted_price": _amount(sale.shipping),
        "discounted_price_set": _money(sale.shipping),
        "is_removed": False,
        "phone": None,
        "price": _amount(sale.shipping),
        "price_set": _money(sale.shipping),
        "requested_fulfillment_service_id": None,
        "source": "shopify",
        "title": "Standard",
        "tax_lines": [],
        "discount_allocations": [],
    }


def _fulfilment(sale: Sale, fulfilment: Fulfilment) -> Json:
    tracking_url = f"https://tracking.example.com/{fulfilment.tracking_number}"
    return {
        "id": fulfilment.fulfilment_id,
        "admin_graphql_api_id": _gid("Fulfillment", fulfilment.fulfilment_id),
        "created_at": _time(fulfilment.created_at),
        "location_id": 66000000001,
        "name": f"#{sale.number}.1",
        "order_id": sale.order_id,
        "origin_address": None,
        "receipt": {},
        "service": "manual",
        "shipment_status": None,
        "status": "success",
        "tracking_company": "Other",
        "tracking_number": fulfilment.tracking_number,
        "tracking_numbers": [fulfilment.tracking_number],
        "tracking_url": tracking_url,
        "tracking_urls": [tracking_url],
        "updated_at": _time(fulfilment.created_at),
        "line_items": [_line_item(item, "fulfilled") for item in sale.items],
    }


def _transaction(sale: Sale, refund: Refund) -> Json:
    return {
        "id": refund.transaction_id,
        "order_id": sale.order_id,
        "kind": "refund",
        "gateway": sale.gateway,
        "status": "success",
        "message": "Refund processed",
        "created_at": _time(refund.created_at),
        "test": False,
        "authorization": None,
        "location_id": None,
        "user_id": None,
        "parent_id": PAYMENT_ID,
        "processed_at": _time(refund.created_at),
        "device_id": None,
        "error_code": None,
        "source_name": "web",
        "receipt": {},
        "amount": _amount(refund.amount),
        "currency": CURRENCY,
        "payment_id": f"#{sale.number}.2",
        "total_unsettled_set": _money(ZERO),
        "manual_payment_gateway": False,
        "amount_rounding": None,
        "admin_graphql_api_id": _gid("OrderTransaction", refund.transaction_id),
    }


def _refund(sale: Sale, refund: Refund) -> Json:
    """The Refund resource, as ``refunds/create`` sends it and as an order lists it."""
    line = {
        "id": refund.line_id,
        "line_item_id": refund.item.line_id,
        "location_id": None,
        "quantity": refund.quantity,
        "restock_type": "no_restock",
        # Shopify writes these two as numbers, unlike every other amount.
        "subtotal": float(refund.amount),
        "subtotal_set": _money(refund.amount),
        "total_tax": 0.0,
        "total_tax_set": _money(ZERO),
        "line_item": _line_item(refund.item, "fulfilled"),
    }
    return {
        "id": refund.refund_id,
        "order_id": sale.order_id,
        "created_at": _time(refund.created_at),
        "note": refund.note,
        "user_id": 110000000001,
        "processed_at": _time(refund.created_at),
        "duties": [],
        "total_duties_set": _money(ZERO),
        "return": None,
        "restock": False,
        "refund_shipping_lines": [],
        "admin_graphql_api_id": _gid("Refund", refund.refund_id),
        "order_adjustments": [],
        "refund_line_items": [line],
        "transactions": [_transaction(sale, refund)],
    }


def _order(sale: Sale, state: OrderState) -> Json:
    """The Order resource, as the ``orders/*`` topics send it."""
    refunded = sum((refund.amount for refund in state.refunds), ZERO)
    current = sale.total - refunded
    paid = state.financial_status in {"paid", "partially_refunded", "refunded"}
    person = sale.person
    return {
        "id": sale.order_id,
        "admin_graphql_api_id": _gid("Order", sale.order_id),
        "app_id": 580111,
        "browser_ip": "192.0.2.44",
        "buyer_accepts_marketing": sale.marketing,
        "cancel_reason": state.cancel_reason,
        "cancelled_at": _time(state.cancelled_at),
        "cart_token": None,
        "checkout_id": sale.order_id + 30000000000,
        "checkout_token": _digest(f"checkout/{sale.order_id}").hex()[:32],
        "client_details": None,
        "closed_at": _time(state.closed_at),
        "confirmation_number": f"DEMO{sale.number}",
        "confirmed": True,
        "contact_email": person.email,
        "created_at": _time(sale.created_at),
        "currency": CURRENCY,
        "current_subtotal_price": _amount(sale.subtotal - refunded),
        "current_subtotal_price_set": _money(sale.subtotal - refunded),
        "current_total_additional_fees_set": None,
        "current_total_discounts": "0.00",
        "current_total_discounts_set": _money(ZERO),
        "current_total_duties_set": None,
        "current_total_price": _amount(current),
        "current_total_price_set": _money(current),
        "current_total_tax": "0.00",
        "current_total_tax_set": _money(ZERO),
        "customer_locale": "en-IN",
        "device_id": None,
        "discount_codes": [],
        "email": person.email,
        "estimated_taxes": False,
        "financial_status": state.financial_status,
        "fulfillment_status": "fulfilled" if state.fulfilment else None,
        "landing_site": "/",
        "landing_site_ref": None,
        "location_id": None,
        "merchant_of_record_app_id": None,
        "name": f"#{sale.number}",
        "note": sale.note,
        "note_attributes": [],
        "number": sale.number - 1000,
        "order_number": sale.number,
        "order_status_url": (
            f"https://{SHOP}/{SHOP_ID}/orders/{sale.token}/authenticate?key={sale.token[:16]}"
        ),
        "original_total_additional_fees_set": None,
        "original_total_duties_set": None,
        "payment_gateway_names": [sale.gateway],
        "phone": None,
        "po_number": None,
        "presentment_currency": CURRENCY,
        "processed_at": _time(state.processed_at or sale.created_at),
        "reference": None,
        "referring_site": "",
        "source_identifier": None,
        "source_name": "web",
        "source_url": None,
        "subtotal_price": _amount(sale.subtotal),
        "subtotal_price_set": _money(sale.subtotal),
        "tags": "",
        "tax_exempt": False,
        "tax_lines": [],
        "taxes_included": False,
        "test": False,
        "token": sale.token,
        "total_discounts": "0.00",
        "total_discounts_set": _money(ZERO),
        "total_line_items_price": _amount(sale.subtotal),
        "total_line_items_price_set": _money(sale.subtotal),
        "total_outstanding": "0.00" if paid else _amount(sale.total),
        "total_price": _amount(sale.total),
        "total_price_set": _money(sale.total),
        "total_shipping_price_set": _money(sale.shipping),
        "total_tax": "0.00",
        "total_tax_set": _money(ZERO),
        "total_tip_received": "0.00",
        "total_weight": sum(item.grams * item.quantity for item in sale.items),
        "updated_at": _time(state.updated_at),
        "user_id": None,
        "billing_address": _address(person),
        "customer": _order_customer(person),
        "discount_applications": [],
        "fulfillments": [_fulfilment(sale, state.fulfilment)] if state.fulfilment else [],
        "line_items": [
            _line_item(
                item,
                state.line_fulfilment.get(item.line_id),
                sum(r.quantity for r in state.refunds if r.item == item),
            )
            for item in sale.items
        ],
        "payment_terms": None,
        "refunds": [_refund(sale, refund) for refund in state.refunds],
        "shipping_address": _address(person),
        "shipping_lines": [_shipping_line(sale)],
    }


# The envelopes: API Gateway, SQS.


def _webhook_event(topic: str, payload: Json, delivered_at: datetime, secret: str) -> Json:
    """The API Gateway HTTP API event of one Shopify delivery; the body is what is signed."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    raw = body.encode("utf-8")
    utc = delivered_at.astimezone(UTC)
    headers = {
        "accept": "*/*",
        "accept-encoding": "gzip;q=1.0,deflate;q=0.6,identity;q=0.3",
        "content-length": str(len(raw)),
        "content-type": "application/json",
        "host": _domain(),
        "user-agent": SHOPIFY_AGENT,
        "x-amzn-trace-id": _trace_id(topic, utc),
        "x-forwarded-for": SHOPIFY_ADDRESS,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        "x-shopify-api-version": API_VERSION,
        "x-shopify-event-id": str(uuid.uuid5(IDS, f"event/{topic}")),
        "x-shopify-hmac-sha256": sign(raw, secret),
        "x-shopify-shop-domain": SHOP,
        "x-shopify-topic": topic,
        "x-shopify-triggered-at": f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}000Z",
        "x-shopify-webhook-id": str(uuid.uuid5(IDS, f"webhook/{topic}")),
    }
    return {
        "version": "2.0",
        "routeKey": ROUTE_KEY,
        "rawPath": WEBHOOK_PATH,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": _request_context(topic, utc),
        "body": body,
        "isBase64Encoded": False,
    }


def _domain() -> str:
    return f"{API_ID}.execute-api.{REGION}.amazonaws.com"


def _request_context(topic: str, utc: datetime) -> Json:
    request_id = base64.b64encode(_digest(f"request/{topic}")[:11]).decode()
    return {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": _domain(),
        "domainPrefix": API_ID,
        "http": {
            "method": "POST",
            "path": WEBHOOK_PATH,
            "protocol": "HTTP/1.1",
            "sourceIp": SHOPIFY_ADDRESS,
            "userAgent": SHOPIFY_AGENT,
        },
        "requestId": request_id,
        "routeKey": ROUTE_KEY,
        "stage": "$default",
        "time": _clf_time(utc),
        "timeEpoch": _epoch_ms(utc),
    }


def _trigger_event() -> Json:
    """An SQS event for the dispatch function: Asha's welcome, as her first order made it."""
    body = _welcome_trigger()
    sent = datetime(2026, 1, 11, 19, 1, 41, 318000, tzinfo=UTC)
    record = {
        "messageId": str(uuid.uuid5(IDS, "message/welcome")),
        "receiptHandle": "AQEB" + base64.b64encode(_digest("receipt/welcome")).decode(),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(_epoch_ms(sent)),
            "SenderId": "AROAEXAMPLEROLEID0001:retention-shopify-webhook",
            "ApproximateFirstReceiveTimestamp": str(_epoch_ms(sent) + 27),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{TRIGGER_QUEUE}",
        "awsRegion": REGION,
    }
    return {"Records": [record]}


def _welcome_trigger() -> str:
    """Built by the domain's own rules, so the message is exactly what a profile enqueues."""
    key = customer_key("shopify", str(ASHA.customer_id), ASHA.email)
    assert key is not None  # noqa: S101 - a customer id always gives a key
    profile = Profile(tenant=SHOP, customer_key=key, first_order_at=FIRST_ORDER.created_at)
    welcome = next(
        trigger
        for trigger in candidates(profile, RetentionRules())
        if trigger.kind is TriggerKind.WELCOME
    )
    return welcome.model_dump_json()


def _digest(text: str) -> bytes:
    return hashlib.sha256(f"{IDS}/{text}".encode()).digest()


def _trace_id(topic: str, utc: datetime) -> str:
    return f"Root=1-{int(utc.timestamp()):08x}-{_digest(f'trace/{topic}').hex()[:24]}"


def _clf_time(utc: datetime) -> str:
    """API Gateway's ``time``: ``11/Jan/2026:19:00:03 +0000``, in English whatever the locale."""
    return f"{utc:%d}/{MONTHS[utc.month - 1]}/{utc:%Y:%H:%M:%S} +0000"


def _epoch_ms(utc: datetime) -> int:
    return int(utc.timestamp()) * 1000 + utc.microsecond // 1000
