"""Shopify deliveries built from the sample events in ``events/``: the bytes a user sends.

The story of the samples, in the order ``events/README.md`` lists them: Asha Rao signs up,
orders, pays, is shipped to, gets a partial refund, changes her phone; Rohan Mehta, not
subscribed, cancels his only order.
"""

import json
from typing import Any

import httpx
from retention.local.replay import catch_up
from retention.vendors.shopify import triggered_at

from tests.e2e.served import ROOT

SHOP = "demo-store.myshopify.com"
ASHA = "shopify:7000000001"
ROHAN = "shopify:7000000002"
WEBHOOK_PATH = "/webhooks/shopify"
STORY = (
    "customers_create",
    "orders_create",
    "orders_paid",
    "orders_fulfilled",
    "refunds_create",
    "orders_updated",
    "customers_update",
    "orders_cancelled",
)
# Added by API Gateway or by the HTTP connection, not sent by Shopify itself.
NOT_FROM_SHOPIFY = frozenset(
    {
        "host",
        "content-length",
        "x-amzn-trace-id",
        "x-forwarded-for",
        "x-forwarded-port",
        "x-forwarded-proto",
    }
)


def sample_event(name: str) -> dict[str, Any]:
    path = ROOT / "events" / "shopify" / f"{name}.json"
    event: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return event


def shopify_headers(event: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = event["headers"]
    return {name: value for name, value in headers.items() if name not in NOT_FROM_SHOPIFY}


def deliver(client: httpx.Client, event: dict[str, Any]) -> httpx.Response:
    """POST an event's exact body with the headers Shopify sent it with, at the time it was
    sent: the clock moves on to its X-Shopify-Triggered-At first (never back), since the
    function refuses times ahead of its clock."""
    sent_at = triggered_at(event["headers"].get("x-shopify-triggered-at"))
    if sent_at is not None:
        catch_up(client, sent_at)
    return client.post(
        WEBHOOK_PATH,
        content=event["body"].encode("utf-8"),
        headers=shopify_headers(event),
    )


def first_order_of(customer_id: str, order_id: str, first_name: str, last_name: str) -> bytes:
    """Asha's first order, as if a new customer had placed it: same shape, other ids."""
    email = f"{first_name}.{last_name}@example.com".lower()
    order = json.loads(sample_event("orders_create")["body"])
    order.update(
        id=int(order_id),
        admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
        email=email,
        contact_email=email,
        name=f"#{order_id[-4:]}",
    )
    customer = order["customer"]
    customer.update(
        id=int(customer_id),
        admin_graphql_api_id=f"gid://shopify/Customer/{customer_id}",
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
    customer["default_address"]["customer_id"] = int(customer_id)
    return json.dumps(order).encode("utf-8")
