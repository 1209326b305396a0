"""Klaviyo: one event per trigger, which starts the flow that listens to its metric.

- ``POST /api/events`` with a private key in ``Authorization: Klaviyo-API-Key``, scope
  ``events:write`` (https://developers.klaviyo.com/en/reference/create_event). The
  ``revision`` header is required; it is pinned, so a new Klaviyo revision changes nothing
  here until we move to it.
- The body is JSON:API; 202 Accepted, with no body, is success.
- ``unique_id`` is the trigger key: Klaviyo keeps one event per unique id for a profile
  and metric, a second guard behind our own idempotency.
- One metric per trigger kind, so that each flow listens to exactly one of them.
- Property values are strings, integers or lists of them, never binary floats: amounts are
  Decimal strings, with their currency beside them.
- A phone number that is not E.164 would make Klaviyo refuse the whole event, so only an
  E.164 number is sent.
- ``external_id`` is our customer key. Shopify's customer ids are unique across shops, so
  shops sharing one Klaviyo account stay apart; a source whose ids are only unique within
  a store will need the tenant in it.
"""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from retention.channels.http import Connection, Subject
from retention.domain.identity import normalise_email
from retention.domain.money import main_currency
from retention.domain.profiles import OrderSummary, Profile
from retention.domain.rules import RetentionRules
from retention.domain.triggers import Trigger, TriggerKind

CHANNEL = "klaviyo"
EVENTS_PATH = "/api/events"
REVISION = "2026-10-15"
JSON_API = "application/vnd.api+json"
E164 = re.compile(r"\+[1-9]\d{6,14}")

METRIC_NAMES: Mapping[TriggerKind, str] = {
    TriggerKind.WELCOME: "Retention Welcome",
    TriggerKind.POST_PURCHASE: "Retention Post-Purchase",
    TriggerKind.WIN_BACK: "Retention Win-Back",
}


def headers(api_key: str) -> dict[str, str]:
    return {
        "authorization": f"Klaviyo-API-Key {api_key}",
        "revision": REVISION,
        "accept": JSON_API,
        "content-type": JSON_API,
    }


def event_for(
    trigger: Trigger,
    profile: Profile,
    rules: RetentionRules,
    now: datetime,
) -> dict[str, Any]:
    """The Create Event body for a trigger, sent at ``now``."""
    metric = {"data": {"type": "metric", "attributes": {"name": METRIC_NAMES[trigger.kind]}}}
    person = {"data": {"type": "profile", "attributes": _person(profile)}}
    return {
        "data": {
            "type": "event",
            "attributes": {
                "properties": _properties(trigger, profile, rules),
                "time": now.astimezone(UTC).isoformat(timespec="seconds"),
                "unique_id": trigger.key,
                "metric": metric,
                "profile": person,
            },
        }
    }


def _person(profile: Profile) -> dict[str, str]:
    phone = profile.phone if profile.phone and E164.fullmatch(profile.phone) else None
    values = {
        "email": normalise_email(profile.email),
        "external_id": profile.customer_key,
        "phone_number": phone,
        "first_name": profile.first_name,
        "last_name": profile.last_name,
    }
    return {name: value for name, value in values.items() if value}


def _properties(trigger: Trigger, profile: Profile, rules: RetentionRules) -> dict[str, Any]:
    """What a flow needs to write its email: the reason, the order, and the customer's worth."""
    currency = main_currency(profile.revenue, rules.base_currency)
    values: dict[str, Any] = {
        "trigger": trigger.kind.value,
        "store": trigger.tenant,
        "stage": profile.stage.value,
        "order_count": profile.order_count,
        "step_days": trigger.step_days,
        "lifetime_value": format(profile.revenue[currency], "f") if currency else None,
        "lifetime_value_currency": currency,
    }
    order = _order(profile, trigger.order_id)
    if order is not None:
        values.update(_order_properties(order))
    return _present(values)


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    """Unknown values are left out rather than sent as null."""
    return {name: value for name, value in values.items() if value is not None}


def _order(profile: Profile, order_id: str | None) -> OrderSummary | None:
    """The order the trigger names, else the customer's latest."""
    named = [order for order in profile.recent_orders if order.order_id == order_id]
    if named:
        return named[0]
    return max(profile.recent_orders, key=lambda order: order.placed_at, default=None)


def _order_properties(order: OrderSummary) -> dict[str, Any]:
    items = [
        _present({"product_id": item.product_id, "title": item.title, "quantity": item.quantity})
        for item in order.items
    ]
    return {
        "order_id": order.order_id,
        "order_name": order.name,
        "order_placed_at": order.placed_at.astimezone(UTC).isoformat(timespec="seconds"),
        "order_total": format(order.total, "f"),
        "order_currency": order.currency,
        "order_item_count": order.item_count,
        "items": items,
    }


class Klaviyo:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def create_event(self, trigger: Trigger, event: Mapping[str, Any]) -> None:
        subject = Subject(
            tenant=trigger.tenant,
            trigger_keys=(trigger.key,),
            customer_keys=(trigger.customer_key,),
        )
        self._connection.post_json(EVENTS_PATH, event, subject)


def explain(response: httpx.Response) -> str:
    """Klaviyo's first error code and the field it points at, never its detail text."""
    try:
        answer = response.json()
    except ValueError:
        answer = None
    errors = answer.get("errors") if isinstance(answer, Mapping) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], Mapping):
        return response.reason_phrase or "error"

    first = errors[0]
    source = first.get("source")
    pointer = source.get("pointer") if isinstance(source, Mapping) else None
    code = str(first.get("code") or "error")
    return f"{code} at {pointer}" if pointer else code


def dry_run_reply(request: httpx.Request) -> httpx.Response:
    """What Klaviyo answers an accepted event: 202 with no body."""
    return httpx.Response(202)
