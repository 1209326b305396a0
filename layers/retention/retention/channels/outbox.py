"""The outbox: every request a channel without credentials would have sent, kept instead.

Such a channel's client runs the same vendor code over ``OutboxTransport``, which takes
the place of the network: it writes the finished request to the outbox table and answers
as the vendor would on success. A first run and a dry run therefore show exactly the
bytes that would have gone out, and nothing leaves the account.

One item per request, in the outbox table (``pk``/``sk``, TTL on ``expires_at``):

================  =======================================================================
``pk``            the tenant (the shop domain)
``sk``            ``<recorded_at, to the microsecond>#<wall clock, ns>#<channel>#<6 hex>``:
                  in the order recorded, even while the local stack's clock stands still,
                  and unique
``channel``       ``hubspot`` or ``klaviyo``
``trigger_keys``  the triggers the request carries; a HubSpot batch carries several
``customer_keys`` their customers, in the same order
``method``        as sent
``url``           as sent
``headers``       as sent, with ``authorization`` redacted
``body``          the exact JSON text of the request body
``recorded_at``   ISO time from the engine's clock, so the local stack's moved clock shows
``expires_at``    epoch seconds, 25 days on; DynamoDB's TTL then removes the item
================  =======================================================================

The tenant is the partition key, so one tenant's outbox is a Query. Listing every tenant
has no key to query by; ``read_outbox`` then scans, which is meant for the local stack and
debugging, on a table that TTL keeps small.
"""

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

import httpx
from boto3.dynamodb.conditions import Key

from retention import clock
from retention.channels.http import SUBJECT, Subject

# Bodies carry the customer's email and no index finds them by customer, so expiry is how
# a redacted customer leaves the outbox: within Shopify's 30 days, TTL's lag included.
KEPT_FOR = timedelta(days=25)
REDACTED = "[redacted]"
SECRET_HEADERS = frozenset({"authorization"})


@dataclass(frozen=True)
class OutboxEntry:
    tenant: str
    recorded_at: str
    channel: str
    trigger_keys: tuple[str, ...]
    customer_keys: tuple[str, ...]
    method: str
    url: str
    headers: dict[str, str]
    body: str


class OutboxTransport(httpx.BaseTransport):
    """Records each request in the outbox table and answers with ``reply(request)``."""

    def __init__(
        self,
        table: Any,
        channel: str,
        reply: Callable[[httpx.Request], httpx.Response],
    ) -> None:
        self._table = table
        self._channel = channel
        self._reply = reply

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._table.put_item(Item=self._item(request))
        return self._reply(request)

    def _item(self, request: httpx.Request) -> dict[str, Any]:
        subject = request.extensions[SUBJECT]
        if not isinstance(subject, Subject):
            raise TypeError("an outbox request must say which tenant and triggers it is for")

        recorded_at = clock.now().astimezone(UTC)
        stamp = recorded_at.isoformat(timespec="microseconds")
        return {
            "pk": subject.tenant,
            "sk": f"{stamp}#{time.time_ns()}#{self._channel}#{uuid.uuid4().hex[:6]}",
            "channel": self._channel,
            "trigger_keys": list(subject.trigger_keys),
            "customer_keys": list(subject.customer_keys),
            "method": request.method,
            "url": str(request.url),
            "headers": _redacted(request.headers),
            "body": request.read().decode(),
            "recorded_at": recorded_at.isoformat(timespec="seconds"),
            "expires_at": int((recorded_at + KEPT_FOR).timestamp()),
        }


def _redacted(headers: httpx.Headers) -> dict[str, str]:
    return {name: REDACTED if name in SECRET_HEADERS else value for name, value in headers.items()}


def read_outbox(table: Any, tenant: str | None = None) -> list[OutboxEntry]:
    """A tenant's outbox in the order it was recorded, or every tenant's."""
    if tenant is None:
        # Every tenant has no key to query by: a Scan, for the local stack and debugging only.
        items = list(_pages(table.scan))
    else:
        items = list(_pages(table.query, KeyConditionExpression=Key("pk").eq(tenant)))
    items.sort(key=lambda item: (str(item["pk"]), str(item["sk"])))
    return [_entry(item) for item in items]


def _pages(read: Callable[..., dict[str, Any]], **kwargs: Any) -> Iterator[dict[str, Any]]:
    while True:
        page = read(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _entry(item: dict[str, Any]) -> OutboxEntry:
    return OutboxEntry(
        tenant=str(item["pk"]),
        recorded_at=str(item["recorded_at"]),
        channel=str(item["channel"]),
        trigger_keys=tuple(str(key) for key in item.get("trigger_keys", [])),
        customer_keys=tuple(str(key) for key in item.get("customer_keys", [])),
        method=str(item["method"]),
        url=str(item["url"]),
        headers={str(name): str(value) for name, value in item.get("headers", {}).items()},
        body=str(item["body"]),
    )
