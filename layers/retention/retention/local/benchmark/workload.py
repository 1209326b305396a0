"""What the benchmark sends: paid orders in the sample's shape, signed as Shopify signs."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from retention.local.signing import DEMO_SHOP, shop_secret
from retention.local.template import Template
from retention.vendors.shopify import sign

SHOP = DEMO_SHOP
SAMPLE_ORDER = Path("events/shopify/orders_create.json")
WEBHOOK = "ShopifyWebhookFunction"
DISPATCH = "DispatchFunction"
STORE_ZONE = ZoneInfo("Asia/Kolkata")
FIRST_ORDER = datetime(2025, 8, 1, 4, 30, tzinfo=UTC)
ORDER_GAP = timedelta(hours=12)


@dataclass(frozen=True)
class Workload:
    orders: int
    customers: int
    duplicates: int
    profiles: int


def order_events(
    template: Template,
    count: int,
    customers: int,
) -> list[tuple[datetime, Any]]:
    """Customers ordering in turn, each order's time with its webhook event."""
    sample = json.loads((template.root / SAMPLE_ORDER).read_text(encoding="utf-8"))
    secret = shop_secret(template, SHOP)
    events = []
    for number in range(count):
        placed = FIRST_ORDER + number * ORDER_GAP
        order = json.loads(sample["body"])
        body = _order(order, number, number % customers, placed)
        events.append((placed, _signed(sample, body, secret, placed)))
    return events


def _order(
    order: dict[str, Any],
    number: int,
    customer: int,
    placed: datetime,
) -> str:
    order_id = 6_100_000_000 + number
    local = placed.astimezone(STORE_ZONE).isoformat(timespec="seconds")
    email = f"bench.customer{customer}@example.com"
    order.update(
        id=order_id,
        admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
        name=f"#{2000 + number}",
        order_number=2000 + number,
        created_at=local,
        processed_at=local,
        updated_at=local,
        financial_status="paid",
        email=email,
        contact_email=email,
    )
    _set_customer(order["customer"], customer, email)
    return json.dumps(order, separators=(",", ":"))


def _set_customer(found: dict[str, Any], customer: int, email: str) -> None:
    customer_id = 7_100_000_000 + customer
    found.update(
        id=customer_id,
        admin_graphql_api_id=f"gid://shopify/Customer/{customer_id}",
        email=email,
        first_name="Bench",
        last_name=f"Customer{customer}",
    )
    found["default_address"]["customer_id"] = customer_id


def _signed(
    sample: dict[str, Any],
    body: str,
    secret: str,
    placed: datetime,
) -> dict[str, Any]:
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, body)
    headers = {
        **sample["headers"],
        "content-length": str(len(body.encode())),
        "x-shopify-hmac-sha256": sign(body.encode(), secret),
        "x-shopify-event-id": str(event_id),
        "x-shopify-webhook-id": str(uuid.uuid5(event_id, "webhook")),
        "x-shopify-triggered-at": placed.isoformat(),
    }
    return {**sample, "headers": headers, "body": body, "isBase64Encoded": False}
