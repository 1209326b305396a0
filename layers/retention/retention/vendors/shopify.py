"""Shopify webhooks: signature, headers, topics and payload shapes.

- Signature: ``X-Shopify-Hmac-Sha256`` is base64(HMAC-SHA256(client secret, raw body))
  (https://shopify.dev/docs/apps/build/webhooks/delivery-structure).
- Tenant: ``X-Shopify-Shop-Domain``. Each shop may have its own secret; a ``"*"`` entry is
  the app-wide client secret shared by every shop that installed a public app.
- Deduplication: ``X-Shopify-Event-Id`` is shared by every delivery that one merchant action
  caused, duplicate subscriptions included; ``X-Shopify-Webhook-Id`` is the fallback
  (https://shopify.dev/apps/build/webhooks/ignore-duplicates). The topic is part of the key
  because one action can cause deliveries on several topics.
- Consent: since API 2022-04, ``email_marketing_consent.state``; the deprecated
  ``accepts_marketing`` is read only when the new field is absent. Since API 2025-01,
  customer payloads carry no consent at all: it comes on its own topic,
  ``customers/email_marketing_consent_update``
  (https://shopify.dev/changelog/new-customer-s-webhook-and-changes-to-existing-customer-s-webhooks-payload).
  SMS consent moved to a topic of its own too; it is not handled yet, since no trigger
  sends SMS.
"""

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from retention.domain.events import (
    Consent,
    CustomerSnapshot,
    OrderLine,
    OrderSnapshot,
    RedactRequest,
    RefundSnapshot,
    SourceEvent,
)
from retention.vendors.bounds import (
    Code,
    Currency,
    Email,
    Id,
    Moment,
    Money,
    Name,
    Phone,
    Quantity,
    Tags,
    Title,
)
from retention.webhooks import (
    Delivery,
    Ignored,
    PayloadError,
    SignatureError,
    WebhookRequest,
)

