"""The stored state of one order, merged from snapshots that may arrive late or twice."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from retention.domain.events import OrderLine, OrderSnapshot, RefundSnapshot

# Lines kept per stored order. A wholesale order can carry hundreds of lines; keeping them all
# would push the item towards DynamoDB's 400 KB limit, so the rest are counted, not stored.
MAX_LINES_STORED = 50


class PendingRefund(BaseModel):
    """A refund that arrived before the order it belongs to."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal
    currency: str | None = None


class OrderRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

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

    @property
    def refunded(self) -> Decimal:
        return sum(self.refunds.values(), Decimal(0))

    @property
    def net(self) -> Decimal:
        """What the order is worth today: nothing if cancelled or unpaid, less its refunds."""
        if self.cancelled or not self.paid:
            return Decimal(0)
        return max(self.total - self.refunded, Decimal(0))

    @property
    def fully_refunded(self) -> bool:
        return self.paid and self.refunded >= self.total > 0


def merge_order(
    stored: OrderRecord | None,
    snapshot: OrderSnapshot,
    pending: dict[str, PendingRefund] | None = None,
) -> OrderRecord:
    """Merge a snapshot into the stored order, whatever order they arrive in.

    The newer ``updated_at`` wins for fields that can change either way. Cancellation,
    payment and fulfilment only ever move forward, and refunds are a union by refund id, so
    a stale retry can neither undo them nor count a refund twice.
    """
    fresh = _record_from(snapshot)
    if stored is None:
        newer, older = fresh, None
    elif snapshot.updated_at >= stored.updated_at:
        newer, older = fresh, stored
    else:
        newer, older = stored, fresh

    refunds = dict(fresh.refunds)
    if stored is not None:
        refunds.update(stored.refunds)
    merged = newer.model_copy(update={"refunds": refunds})

    if older is not None:
        merged = merged.model_copy(
            update={
                "cancelled": newer.cancelled or older.cancelled,
                "paid": newer.paid or older.paid,
                "fulfilled_at": newer.fulfilled_at or older.fulfilled_at,
            }
        )
    return with_held_refunds(merged, pending or {})


def with_held_refunds(order: OrderRecord, held: dict[str, PendingRefund]) -> OrderRecord:
    """Add refunds that arrived before the order; one in another currency is not mixed in."""
    refunds = dict(order.refunds)
    for refund_id, refund in held.items():
        if refund.currency in (None, order.currency):
            refunds.setdefault(refund_id, refund.amount)
    return order.model_copy(update={"refunds": refunds})


def add_refund(stored: OrderRecord, refund: RefundSnapshot) -> OrderRecord:
    """Record one refund; a refund in another currency than the order's is not mixed in."""
    if refund.currency not in (None, stored.currency):
        return stored

    refunds = {**stored.refunds, refund.refund_id: refund.amount}
    return stored.model_copy(update={"refunds": refunds})


def _record_from(snapshot: OrderSnapshot) -> OrderRecord:
    """The order's own facts; who bought it lives on the profile, not on the order."""
    facts = snapshot.model_dump(exclude={"customer", "email", "lines", "line_count"})
    return OrderRecord(
        **facts,
        lines=snapshot.lines[:MAX_LINES_STORED],
        line_count=max(snapshot.line_count, len(snapshot.lines)),
    )
