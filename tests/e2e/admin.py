"""The local stack's ``/_local/`` endpoints, as the ``retention-local`` commands call them."""

from typing import Any
from urllib.parse import quote

import httpx

from tests.e2e.deliveries import SHOP


def profile(client: httpx.Client, customer_key: str) -> dict[str, Any]:
    response = client.get(f"/_local/profiles/{quote(SHOP, safe='')}/{quote(customer_key, safe='')}")
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def outbox(client: httpx.Client) -> list[dict[str, Any]]:
    response = client.get("/_local/outbox", params={"tenant": SHOP})
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def sent_to(client: httpx.Client, customer_key: str) -> list[tuple[str, str]]:
    """Each (channel, trigger key) the outbox holds for one customer, in the order sent."""
    return [
        (item["channel"], key)
        for item in outbox(client)
        for key, customer in zip(item["trigger_keys"], item["customer_keys"], strict=True)
        if customer == customer_key
    ]


def advance(client: httpx.Client, **amounts: float) -> list[dict[str, Any]]:
    """Move the virtual clock; answer the schedule runs it fired."""
    response = client.post("/_local/clock/advance", json=amounts)
    response.raise_for_status()
    fired: list[dict[str, Any]] = response.json()["fired"]
    return fired


def drain(client: httpx.Client) -> None:
    client.post("/_local/drain").raise_for_status()


def waiting_triggers(client: httpx.Client) -> dict[str, int]:
    """Messages visible or in flight, per queue: a failed trigger stays in flight for the
    queue's visibility timeout (180 s, in real time), so it shows here, not in the outbox."""
    response = client.get("/_local/queues")
    response.raise_for_status()
    return {
        queue["queue"]: queue["visible"] + queue["in_flight"] for queue in response.json()["queues"]
    }
