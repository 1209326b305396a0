"""A ready-to-run ``curl`` for a payload file, signed as Shopify would sign it.

The secret is the local value of the secret that the webhook functions read (the one in
their ``WEBHOOK_SECRETS_NAME``), so the signature is the one the local stack checks.
"""

import json
import shlex
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from retention.local.intrinsics import referenced_resource
from retention.local.secret_values import load_secret_values, secrets_file
from retention.local.template import SECRET, Template, TemplateError
from retention.vendors.shopify import SOURCE, sign

SECRETS_VARIABLE = "webhook_secrets_name".upper()
DEMO_SHOP = "demo-store.myshopify.com"
DEFAULT_TOPIC = "orders/create"
ANY_SHOP = "*"


@dataclass(frozen=True)
class Delivery:
    """What to sign: a payload file, or a sample API Gateway event from ``events/``.

    From an event, the body is the event's ``body`` and the topic and shop default to its
    headers'; from a payload file, to ``orders/create`` and the demo store.
    """

    payload: Path
    shop: str | None
    topic: str | None
    url: str
    api_version: str
    event_id: str | None = None


def curl_command(template: Template, delivery: Delivery, secrets: Path | None = None) -> str:
    body, headers_sent, data = _body_of(delivery.payload)
    shop = delivery.shop or headers_sent.get("x-shopify-shop-domain") or DEMO_SHOP
    topic = delivery.topic or headers_sent.get("x-shopify-topic") or DEFAULT_TOPIC
    secret = shop_secret(template, shop, secrets)
    event_id = delivery.event_id or str(uuid.uuid4())
    headers = shopify_headers(
        body, secret, shop, topic, event_id, datetime.now(UTC), delivery.api_version
    )
    parts = [f"curl -sS -X POST {shlex.quote(delivery.url)}"]
    parts += [f"-H {shlex.quote(f'{name}: {value}')}" for name, value in headers.items()]
    parts.append(f"--data-binary {shlex.quote(data)}")
    return " \\\n  ".join(parts)


def _body_of(path: Path) -> tuple[bytes, dict[str, str], str]:
    """The bytes to sign, the headers they came with, and curl's ``--data-binary`` value.

    A payload file is sent as it is (``@file``). An event's body is not the file, so it is
    passed inline, exactly as the event holds it.
    """
    raw = path.read_bytes()
    try:
        document = json.loads(raw)
    except ValueError:
        return raw, {}, "@" + str(path)

    if not isinstance(document, dict) or not isinstance(document.get("body"), str):
        return raw, {}, "@" + str(path)
    if document.get("isBase64Encoded"):
        raise TemplateError(f"{path}: a base64 event body cannot be sent inline; save it first")

    headers = {str(k).lower(): str(v) for k, v in (document.get("headers") or {}).items()}
    return document["body"].encode(), headers, document["body"]


def shopify_headers(
    body: bytes,
    secret: str,
    shop: str,
    topic: str,
    event_id: str,
    sent_at: datetime,
    api_version: str,
) -> dict[str, str]:
    """The headers Shopify sends with a webhook, signed over ``body``."""
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Event-Id": event_id,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": sent_at.astimezone(UTC).isoformat(timespec="milliseconds"),
        "X-Shopify-API-Version": api_version,
    }


def shopify_path(template: Template) -> str:
    """The one route of a function that reads webhook secrets and names Shopify."""
    paths = {
        route.path
        for route, function in template.routes()
        if SECRETS_VARIABLE in function.environment and "shopify" in route.path
    }
    if len(paths) != 1:
        raise TemplateError(f"cannot tell the Shopify route from {sorted(paths)}; pass --path")
    return paths.pop()


def shop_secret(template: Template, shop: str, secrets: Path | None = None) -> str:
    logical_id = _webhook_secret_id(template)
    known = {resource.logical_id for resource in template.of_type(SECRET)}
    path = secrets_file(template.root, secrets)
    value: Any = load_secret_values(path, known).get(logical_id)
    if value is None:
        value = template.resources[logical_id].properties.get("SecretString")
    if isinstance(value, str):
        value = json.loads(value)

    shops = (value or {}).get(SOURCE) or {}
    secret = shops.get(shop) or shops.get(ANY_SHOP)
    if not isinstance(secret, str) or not secret:
        raise TemplateError(f"no Shopify secret for {shop} (nor {ANY_SHOP}) in {path}")
    return secret


def _webhook_secret_id(template: Template) -> str:
    ids = {
        referenced_resource(function.environment[SECRETS_VARIABLE])
        for function in template.functions.values()
        if SECRETS_VARIABLE in function.environment
    }
    ids.discard(None)
    if len(ids) != 1:
        found = sorted(map(str, ids))
        raise TemplateError(f"expected one secret in {SECRETS_VARIABLE}, found {found}")
    return str(ids.pop())
