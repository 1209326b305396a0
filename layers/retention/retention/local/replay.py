"""``retention-local replay``: send sample events to a running stack, each at its own time.

A webhook cannot carry a time later than the moment it is sent, and the function refuses
one that does. Replaying January's samples into a stack whose clock says 10 January would
therefore fail; instead the clock is first moved on to each event's
``X-Shopify-Triggered-At`` (never back), firing the schedules in between, as if the events
arrived when Shopify sent them.
"""

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

from retention.local.virtual_clock import parse_time
from retention.vendors.shopify import triggered_at

# Added by API Gateway or by the connection, never sent by Shopify.
NOT_FROM_SHOPIFY = frozenset(
    {"host", "content-length", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"}
)


def replay(url: str, paths: Iterable[Path], out: TextIO) -> int:
    """Send each event in the order Shopify sent them; 1 if any was not accepted."""
    events = sorted(_events(paths), key=lambda event: event[0])
    if not events:
        raise ValueError("no events found in what was named")
    refused = 0

    with httpx.Client(base_url=url.rstrip("/"), timeout=600) as client:
        for sent_at, path, event in events:
            catch_up(client, sent_at)
            answer = _post(client, event)
            status = answer.get("status", "?")
            refused += status not in {"accepted", "duplicate", "ignored"}
            reason = f" ({answer['reason']})" if answer.get("reason") else ""
            print(f"{sent_at:%Y-%m-%d %H:%M}Z  {path.name:<48} {status}{reason}", file=out)
    return 1 if refused else 0


def _events(paths: Iterable[Path]) -> Iterable[tuple[datetime, Path, dict[str, Any]]]:
    for path in paths:
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for file in files:
            yield _event(file)


def _event(file: Path) -> tuple[datetime, Path, dict[str, Any]]:
    try:
        event = json.loads(file.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ValueError(f"{file}: not JSON ({error})") from error

    headers = event.get("headers") if isinstance(event, dict) else None
    if not isinstance(headers, dict) or not isinstance(event.get("body"), str):
        raise ValueError(f"{file}: not a sample webhook event (no headers and body)")
    lowered = {str(name).lower(): value for name, value in headers.items()}
    sent_at = triggered_at(lowered.get("x-shopify-triggered-at"))
    if sent_at is None:
        raise ValueError(f"{file}: no X-Shopify-Triggered-At time to send it at")
    return sent_at, file, event


def catch_up(client: httpx.Client, moment: datetime) -> None:
    """Move a running stack's clock on to ``moment`` if it is behind; never back."""
    now = parse_time(client.get("/_local/clock").json()["now"])
    behind = (moment - now).total_seconds()
    if behind > 0:
        client.post("/_local/clock/advance", json={"seconds": behind}).raise_for_status()


def _post(client: httpx.Client, event: dict[str, Any]) -> dict[str, Any]:
    headers = {
        name: value
        for name, value in event["headers"].items()
        if name.lower() not in NOT_FROM_SHOPIFY
    }
    response = client.post(event["rawPath"], content=event["body"].encode(), headers=headers)
    answer: dict[str, Any] = response.json()
    return answer
