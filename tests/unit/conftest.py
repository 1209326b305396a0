"""The sample events in ``events/`` as unit-test inputs: the same bytes a user invokes."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from retention.domain.events import SourceEvent
from retention.vendors.shopify import ShopifyWebhooks
from retention.webhooks import Ignored, WebhookRequest

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
SECRETS_FILE = EVENTS / "secrets.local.json"
SHOP = "demo-store.myshopify.com"


@pytest.fixture
def events_dir() -> Path:
    return EVENTS


@pytest.fixture
def secrets_file() -> Path:
    return SECRETS_FILE


@pytest.fixture
def shopify_secret() -> str:
    """The demo store's local webhook secret, which signed the sample events."""
    document = json.loads(SECRETS_FILE.read_text(encoding="utf-8"))
    secret: str = document["WebhookSecrets"]["shopify"][SHOP]
    return secret


@pytest.fixture
def shopify_secrets(shopify_secret: str) -> dict[str, Any]:
    """The webhook secrets as the function reads them."""
    return {"shopify": {SHOP: shopify_secret}}


@pytest.fixture
def shopify_event() -> Callable[[str], dict[str, Any]]:
    """A fresh copy of a topic's sample event, e.g. ``shopify_event("orders/paid")``."""

    def load(topic: str) -> dict[str, Any]:
        path = EVENTS / "shopify" / f"{topic.replace('/', '_')}.json"
        event: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return event

    return load


@pytest.fixture
def shopify_snapshot(
    shopify_event: Callable[[str], dict[str, Any]],
    shopify_secrets: dict[str, Any],
) -> Callable[[str], SourceEvent]:
    """What the Shopify adapter makes of a topic's sample event."""
    source = ShopifyWebhooks()

    def parse(topic: str) -> SourceEvent:
        request = WebhookRequest.from_http_api(shopify_event(topic))
        delivery = source.authenticate(request, shopify_secrets)
        parsed = source.parse(delivery, request.body)
        assert not isinstance(parsed, Ignored), parsed.reason
        return parsed

    return parse
