"""Merging an order's snapshots, whatever order they arrive in and however often."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from retention.domain.events import OrderLine, OrderSnapshot, RefundSnapshot
from retention.domain.orders import (
    MAX_LINES_STORED,
    OrderRecord,
    PendingRefund,
    add_refund,
    merge_order,
)

PLACED = datetime(2026, 1, 11, 19, 0, tzinfo=UTC)


def _order(**fields: Any) -> OrderSnapshot:
    values = {
        "order_id": "6000000001",
        "placed_at": PLACED,
        "updated_at": PLACED,
        "currency": "INR",
        "total": Decimal("1250.00"),
        "paid": True,
    }
    return OrderSnapshot(**(values | fields))


def _refund(
    refund_id: str = "r1", amount: str = "350.00", currency: str | None = "INR"
) -> RefundSnapshot:
    return RefundSnapshot(
        refund_id=refund_id,
        order_id="6000000001",
        created_at=PLACED + timedelta(days=6),
        currency=currency,
        amount=Decimal(amount),
    )


def _merged(*snapshots: OrderSnapshot) -> OrderRecord:
    stored = None
    for snapshot in snapshots:
        stored = merge_order(stored, snapshot)
    assert stored is not None
    return stored


# Out of order and stale


def test_older_update_does_not_overwrite_a_newer_one():
    # Given an order stored from an update at 10:00 that renamed it
    newer = _order(updated_at=PLACED + timedelta(hours=10), name="#1001-B")
    stale = _order(updated_at=PLACED + timedelta(hours=9), name="#1001-A")

    # When a retry of the 09:00 update arrives afterwards
    record = _merged(newer, stale)

    # Then the 10:00 state stands
    assert record.name == "#1001-B"
    assert record.updated_at == newer.updated_at


def test_update_arriving_before_its_create_lands_correctly(shopify_snapshot):
    # Given the paid order arriving before the order's creation
    paid = shopify_snapshot("orders/paid")
    created = shopify_snapshot("orders/create")

    # When both are merged in that order
    record = _merged(paid, created)

    # Then the order is the paid one, as if they had come in order
    assert record == _merged(created, paid)
    assert record.paid is True


def test_stale_pending_snapshot_does_not_unpay_an_order(shopify_snapshot):
    # Given an order stored as paid
    stored = _merged(shopify_snapshot("orders/paid"))

    # When Shopify retries the original orders/create, still pending, hours later
    record = merge_order(stored, shopify_snapshot("orders/create"))

    # Then it is still paid
    assert record.paid is True


def test_payment_cancellation_and_fulfilment_only_move_forward():
    # Given an order stored as paid, fulfilled and cancelled
    shipped = PLACED + timedelta(days=2)
    stored = _merged(_order(paid=True, cancelled=True, fulfilled_at=shipped))

    # When a newer snapshot says none of that (a source that lost track)
    later = _order(
        updated_at=PLACED + timedelta(days=3),
        paid=False,
        cancelled=False,
        fulfilled_at=None,
    )
    record = merge_order(stored, later)

    # Then what happened stays happened
    assert (record.paid, record.cancelled, record.fulfilled_at) == (True, True, shipped)


def test_fulfilment_from_an_older_snapshot_is_kept(shopify_snapshot):
    # Given an order stored from its newest snapshot, after the refund
    stored = _merged(shopify_snapshot("orders/updated"))

    # When the older orders/fulfilled arrives late
    record = merge_order(stored, shopify_snapshot("orders/fulfilled"))

    # Then the order keeps its fulfilment and its refund
    assert record.fulfilled_at == datetime(2026, 1, 13, 10, 35, tzinfo=UTC)
    assert record.refunded == Decimal("350.00")


# Refunds


def test_refund_seen_on_both_topics_counts_once(shopify_snapshot):
    # Given the fulfilled order, then refunds/create for it
    record = _merged(shopify_snapshot("orders/fulfilled"))
    refund = shopify_snapshot("refunds/create")
    assert isinstance(refund, RefundSnapshot)
    record = add_refund(record, refund)

    # When orders/updated arrives listing that same refund
    record = merge_order(record, shopify_snapshot("orders/updated"))

    # Then ₹350 was refunded once, and the order is worth ₹900
    assert record.refunded == Decimal("350.00")
    assert record.net == Decimal("900.00")


def test_same_refund_delivered_twice_counts_once():
    # Given a paid order
    record = _merged(_order())

    # When the same refund is recorded twice
    record = add_refund(add_refund(record, _refund()), _refund())

    # Then it is taken off once
    assert record.refunded == Decimal("350.00")


def test_two_refunds_both_count():
    # Given a paid order
    record = _merged(_order())

    # When two different refunds are recorded
    record = add_refund(add_refund(record, _refund("r1", "100.00")), _refund("r2", "50.00"))

    # Then both are taken off
    assert record.net == Decimal("1100.00")


def test_refund_that_arrived_before_its_order_is_merged():
    # Given a refund held because its order had not arrived yet
    pending = {"r1": PendingRefund(amount=Decimal("350.00"), currency="INR")}

    # When the order arrives
    record = merge_order(None, _order(), pending)

    # Then the refund is on it
    assert record.refunds == {"r1": Decimal("350.00")}


def test_pending_refund_in_another_currency_is_not_mixed_in():
    # Given a held refund in dollars for an order in rupees
    pending = {"r1": PendingRefund(amount=Decimal("5.00"), currency="USD")}

    # When the order arrives
    record = merge_order(None, _order(), pending)

    # Then the dollar amount is not subtracted from rupees
    assert record.refunds == {}


def test_refund_in_another_currency_is_not_mixed_in():
    # Given an order in rupees
    record = _merged(_order())

    # When a refund in dollars is recorded against it
    # Then the order is unchanged
    assert add_refund(record, _refund(currency="USD")) == record


def test_refund_without_a_currency_is_taken_in_the_orders_currency():
    # Given an order in rupees
    record = _merged(_order())

    # When a refund that names no currency is recorded
    record = add_refund(record, _refund(currency=None))

    # Then it is taken off
    assert record.net == Decimal("900.00")


# What an order is worth


def test_cancelled_order_is_worth_nothing():
    # Given a paid order that was then cancelled
    record = _merged(_order(cancelled=True))

    # When its worth is read
    # Then it is nothing
    assert record.net == Decimal(0)


def test_unpaid_order_is_worth_nothing_yet():
    # Given an order still awaiting payment
    # When its worth is read
    # Then it is nothing yet
    assert _merged(_order(paid=False)).net == Decimal(0)


def test_over_refunded_order_is_worth_nothing_not_less():
    # Given an order refunded more than its total (a goodwill refund on top)
    record = add_refund(_merged(_order()), _refund(amount="1300.00"))

    # When its worth is read
    # Then it is nothing, never negative
    assert record.net == Decimal(0)
    assert record.fully_refunded is True


def test_refunds_add_up_exactly():
    # Given a ₹0.30 order refunded ₹0.10 and then ₹0.20
    record = _merged(_order(total=Decimal("0.30")))
    record = add_refund(record, _refund("r1", "0.10"))
    record = add_refund(record, _refund("r2", "0.20"))

    # When its worth is read
    # Then nothing is left, exactly, as binary floats would not manage
    assert record.refunded == Decimal("0.30")
    assert record.net == Decimal("0.00")
    assert record.fully_refunded is True


# Very large orders


def _lines(count: int) -> tuple[OrderLine, ...]:
    return tuple(
        OrderLine(product_id=str(n), title=f"Item {n}", quantity=1, unit_price=Decimal("1.00"))
        for n in range(count)
    )


def test_very_large_order_stores_some_lines_and_counts_them_all():
    # Given a wholesale order of 300 lines
    snapshot = _order(lines=_lines(300), line_count=300)

    # When it is stored
    record = _merged(snapshot)

    # Then 50 lines are kept, the first ones, and the count says 300
    assert MAX_LINES_STORED == 50
    assert len(record.lines) == 50
    assert record.lines[0].product_id == "0"
    assert record.line_count == 300


def test_line_count_is_never_less_than_the_lines_kept():
    # Given a snapshot that carries lines but no count
    # When it is stored
    record = _merged(_order(lines=_lines(3)))

    # Then the count is the lines it has
    assert record.line_count == 3
