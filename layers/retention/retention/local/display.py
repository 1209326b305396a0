"""Readable lines for the CLI's answers; ``--json`` prints the documents instead."""

from collections.abc import Sequence
from typing import Any

# The outbox's layout is the dispatcher's (retention/channels/outbox.py); these are shown when
# present, under a readable heading, and --json shows everything.
OUTBOX_COLUMNS = {
    "recorded_at": "recorded",
    "pk": "tenant",
    "channel": "channel",
    "method": "method",
    "url": "url",
    "trigger_keys": "triggers",
}
RECENT_ORDERS_SHOWN = 5


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = []
    for row in (header, *rows):
        cells = (str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
    return lines


def clock_lines(document: dict[str, Any]) -> list[str]:
    lines = [f"now  {document['now']}"]
    fired = document.get("fired")
    if fired is not None:
        lines += _fired_lines(fired)
    for schedule in document.get("schedules", []):
        if "skipped" in schedule:
            lines.append(f"not run locally: {schedule['skipped']}")
        else:
            lines.append(
                f"next {schedule['next']}  {schedule['schedule']} ({schedule['expression']}) "
                f"-> {schedule['function']}"
            )
    return lines


def _fired_lines(fired: list[dict[str, Any]]) -> list[str]:
    if not fired:
        return ["fired nothing: no schedule time has passed"]
    lines = []
    for schedule in dict.fromkeys(fire["schedule"] for fire in fired):
        times = [fire["scheduled_time"] for fire in fired if fire["schedule"] == schedule]
        span = times[0] if len(times) == 1 else f"{times[0]} to {times[-1]}"
        lines.append(f"fired {schedule} {len(times)} time(s), {span}")
    lines += [
        f"  failed at {fire['scheduled_time']}: {fire['error']}" for fire in fired if not fire["ok"]
    ]
    return lines


def profile_lines(profile: dict[str, Any]) -> list[str]:
    name = " ".join(filter(None, (profile.get("first_name"), profile.get("last_name"))))
    consent = profile.get("consent") or {}
    revenue = profile.get("revenue") or {}
    lines = [
        f"{profile['tenant']}  {profile['customer_key']}",
        f"  name          {name or '-'}",
        f"  email         {profile.get('email') or '-'}",
        f"  consent       email {_yes(consent.get('email'))}, sms {_yes(consent.get('sms'))}",
        f"  stage         {profile.get('stage')}",
        f"  orders        {profile.get('order_count', 0)}"
        f" (first {_day(profile.get('first_order_at'))},"
        f" last {_day(profile.get('last_order_at'))})",
        "  net revenue   "
        + (", ".join(f"{currency} {amount}" for currency, amount in revenue.items()) or "-"),
        f"  next action   {profile.get('next_action') or '-'}"
        + (f" at {profile['next_action_at']}" if profile.get("next_action_at") else ""),
        "  triggers      " + (", ".join(profile.get("triggers_enqueued") or []) or "-"),
    ]
    orders = (profile.get("recent_orders") or [])[-RECENT_ORDERS_SHOWN:]
    if orders:
        lines.append("  recent orders")
        rows = [
            [
                order.get("name") or order["order_id"],
                _day(order.get("placed_at")),
                f"{order['currency']} {order['total']}",
                f"net {order['net']}",
                _order_state(order),
            ]
            for order in orders
        ]
        lines += ["    " + line for line in table(rows, ["order", "placed", "total", "", "state"])]
    return lines


def outbox_lines(items: list[dict[str, Any]]) -> list[str]:
    if not items:
        return ["the outbox is empty"]
    present = {key for item in items for key in item}
    columns = [column for column in OUTBOX_COLUMNS if column in present]
    if len(columns) <= 2:
        columns = sorted(present - {"body", "headers"})
    rows = [[_cell(item.get(column)) for column in columns] for item in items]
    header = [OUTBOX_COLUMNS.get(column, column) for column in columns]
    return [*table(rows, header), f"{len(items)} item(s); --json shows the request bodies"]


def _yes(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _day(moment: str | None) -> str:
    return moment[:10] if moment else "-"


def _order_state(order: dict[str, Any]) -> str:
    if order.get("cancelled"):
        return "cancelled"
    return "fulfilled" if order.get("fulfilled_at") else "open"


def _cell(value: Any) -> str:
    if isinstance(value, list | tuple | set):
        return ", ".join(str(part) for part in value)
    return "" if value is None else str(value)
