"""Asha, the sample customer of ``events/``, as her profile stands after her first order.

Her welcome trigger is the one in ``events/sqs/trigger.json``, so the dispatch tests send
the same bytes a user invokes.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from retention.domain.events import Consent
from retention.domain.lifecycle import Stage
from retention.domain.profiles import ItemSummary, OrderSummary, Profile
from retention.domain.triggers import Trigger, TriggerKind

ROOT = Path(__file__).resolve().parents[2]
SQS_EVENT = ROOT / "events" / "sqs" / "trigger.json"

SHOP = "demo-store.myshopify.com"
ASHA = "shopify:7000000001"
ASHA_EMAIL = "asha.rao@example.com"
FIRST_ORDER = "6000000001"
# 00:30 in Kolkata on 12 January is still 11 January in UTC.
PLACED_AT = datetime(2026, 1, 11, 19, 0, tzinfo=UTC)
# Within her welcome's window, which closes three days after the order.
NOW = datetime(2026, 1, 12, 4, 30, tzinfo=UTC)
WELCOME_KEY = f"{SHOP}/{ASHA}/welcome"
# A win-back planned from an order older than her last one: she has ordered since.
STALE_WIN_BACK_KEY = f"{SHOP}/{ASHA}/win_back/5999999999/45"


def sqs_event() -> dict[str, Any]:
    """A fresh copy of ``events/sqs/trigger.json``."""
    event: dict[str, Any] = json.loads(SQS_EVENT.read_text(encoding="utf-8"))
    return event


def welcome() -> Trigger:
    return Trigger.model_validate_json(sqs_event()["Records"][0]["body"])


def stale_win_back() -> Trigger:
    return Trigger(
        key=STALE_WIN_BACK_KEY,
        kind=TriggerKind.WIN_BACK,
        tenant=SHOP,
        customer_key=ASHA,
        due_at=datetime(2026, 1, 12, 4, 30, tzinfo=UTC),
        order_id="5999999999",
        step_days=45,
    )


def first_order() -> OrderSummary:
    return OrderSummary(
        order_id=FIRST_ORDER,
        name="#1001",
        placed_at=PLACED_AT,
        currency="INR",
        total=Decimal("1250.00"),
        net=Decimal("1250.00"),
        cancelled=False,
        fulfilled_at=None,
        items=(
            ItemSummary(product_id="8000000001", title="Assam Masala Chai", quantity=2),
            ItemSummary(product_id="8000000002", title="Brass Tea Strainer", quantity=1),
        ),
        item_count=2,
    )


def asha(**changes: Any) -> Profile:
    """Her profile once order #1001 is paid; ``changes`` override any field."""
    profile = Profile(
        tenant=SHOP,
        customer_key=ASHA,
        customer_id="7000000001",
        email=ASHA_EMAIL,
        phone="+15555550101",
        first_name="Asha",
        last_name="Rao",
        consent=Consent(email=True, sms=False),
        order_count=1,
        first_order_at=PLACED_AT,
        last_order_at=PLACED_AT,
        last_order_id=FIRST_ORDER,
        revenue={"INR": Decimal("1250.00")},
        recent_orders=(first_order(),),
        stage=Stage.NEW,
        triggers_enqueued=(STALE_WIN_BACK_KEY, WELCOME_KEY),
    )
    return profile.model_copy(update=changes)