SOURCE = "shopify"
ORDER_TOPICS = frozenset(
    {"orders/create", "orders/paid", "orders/updated", "orders/fulfilled", "orders/cancelled"}
)
CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update"})
CONSENT_TOPIC = "customers/email_marketing_consent_update"
# Mandatory privacy topics (https://shopify.dev/docs/apps/build/privacy-law-compliance).
REDACT_TOPIC = "customers/redact"
DATA_REQUEST_TOPIC = "customers/data_request"
SHOP_REDACT_TOPIC = "shop/redact"
REFUND_TOPIC = "refunds/create"
# The shop header is the tenant key, and with an app-wide secret any shop may claim to be
# one; only Shopify's own domains are tenants.
SHOP_DOMAIN = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")
# Shopify's own limits: 250 tags a customer, 255 characters a tag.
TAG_COUNT = 250
TAG_LENGTH = 255
PAID_STATUSES = frozenset({"paid", "partially_paid", "partially_refunded", "refunded"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Consent(_Model):
    state: Code | None = None
    consent_updated_at: Moment | None = None


class _ConsentUpdate(_Model):
    customer_id: Id
    email_address: Email | None = None
    email_marketing_consent: _Consent


class _RedactedCustomer(_Model):
    id: Id | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> "_RedactedCustomer":
        if self.id is None and not self.email:
            raise ValueError("names neither a customer id nor an email")
        return self


class _Redact(_Model):
    customer: _RedactedCustomer
    orders_to_redact: list[Id] = []


class _Customer(_Model):
    id: Id
    email: Email | None = None
    phone: Phone | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    updated_at: Moment | None = None
    tags: Tags | None = None
    accepts_marketing: bool | None = None
    email_marketing_consent: _Consent | None = None
    sms_marketing_consent: _Consent | None = None


class _LineItem(_Model):
    product_id: Id | None = None
    variant_id: Id | None = None
    sku: Title | None = None
    title: Title = ""
    name: Title | None = None
    quantity: Quantity
    price: Money


class _Transaction(_Model):
    kind: Code | None = None
    status: Code | None = None
    amount: Money = Decimal(0)
    currency: Currency | None = None


class _Refund(_Model):
    id: Id
    order_id: Id
    created_at: Moment
    transactions: list[_Transaction] = []


class _Fulfillment(_Model):
    created_at: Moment | None = None
    status: Code | None = None


class _Order(_Model):
    id: Id
    name: Name | None = None
    email: Email | None = None
    contact_email: Email | None = None
    created_at: Moment
    updated_at: Moment
    currency: Currency
    total_price: Money
    financial_status: Code | None = None
    fulfillment_status: Code | None = None
    cancelled_at: Moment | None = None
    test: bool = False
    customer: _Customer | None = None
    line_items: list[_LineItem] = []
    fulfillments: list[_Fulfillment] = []
    refunds: list[_Refund] = []


class ShopifyWebhooks:
    """The ``WebhookSource`` for Shopify."""

    name = SOURCE

    def authenticate(self, request: WebhookRequest, secrets: Mapping[str, Any]) -> Delivery:
        headers = request.headers
        shop = headers.get("x-shopify-shop-domain", "").strip().lower()
        signature = headers.get("x-shopify-hmac-sha256")
        if not shop or not signature:
            raise SignatureError("missing shop domain or signature header")
        if not SHOP_DOMAIN.fullmatch(shop):
            raise SignatureError("shop domain is not a myshopify.com domain")

        shops: Mapping[str, str] = secrets.get(SOURCE) or {}
        secret = shops.get(shop) or shops.get("*")
        if not secret:
            raise SignatureError("no secret configured for this shop")
        if not verify_signature(request.body, signature, secret):
            raise SignatureError("signature does not match the body")

        topic = headers.get("x-shopify-topic", "").strip().lower()
        event_id = headers.get("x-shopify-event-id") or headers.get("x-shopify-webhook-id")
        if not topic or not event_id:
            raise PayloadError("missing topic or event id header")

        return Delivery(
            source=SOURCE,
            tenant=shop,
            topic=topic,
            key=f"{SOURCE}/{shop}/{topic}/{event_id}",
            triggered_at=triggered_at(headers.get("x-shopify-triggered-at")),
        )

    def parse(self, delivery: Delivery, body: bytes) -> SourceEvent | Ignored:
        if delivery.topic in ORDER_TOPICS:
            return _order(_load(body, _Order))
        if delivery.topic == REFUND_TOPIC:
            return _refund(_load(body, _Refund))
        if delivery.topic in CUSTOMER_TOPICS:
            return _customer(_load(body, _Customer))
        if delivery.topic == CONSENT_TOPIC:
            return _consent_update(_load(body, _ConsentUpdate))
        if delivery.topic == REDACT_TOPIC:
            return _redact(_load(body, _Redact))
        if delivery.topic == DATA_REQUEST_TOPIC:
            return Ignored("data request: the customer's profile is in the profiles table")
        if delivery.topic == SHOP_REDACT_TOPIC:
            return Ignored("shop redact is not carried out yet; erase the shop's items by hand")
        return Ignored(f"topic {delivery.topic} is not handled")


def verify_signature(body: bytes, signature: str, secret: str) -> bool:
    """Compare in constant time; the header is base64, not hex."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def sign(body: bytes, secret: str) -> str:
    """The header value Shopify would send; used by the local stack and the tests."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _load[M: BaseModel](body: bytes, model: type[M]) -> M:
    """Validate the body; the reason names fields and problems, never the values."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PayloadError("body is not JSON") from error
    except RecursionError as error:
        raise PayloadError("body is nested too deep") from error
    if not isinstance(data, dict):
        raise PayloadError("body is not a JSON object")

    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}"
            for issue in error.errors(include_input=False)[:5]
        )
        raise PayloadError(f"body does not match the topic: {problems}") from error


def _order(order: _Order) -> OrderSnapshot | Ignored:
    if order.test:
        return Ignored("test order")

    return OrderSnapshot(
        order_id=str(order.id),
        name=order.name,
        placed_at=order.created_at,
        updated_at=order.updated_at,
        currency=order.currency.upper(),
        total=order.total_price,
        paid=order.financial_status in PAID_STATUSES,
        cancelled=order.cancelled_at is not None,
        fulfilled_at=_fulfilled_at(order),
        lines=tuple(_line(item) for item in order.line_items),
        line_count=len(order.line_items),
        refunds={str(r.id): _refunded(r.transactions) for r in order.refunds},
        customer=_customer(order.customer) if order.customer else None,
        email=order.email or order.contact_email,
    )


def _refund(refund: _Refund) -> RefundSnapshot:
    currencies = {t.currency for t in _successful_refunds(refund.transactions) if t.currency}
    return RefundSnapshot(
        refund_id=str(refund.id),
        order_id=str(refund.order_id),
        created_at=refund.created_at,
        currency=currencies.pop().upper() if len(currencies) == 1 else None,
        amount=_refunded(refund.transactions),
    )


def _customer(customer: _Customer) -> CustomerSnapshot:
    tags = tuple(
        tag.strip()[:TAG_LENGTH] for tag in (customer.tags or "").split(",") if tag.strip()
    )
    return CustomerSnapshot(
        customer_id=str(customer.id),
        email=customer.email,
        phone=customer.phone,
        first_name=customer.first_name,
        last_name=customer.last_name,
        consent=Consent(
            email=_email_consent(customer),
            sms=_subscribed(customer.sms_marketing_consent),
            updated_at=_consent_time(customer.email_marketing_consent),
        ),
        tags=tags[:TAG_COUNT],
        updated_at=customer.updated_at,
    )


def _redact(request: _Redact) -> RedactRequest:
    customer = request.customer
    return RedactRequest(
        customer_id=str(customer.id) if customer.id else None,
        email=customer.email,
        order_ids=tuple(str(order_id) for order_id in request.orders_to_redact),
    )


def _consent_update(update: _ConsentUpdate) -> CustomerSnapshot:
    consent = update.email_marketing_consent
    return CustomerSnapshot(
        customer_id=str(update.customer_id),
        email=update.email_address,
        consent=Consent(email=_subscribed(consent), updated_at=consent.consent_updated_at),
    )


def _consent_time(consent: _Consent | None) -> datetime | None:
    return consent.consent_updated_at if consent else None


def _email_consent(customer: _Customer) -> bool | None:
    if customer.email_marketing_consent is not None:
        return _subscribed(customer.email_marketing_consent)
    return customer.accepts_marketing


def _subscribed(consent: _Consent | None) -> bool | None:
    if consent is None or consent.state is None:
        return None
    return consent.state == "subscribed"


def _line(item: _LineItem) -> OrderLine:
    return OrderLine(
        product_id=str(item.product_id) if item.product_id else None,
        variant_id=str(item.variant_id) if item.variant_id else None,
        sku=item.sku or None,
        title=item.title or item.name or "",
        quantity=item.quantity,
        unit_price=item.price,
    )


def _fulfilled_at(order: _Order) -> datetime | None:
    if order.fulfillment_status != "fulfilled":
        return None
    times = [f.created_at for f in order.fulfillments if f.created_at and f.status != "cancelled"]
    return max(times, default=order.updated_at)


def _successful_refunds(transactions: list[_Transaction]) -> list[_Transaction]:
    return [t for t in transactions if t.kind == "refund" and t.status == "success"]


def _refunded(transactions: list[_Transaction]) -> Decimal:
    return sum((t.amount for t in _successful_refunds(transactions)), Decimal(0))


def triggered_at(value: str | None) -> datetime | None:
    """``X-Shopify-Triggered-At``, whose fraction runs to nine digits; Python reads six."""
    if not value:
        return None
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", value.strip()).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(trimmed)
    except ValueError:
        return None
    return moment if moment.tzinfo else None
