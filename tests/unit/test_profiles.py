"""A customer's profile: who they are, and the figures rebuilt from their orders."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from retention.domain.events import Consent, CustomerSnapshot, OrderLine
from retention.domain.orders import OrderRecord, add_refund, merge_order
from retention.domain.profiles import Profile, apply_customer, summarise
from retention.domain.rules import RetentionRules

SHOP = "demo-store.myshopify.com"
RULES = RetentionRules()
JANUARY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _profile() -> Profile:
    return Profile(tenant=SHOP, customer_key="shopify:7000000001")


def _line(product_id: str, quantity: int = 1) -> OrderLine:
    return OrderLine(
        product_id=product_id,
        title=f"Product {product_id}",
        quantity=quantity,
        unit_price=Decimal("10.00"),
    )


def _record(order_id: str, days: int = 0, **fields: Any) -> OrderRecord:
    values = {
        "order_id": order_id,
        "placed_at": JANUARY + timedelta(days=days),
        "updated_at": JANUARY + timedelta(days=days),
        "currency": "INR",
        "total": Decimal("100.00"),
        "paid": True,
    }
    return OrderRecord(**(values | fields))


# The sample story


def test_the_sample_story_gives_one_order_worth_900_rupees(shopify_snapshot):
    # Given Asha's order as created, paid, fulfilled, partly refunded and updated
    record = merge_order(None, shopify_snapshot("orders/create"))
    record = merge_order(record, shopify_snapshot("orders/paid"))
    record = merge_order(record, shopify_snapshot("orders/fulfilled"))
    record = add_refund(record, shopify_snapshot("refunds/create"))
    record = merge_order(record, shopify_snapshot("orders/updated"))

    # When her profile is rebuilt from it
    profile = summarise(_profile(), [record], RULES)

    # Then she has one order, worth ₹1,250 less the ₹350 refunded, shipped on 13 January
    assert profile.order_count == 1
    assert profile.revenue == {"INR": Decimal("900.00")}
    assert profile.last_order_id == "6000000001"
    assert profile.last_fulfilled_order_id == "6000000001"
    assert profile.recent_orders[0].net == Decimal("900.00")
    assert profile.recent_orders[0].item_count == 2


def test_the_sample_customer_is_subscribed(shopify_snapshot):
    # Given Asha's customers/create
    customer = shopify_snapshot("customers/create")

    # When it is applied to her profile
    profile = apply_customer(_profile(), customer)

    # Then her details and consent are on it
    assert profile.email == "asha.rao@example.com"
    assert profile.consent.email is True


# Revenue


def test_revenue_takes_off_cancellations_and_refunds():
    # Given a paid order, a cancelled one and a partly refunded one
    orders = [
        _record("a", 0),
        _record("b", 1, cancelled=True),
        _record("c", 2, refunds={"r1": Decimal("40.00")}),
    ]

    # When the profile is rebuilt
    profile = summarise(_profile(), orders, RULES)

    # Then the cancelled order neither counts nor earns, and the refund is taken off
    assert profile.order_count == 2
    assert profile.revenue == {"INR": Decimal("160.00")}


def test_two_currencies_are_never_added():
    # Given an order in rupees and one in dollars
    orders = [
        _record("a", 0, currency="INR", total=Decimal("1250.00")),
        _record("b", 1, currency="USD", total=Decimal("15.00")),
    ]

    # When the profile is rebuilt
    profile = summarise(_profile(), orders, RULES)

    # Then each currency has its own total
    assert profile.revenue == {"INR": Decimal("1250.00"), "USD": Decimal("15.00")}


def test_revenue_is_exact():
    # Given orders of ₹0.10 and ₹0.20
    orders = [
        _record("a", 0, total=Decimal("0.10")),
        _record("b", 1, total=Decimal("0.20")),
    ]

    # When the profile is rebuilt
    profile = summarise(_profile(), orders, RULES)

    # Then they make exactly ₹0.30, where binary floats make 0.30000000000000004
    assert profile.revenue["INR"] == Decimal("0.30")
    assert str(profile.revenue["INR"]) == "0.30"


def test_an_unpaid_order_counts_as_an_order_but_earns_nothing_yet():
    # Given an order still awaiting payment
    # When the profile is rebuilt
    profile = summarise(_profile(), [_record("a", paid=False)], RULES)

    # Then the customer has ordered, but no revenue is claimed
    assert profile.order_count == 1
    assert profile.revenue == {}


# Orders and times


def test_first_and_last_orders_skip_cancelled_ones():
    # Given three orders, the latest of them cancelled
    orders = [_record("c", 20, cancelled=True), _record("a", 0), _record("b", 10)]

    # When the profile is rebuilt
    profile = summarise(_profile(), orders, RULES)

    # Then the last order is the last one that stands
    assert profile.first_order_at == JANUARY
    assert profile.last_order_at == JANUARY + timedelta(days=10)
    assert profile.last_order_id == "b"


def test_recent_orders_keep_the_latest_including_cancelled():
    # Given seven orders, the last one cancelled, and rules keeping five
    orders = [_record(str(n), n) for n in range(6)] + [_record("6", 6, cancelled=True)]

    # When the profile is rebuilt
    profile = summarise(_profile(), orders, RULES)

    # Then the five latest are kept, oldest first, the cancelled one shown as such
    assert [o.order_id for o in profile.recent_orders] == ["2", "3", "4", "5", "6"]
    assert profile.recent_orders[-1].cancelled is True


def test_fully_refunded_shipment_is_not_the_last_fulfilment():
    # Given an order shipped and kept, then a later one shipped and fully refunded
    shipped = JANUARY + timedelta(days=2)
    orders = [
        _record("kept", 0, fulfilled_at=shipped),
        _record(
            "returned",
            5,
            fulfilled_at=shipped + timedelta(days=5),
            refunds={"r1": Decimal("100.00")},
        ),
    ]

    # When the profile is rebuilt
    profile = summarise(_profile(), orders, RULES)

    # Then the check-in after a purchase is about the order that was kept
    assert profile.last_fulfilled_order_id == "kept"
    assert profile.last_fulfilled_at == shipped


def test_very_large_order_shows_ten_items_and_counts_them_all():
    # Given an order stored with its first 50 of 300 lines
    lines = tuple(_line(str(n)) for n in range(50))
    order = _record("big", lines=lines, line_count=300)

    # When the profile is rebuilt
    profile = summarise(_profile(), [order], RULES)

    # Then its summary lists ten items and says there were 300
    [summary] = profile.recent_orders
    assert len(summary.items) == 10
    assert summary.item_count == 300


def test_products_bought_and_when():
    # Given product 1 bought twice and product 2 once
    orders = [
        _record("a", 0, lines=(_line("1"), _line("2"))),
        _record("b", 30, lines=(_line("1", quantity=3),)),
    ]

    # When the profile is rebuilt
    profile = summarise(_profile(), orders, RULES)

    # Then each product says how often and when it was last bought
    assert profile.products["1"].times_bought == 2
    assert profile.products["1"].last_bought_at == JANUARY + timedelta(days=30)
    assert profile.products["2"].times_bought == 1


def test_products_keep_the_most_recent_only():
    # Given three products bought on three days, and rules keeping two
    orders = [_record(str(n), n, lines=(_line(str(n)),)) for n in range(3)]
    rules = RetentionRules(products_kept=2)

    # When the profile is rebuilt
    profile = summarise(_profile(), orders, rules)

    # Then the two bought last are kept
    assert set(profile.products) == {"1", "2"}


# The person


def _customer(updated_days: int | None, **fields: Any) -> CustomerSnapshot:
    updated_at = None if updated_days is None else JANUARY + timedelta(days=updated_days)
    values = {"customer_id": "7000000001", "updated_at": updated_at}
    return CustomerSnapshot(**(values | fields))


def test_older_customer_update_does_not_overwrite_a_newer_one():
    # Given a profile holding the customer as updated on day 5
    profile = apply_customer(_profile(), _customer(5, phone="+15555550111"))

    # When a stale day-1 update arrives
    profile = apply_customer(profile, _customer(1, phone="+15555550101"))

    # Then the newer phone number stands
    assert profile.phone == "+15555550111"


def test_unsubscribing_withdraws_consent():
    # Given a subscribed customer
    profile = apply_customer(_profile(), _customer(1, consent=Consent(email=True)))

    # When they unsubscribe
    profile = apply_customer(profile, _customer(2, consent=Consent(email=False)))

    # Then the profile has no consent
    assert profile.consent.email is False


def test_a_source_silent_on_consent_keeps_what_is_known():
    # Given a subscribed customer
    profile = apply_customer(_profile(), _customer(1, consent=Consent(email=True)))

    # When an update that says nothing of consent arrives (a guest's order, say)
    profile = apply_customer(profile, _customer(None, email="asha.rao@example.com"))

    # Then the consent stands
    assert profile.consent.email is True
