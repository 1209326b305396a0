"""The one path every inbound webhook takes: authenticate, parse, deduplicate, record.

Each source (Shopify today; WooCommerce, Stripe, Worldline and the helpdesks next) is a
``WebhookSource`` in its vendor module. The handler of each function only names its source.

Errors, and the HTTP answer each one gets::

    WebhookError           base; carries the status and a reason safe to return and log
    ├── SignatureError     401: missing, unknown or wrong signature; nothing is read
    ├── PayloadError       400: the body is not what the topic promises; nothing changes
    └── InProgressError    409: the same delivery is being processed; the sender retries
"""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from retention.domain.events import SourceEvent


class WebhookError(Exception):
    status = 500

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureError(WebhookError):
    status = 401


class PayloadError(WebhookError):
    status = 400


class InProgressError(WebhookError):
    status = 409


@dataclass(frozen=True)
class WebhookRequest:
    """The raw request; the body is the exact bytes the sender signed."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    request_id: str | None = None

    @classmethod
    def from_http_api(cls, event: Mapping[str, Any]) -> "WebhookRequest":
        """Read an API Gateway HTTP API (payload 2.0) or REST proxy event.

        Header names are folded to lower case, since HTTP/2 and API Gateway change their
        case. A base64 body is decoded back to the sender's bytes before any hashing.
        """
        raw = event.get("body") or ""
        try:
            body = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw
        except binascii.Error as error:
            raise PayloadError("body is flagged base64 but is not") from error
        if isinstance(body, str):
            body = body.encode()
        headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        context = event.get("requestContext") or {}
        http = context.get("http") or {}
        return cls(
            method=http.get("method") or event.get("httpMethod") or "POST",
            path=event.get("rawPath") or event.get("path") or "/",
            headers=headers,
            body=body,
            request_id=context.get("requestId"),
        )


@dataclass(frozen=True)
class Delivery:
    """An authenticated delivery: who sent it, about what, and its deduplication key."""

    source: str
    tenant: str
    topic: str
    key: str
    triggered_at: datetime | None = None


@dataclass(frozen=True)
class Ignored:
    """A delivery we acknowledge and do nothing with, and why."""

    reason: str


@dataclass(frozen=True)
class Receipt:
    """What the sender is told. Duplicates and ignored topics are answered 200 too, so
    the sender stops retrying them."""

    status: str
    reason: str | None = None
    triggers: list[str] = field(default_factory=list)


class WebhookSource(Protocol):
    name: str

    def authenticate(self, request: WebhookRequest, secrets: Mapping[str, Any]) -> Delivery:
        """Check the signature over the raw body; raise ``SignatureError`` if it fails."""
        ...

    def parse(self, delivery: Delivery, body: bytes) -> SourceEvent | Ignored:
        """Turn the body into a snapshot; raise ``PayloadError`` if it cannot."""
        ...
