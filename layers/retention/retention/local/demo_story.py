"""The demo's store history: who buys what and when, and what the engine should send.

Shop ``demo-store.myshopify.com`` in Kolkata (INR), from January to April 2026. The story
has a repeat buyer, first-time buyers, one who lapses, one without marketing consent, a
cancellation, a partial refund, a guest order, an order with no one to contact, a
redelivered webhook and a stale update that arrives late.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from retention.local.shopify_payloads import Item, Order, Person, customer, order, refund
from retention.local.signing import DEMO_SHOP

SHOP = DEMO_SHOP
ZONE = ZoneInfo("Asia/Kolkata")
START = datetime(2026, 1, 1, tzinfo=ZONE)
END = datetime(2026, 4, 28, 23, 0, tzinfo=ZONE)

CHAI = Item(8000000001, "Assam Masala Chai", "450.00", 2)
STRAINER = Item(8000000002, "Brass Tea Strainer", "350.00")
KETTLE = Item(8000000003, "Copper Kettle", "4000.00")
HONEY = Item(8000000004, "Forest Honey", "600.00")

ASHA = Person(7000000101, "Asha", "Rao", "asha.rao@example.com", "+15555550101", True)
BEN = Person(7000000102, "Ben", "Thomas", "ben.thomas@example.com", "+15555550102", True)
CHITRA = Person(7000000103, "Chitra", "Iyer", "chitra.iyer@example.com", None, False)
DEV = Person(7000000104, "Dev", "Malhotra", "dev.malhotra@example.com", None, True)
ESHA = Person(7000000105, "Esha", "Kapoor", "esha.kapoor@example.com", None, True)
GUEST = Person(None, "Guest", "Buyer", "guest.buyer@example.com")
NOBODY = Person(None, "Counter", "Sale", None)

PEOPLE = {
    "Asha": (ASHA, "repeat buyer"),
    "Ben": (BEN, "first-time buyer who lapses"),
    "Chitra": (CHITRA, "buyer without marketing consent"),
    "Dev": (DEV, "buyer whose second order is cancelled"),
    "Esha": (ESHA, "buyer with a partial refund"),
    "Guest": (GUEST, "guest checkout without an account"),
}

Sent = list[tuple[str, int | None]]
WELCOME: Sent = [("welcome", None)]
POST_PURCHASE: Sent = [("post_purchase", None)]
WIN_BACKS: Sent = [("win_back", 45), ("win_back", 60)]

# What the engine must send, per person: (trigger kind, win-back step in days).
EXPECTED: dict[str, Sent] = {
    "Asha": WELCOME + POST_PURCHASE * 3,
    "Ben": WELCOME + POST_PURCHASE + WIN_BACKS,
    "Chitra": [],
    "Dev": WELCOME + POST_PURCHASE + WIN_BACKS,
    "Esha": WELCOME + POST_PURCHASE + WIN_BACKS[:1],
    "Guest": [],
}


@dataclass(frozen=True)
class Delivery:
    """One webhook as Shopify would send it; ``event_id`` is the dedupe key it carries."""

    at: datetime
    topic: str
    body: dict[str, Any]
    event_id: str
    note: str


def _day(month: int, day: int, hour: int = 11, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE)


def _placed(order_id: int, number: int, person: Person, at: datetime, *items: Item) -> Order:
    return Order(order_id, number, person, at, list(items))


def _lifecycle(placed: Order, fulfilled: datetime) -> list[Delivery]:
    """Placed with payment pending (UPI collect, say), paid, then fulfilled."""
    at = placed.placed_at
    pending = order(placed, at, financial_status="pending")
    return [
        _delivery(at, "orders/create", pending, f"{placed.number} placed"),
        _delivery(
            at + timedelta(seconds=40),
            "orders/paid",
            order(placed, at + timedelta(seconds=40)),
            f"{placed.number} paid",
        ),
        _delivery(
            fulfilled,
            "orders/fulfilled",
            order(placed, fulfilled, fulfilled_at=fulfilled),
            f"{placed.number} fulfilled",
        ),
    ]


def _delivery(at: datetime, topic: str, body: dict[str, Any], note: str) -> Delivery:
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{SHOP}/{topic}/{body.get('id')}/{at}")
    return Delivery(at, topic, body, str(event_id), note)


def deliveries() -> list[Delivery]:
    """The whole history, in the order Shopify sends it."""
    asha_1 = _placed(6000000101, 1101, ASHA, _day(1, 5), CHAI, STRAINER)
    asha_2 = _placed(6000000102, 1102, ASHA, _day(2, 12), CHAI)
    asha_3 = _placed(6000000103, 1103, ASHA, _day(3, 28), CHAI, HONEY)
    ben_1 = _placed(6000000201, 1201, BEN, _day(1, 8, 0, 30), KETTLE)
    chitra_1 = _placed(6000000301, 1301, CHITRA, _day(1, 12), HONEY)
    dev_1 = _placed(6000000401, 1401, DEV, _day(2, 1), STRAINER)
    dev_2 = _placed(6000000402, 1402, DEV, _day(2, 20), KETTLE)
    esha_1 = _placed(6000000501, 1501, ESHA, _day(3, 1), KETTLE)
    guest_1 = _placed(6000000601, 1601, GUEST, _day(2, 15), CHAI)
    counter = _placed(6000000701, 1701, NOBODY, _day(3, 5), HONEY)

    history = [
        _delivery(_day(1, 2), "customers/create", customer(ASHA, _day(1, 2)), "Asha signs up"),
        *_lifecycle(asha_1, _day(1, 7, 15)),
        *_lifecycle(ben_1, _day(1, 10, 15)),
        *_lifecycle(chitra_1, _day(1, 14, 15)),
        *_lifecycle(dev_1, _day(2, 3, 15)),
        *_lifecycle(asha_2, _day(2, 14, 15)),
        *_lifecycle(guest_1, _day(2, 17, 15)),
        _delivery(_day(2, 20), "orders/create", order(dev_2, _day(2, 20)), "1402 placed"),
        _delivery(
            _day(2, 21),
            "orders/cancelled",
            order(dev_2, _day(2, 21), financial_status="voided", cancelled_at=_day(2, 21)),
            "1402 cancelled",
        ),
        *_lifecycle(esha_1, _day(3, 3, 15)),
        _delivery(_day(3, 5), "orders/create", order(counter, _day(3, 5)), "counter sale"),
        _delivery(
            _day(3, 8),
            "refunds/create",
            refund(esha_1, 1050000001, "1500.00", _day(3, 8)),
            "1501 partly refunded",
        ),
        *_lifecycle(asha_3, _day(3, 30, 15)),
    ]
    return sorted(history + _trouble(ben_1, asha_1), key=lambda d: d.at)


def _trouble(ben_1: Order, asha_1: Order) -> list[Delivery]:
    """What at-least-once delivery brings: a redelivery, and a stale retry arriving late."""
    first = _delivery(ben_1.placed_at, "orders/create", order(ben_1, ben_1.placed_at), "")
    redelivered = Delivery(
        first.at + timedelta(minutes=2),
        first.topic,
        first.body,
        first.event_id,
        "1201 placed, delivered again",
    )
    before_payment = asha_1.placed_at + timedelta(seconds=20)
    stale = _delivery(
        _day(1, 9),
        "orders/updated",
        order(asha_1, before_payment, financial_status="pending"),
        "1101 update from before payment, retried late",
    )
    return [redelivered, stale]
