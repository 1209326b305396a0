"""What a source tells us, in the engine's own words.

Each vendor adapter turns its payloads into these snapshots; the rest of the engine never
sees a vendor's field names. Snapshots are full states with a version time (``updated_at``),
not deltas, so that applying one twice or late changes nothing it should not.
"""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Consent(Snapshot):
    """Marketing consent per channel; ``None`` means the source said nothing.

    Consent keeps its own time: Shopify (since API 2025-01) sends it on a topic of its own,
    apart from the customer's other details.
    """

    email: bool | None = None
    sms: bool | None = None
    updated_at: datetime | None = None


class CustomerSnapshot(Snapshot):
    customer_id: str | None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    consent: Consent = Consent()
    tags: tuple[str, ...] = ()
    updated_at: datetime | None = None


class OrderLine(Snapshot):
    product_id: str | None
    variant_id: str | None = None
    sku: str | None = None
    title: str
    quantity: int
    unit_price: Decimal


class OrderSnapshot(Snapshot):
    order_id: str
    name: str | None = None
    placed_at: datetime
    updated_at: datetime
    currency: str
    total: Decimal
    paid: bool
    cancelled: bool = False
    fulfilled_at: datetime | None = None
    lines: tuple[OrderLine, ...] = ()
    line_count: int = 0
    refunds: dict[str, Decimal] = Field(default_factory=dict)
    customer: CustomerSnapshot | None = None
    email: str | None = None


class RefundSnapshot(Snapshot):
    refund_id: str
    order_id: str
    created_at: datetime
    currency: str | None
    amount: Decimal


class RedactRequest(Snapshot):
    """The store asks us to erase a customer's personal data (GDPR and the like)."""

    customer_id: str | None
    email: str | None = None
    order_ids: tuple[str, ...] = ()


SourceEvent = OrderSnapshot | RefundSnapshot | CustomerSnapshot | RedactRequest


def latest_time(event: SourceEvent) -> datetime | None:
    """The latest time an event claims, which must not lie ahead of the clock.

    Every merge lets the newer time win, so a time far in the future would freeze an order or
    a consent against every later, real change.
    """
    match event:
        case OrderSnapshot():
            customer = [latest_time(event.customer)] if event.customer else []
            times = [event.placed_at, event.updated_at, event.fulfilled_at, *customer]
        case RefundSnapshot():
            times = [event.created_at]
        case CustomerSnapshot():
            times = [event.updated_at, event.consent.updated_at]
        case RedactRequest():
            times = []
    return max((t for t in times if t is not None), default=None)
