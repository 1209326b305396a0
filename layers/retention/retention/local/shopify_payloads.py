"""Shopify webhook bodies in the shape Shopify publishes, built from a few facts.

Used by the demo's story; field names, nesting and value types follow the published
samples (money as strings, times with offsets, ``email_marketing_consent`` objects).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Person:
    customer_id: int | None
    first_name: str
    last_name: str
    email: str | None
    phone: str | None = None
    subscribed: bool = False
    since: str = "2025-12-01T10:00:00+05:30"


@dataclass(frozen=True)
class Item:
    product_id: int
    title: str
    price: str
    quantity: int = 1


@dataclass(frozen=True)
class Order:
    order_id: int
    number: int
    person: Person
    placed_at: datetime
    items: list[Item]
    currency: str = "INR"
    refunds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((Decimal(i.price) * i.quantity for i in self.items), Decimal(0))


def _time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def customer(person: Person, updated_at: datetime) -> dict[str, Any]:
    state = "subscribed" if person.subscribed else "not_subscribed"
    return {
        "id": person.customer_id,
        "email": person.email,
        "created_at": person.since,
        "updated_at": _time(updated_at),
        "first_name": person.first_name,
        "last_name": person.last_name,
        "state": "enabled",
        "note": None,
        "verified_email": True,
        "tax_exempt": False,
        "phone": person.phone,
        "email_marketing_consent": {
            "state": state,
            "opt_in_level": "single_opt_in",
            "consent_updated_at": person.since if person.subscribed else None,
        },
        "sms_marketing_consent": None,
        "tags": "",
        "currency": "INR",
        "tax_exemptions": [],
        "admin_graphql_api_id": f"gid://shopify/Customer/{person.customer_id}",
    }


def order(
    placed: Order,
    updated_at: datetime,
    *,
    financial_status: str = "paid",
    fulfilled_at: datetime | None = None,
    cancelled_at: datetime | None = None,
) -> dict[str, Any]:
    total = f"{placed.total:.2f}"
    person = placed.person
    body: dict[str, Any] = {
        "id": placed.order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{placed.order_id}",
        "cancel_reason": "customer" if cancelled_at else None,
        "cancelled_at": _time(cancelled_at) if cancelled_at else None,
        "contact_email": person.email,
        "created_at": _time(placed.placed_at),
        "currency": placed.currency,
        "current_total_price": total,
        "email": person.email or "",
        "financial_status": financial_status,
        "fulfillment_status": "fulfilled" if fulfilled_at else None,
        "name": f"#{placed.number}",
        "order_number": placed.number,
        "phone": person.phone,
        "presentment_currency": placed.currency,
        "processed_at": _time(placed.placed_at),
        "subtotal_price": total,
        "test": False,
        "total_price": total,
        "total_tax": "0.00",
        "updated_at": _time(updated_at),
        "customer": customer(person, placed.placed_at) if person.customer_id else None,
        "fulfillments": [_fulfillment(placed, fulfilled_at)] if fulfilled_at else [],
        "line_items": [_line(placed, index, item) for index, item in enumerate(placed.items)],
        "refunds": placed.refunds,
    }
    return body


def refund(placed: Order, refund_id: int, amount: str, created_at: datetime) -> dict[str, Any]:
    return {
        "id": refund_id,
        "order_id": placed.order_id,
        "created_at": _time(created_at),
        "note": "Partial refund",
        "user_id": None,
        "processed_at": _time(created_at),
        "restock": False,
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
        "refund_line_items": [],
        "transactions": [
            {
                "id": refund_id + 1,
                "order_id": placed.order_id,
                "kind": "refund",
                "gateway": "bogus",
                "status": "success",
                "amount": amount,
                "currency": placed.currency,
                "created_at": _time(created_at),
            }
        ],
        "order_adjustments": [],
    }


def _line(placed: Order, index: int, item: Item) -> dict[str, Any]:
    return {
        "id": placed.order_id * 10 + index,
        "product_id": item.product_id,
        "variant_id": item.product_id * 10,
        "title": item.title,
        "name": item.title,
        "quantity": item.quantity,
        "price": item.price,
        "sku": f"SKU-{item.product_id}",
        "gift_card": False,
        "taxable": True,
        "total_discount": "0.00",
    }


def _fulfillment(placed: Order, fulfilled_at: datetime) -> dict[str, Any]:
    return {
        "id": placed.order_id + 1,
        "order_id": placed.order_id,
        "status": "success",
        "created_at": _time(fulfilled_at),
        "updated_at": _time(fulfilled_at),
        "tracking_company": "Delhivery",
        "tracking_number": f"DL{placed.order_id}",
    }
