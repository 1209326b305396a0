"""One customer's profile, rebuilt from what we know of the person and their orders."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from retention.domain.events import Consent, CustomerSnapshot
from retention.domain.identity import normalise_email
from retention.domain.lifecycle import Stage
from retention.domain.money import Amounts, add_amounts
from retention.domain.orders import OrderRecord
from retention.domain.rules import RetentionRules

ITEMS_PER_RECENT_ORDER = 10


class ItemSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    product_id: str | None
    title: str
    quantity: int


class OrderSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: str
    name: str | None
    placed_at: datetime
    currency: str
    total: Decimal
    net: Decimal
    cancelled: bool
    fulfilled_at: datetime | None
    items: tuple[ItemSummary, ...]
    item_count: int


class ProductStat(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    times_bought: int
    last_bought_at: datetime


class Profile(BaseModel):
    """The live profile of one customer of one store (the tenant).

    ``customer_key`` is ``shopify:<id>`` for a registered customer, or ``guest:<hash>`` for a
    guest checkout keyed on the normalised email. Guests are never merged into registered
    customers by email: addresses get recycled, and a wrong merge cannot be undone.
    """

    model_config = ConfigDict(frozen=True)

    tenant: str
    customer_key: str
    customer_id: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    consent: Consent = Consent()
    tags: tuple[str, ...] = ()
    customer_updated_at: datetime | None = None

    order_count: int = 0
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None
    last_order_id: str | None = None
    last_fulfilled_at: datetime | None = None
    last_fulfilled_order_id: str | None = None
    revenue: Amounts = Field(default_factory=dict)
    recent_orders: tuple[OrderSummary, ...] = ()
    products: dict[str, ProductStat] = Field(default_factory=dict)

    stage: Stage = Stage.PROSPECT
    next_action: str | None = None
    next_action_at: datetime | None = None
    triggers_enqueued: tuple[str, ...] = ()
    version: int = 0


def apply_customer(profile: Profile, snapshot: CustomerSnapshot) -> Profile:
    """Take the person's details and consent from a snapshot, each unless ours is newer."""
    profile = profile.model_copy(update={"consent": _consent(profile.consent, snapshot)})

    stored_at = profile.customer_updated_at
    if _older(snapshot.updated_at, stored_at):
        return profile

    return profile.model_copy(
        update={
            "customer_id": snapshot.customer_id or profile.customer_id,
            "email": normalise_email(snapshot.email) or profile.email,
            "phone": snapshot.phone or profile.phone,
            "first_name": snapshot.first_name or profile.first_name,
            "last_name": snapshot.last_name or profile.last_name,
            "tags": snapshot.tags or profile.tags,
            "customer_updated_at": snapshot.updated_at or stored_at,
        }
    )


def _consent(stored: Consent, snapshot: CustomerSnapshot) -> Consent:
    """Consent as of the later of the two; a channel the snapshot is silent on is kept."""
    fresh = snapshot.consent
    fresh_at = fresh.updated_at or snapshot.updated_at
    if _older(fresh_at, stored.updated_at):
        return stored
    if fresh_at is None and stored.updated_at is not None:
        # Undated, it cannot be placed in time: it may withdraw consent, never grant it.
        return stored.model_copy(
            update={
                "email": stored.email and fresh.email is not False,
                "sms": stored.sms and fresh.sms is not False,
            }
        )

    return Consent(
        email=_first_known(fresh.email, stored.email),
        sms=_first_known(fresh.sms, stored.sms),
        updated_at=fresh_at or stored.updated_at,
    )


def _older(fresh: datetime | None, stored: datetime | None) -> bool:
    return fresh is not None and stored is not None and fresh < stored


def summarise(profile: Profile, orders: Iterable[OrderRecord], rules: RetentionRules) -> Profile:
    """Recompute every order-derived figure from the customer's stored orders.

    Rebuilding from the orders rather than adding deltas keeps the profile right whatever the
    order in which creates, updates, cancellations and refunds arrived.
    """
    counted = sorted(
        (order for order in orders if not order.cancelled),
        key=lambda order: order.placed_at,
    )
    every = sorted(orders, key=lambda order: order.placed_at)
    fulfilled = [o for o in counted if o.fulfilled_at and not o.fully_refunded]
    last_fulfilled = max(fulfilled, key=_fulfilled_at, default=None)
    last = counted[-1] if counted else None

    return profile.model_copy(
        update={
            "order_count": len(counted),
            "first_order_at": counted[0].placed_at if counted else None,
            "last_order_at": last.placed_at if last else None,
            "last_order_id": last.order_id if last else None,
            "last_fulfilled_at": last_fulfilled.fulfilled_at if last_fulfilled else None,
            "last_fulfilled_order_id": last_fulfilled.order_id if last_fulfilled else None,
            "revenue": _net_revenue(counted),
            "recent_orders": tuple(_summary(o) for o in every[-rules.recent_orders_kept :]),
            "products": _products(counted, rules.products_kept),
        }
    )


def _first_known(fresh: bool | None, stored: bool | None) -> bool | None:
    return stored if fresh is None else fresh


def _fulfilled_at(order: OrderRecord) -> datetime:
    assert order.fulfilled_at is not None  # noqa: S101 - filtered above
    return order.fulfilled_at


def _net_revenue(orders: list[OrderRecord]) -> Amounts:
    paid = [order for order in orders if order.paid]
    return add_amounts((order.currency, order.net) for order in paid)


def _summary(order: OrderRecord) -> OrderSummary:
    items = tuple(
        ItemSummary(product_id=line.product_id, title=line.title, quantity=line.quantity)
        for line in order.lines[:ITEMS_PER_RECENT_ORDER]
    )
    return OrderSummary(
        order_id=order.order_id,
        name=order.name,
        placed_at=order.placed_at,
        currency=order.currency,
        total=order.total,
        net=order.net,
        cancelled=order.cancelled,
        fulfilled_at=order.fulfilled_at,
        items=items,
        item_count=order.line_count,
    )


def _products(orders: list[OrderRecord], kept: int) -> dict[str, ProductStat]:
    """Products bought, with in how many orders and when last; the most recent ``kept``.

    A product on two lines of one order (two variants, say) counts as bought once.
    """
    stats: dict[str, ProductStat] = {}
    for order in orders:
        titles = {line.product_id: line.title for line in order.lines if line.product_id}
        for product_id, title in titles.items():
            seen = stats.get(product_id)
            stats[product_id] = ProductStat(
                title=title,
                times_bought=(seen.times_bought if seen else 0) + 1,
                last_bought_at=order.placed_at,
            )

    recent = sorted(stats.items(), key=lambda item: item[1].last_bought_at, reverse=True)
    return dict(recent[:kept])
