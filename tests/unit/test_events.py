"""The committed sample events: what ``make events`` writes, and signed so they verify."""

import json
from pathlib import Path

import pytest
from retention.domain.triggers import Trigger, TriggerKind
from retention.local.events import main
from retention.vendors.shopify import ShopifyWebhooks, verify_signature
from retention.webhooks import WebhookRequest

GENERATED = ("shopify", "sqs", "schedule")
TOPICS = {
    "customers/email_marketing_consent_update",
    "orders/create",
    "orders/paid",
    "orders/updated",
    "orders/fulfilled",
    "orders/cancelled",
    "refunds/create",
    "customers/create",
    "customers/update",
}


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for folder in GENERATED
        for path in sorted((root / folder).rglob("*.json"))
    }


def _shopify_events(events_dir: Path) -> list[Path]:
    return sorted((events_dir / "shopify").glob("*.json"))


def test_committed_events_are_what_the_generator_writes(events_dir, secrets_file, tmp_path):
    # Given the events committed in events/
    committed = _files(events_dir)

    # When the generator writes them afresh, twice
    for run in ("first", "second"):
        assert main(["--out", str(tmp_path / run), "--secrets", str(secrets_file)]) == 0

    # Then both runs match the committed files byte for byte, none missing and none extra
    assert _files(tmp_path / "first") == committed
    assert _files(tmp_path / "second") == committed


def test_there_is_one_event_per_handled_topic(events_dir):
    # Given the committed Shopify events
    # When their topics are read
    topics = {
        json.loads(path.read_text(encoding="utf-8"))["headers"]["x-shopify-topic"]
        for path in _shopify_events(events_dir)
    }

    # Then every handled topic has its sample
    assert topics == TOPICS


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_every_shopify_event_verifies_with_the_local_secret(
    shopify_event, shopify_secret, shopify_secrets, topic
):
    # Given a committed Shopify event
    event = shopify_event(topic)

    # When its signature is checked over the body, as bytes and through the adapter
    signed = verify_signature(
        event["body"].encode(),
        event["headers"]["x-shopify-hmac-sha256"],
        shopify_secret,
    )
    delivery = ShopifyWebhooks().authenticate(WebhookRequest.from_http_api(event), shopify_secrets)

    # Then it verifies, and the file is named for the topic it carries
    assert signed
    assert delivery.topic == topic
    assert event["requestContext"]["routeKey"] == event["routeKey"] == "POST /webhooks/shopify"


def test_queued_trigger_is_a_trigger_message(events_dir):
    # Given the committed SQS event for the dispatch function
    event = json.loads((events_dir / "sqs" / "trigger.json").read_text(encoding="utf-8"))

    # When its message body is read as the queue's consumer reads it
    [record] = event["Records"]
    trigger = Trigger.model_validate_json(record["body"])

    # Then it is the sample customer's welcome
    assert record["eventSource"] == "aws:sqs"
    assert trigger.kind is TriggerKind.WELCOME
    assert trigger.customer_key == "shopify:7000000001"


def test_schedule_event_carries_the_scheduled_time(events_dir):
    # Given the committed scheduler input for the lifecycle scan
    event = json.loads((events_dir / "schedule" / "scan.json").read_text(encoding="utf-8"))

    # When its time is read
    # Then it is a UTC instant, as EventBridge Scheduler writes it
    assert event["scheduled_time"].endswith("Z")


def test_missing_secret_writes_nothing_and_fails(tmp_path, capsys):
    # Given a secrets file without the demo shop's secret
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"WebhookSecrets": {"shopify": {}}}), encoding="utf-8")

    # When the generator runs with it
    status = main(["--out", str(tmp_path / "events"), "--secrets", str(secrets)])

    # Then it fails, says why, and writes no event signed with nothing
    assert status == 1
    assert "demo-store.myshopify.com" in capsys.readouterr().err
    assert not (tmp_path / "events").exists()


def test_events_are_signed_with_the_secrets_file_the_local_stack_reads(tmp_path, monkeypatch):
    # Given another local secrets file, named as the local stack expects
    secrets = tmp_path / "my-secrets.json"
    shops = {"demo-store.myshopify.com": "my-own-secret"}
    secrets.write_text(json.dumps({"WebhookSecrets": {"shopify": shops}}), encoding="utf-8")
    monkeypatch.setenv("RETENTION_LOCAL_SECRETS", str(secrets))

    # When the generator runs without naming a file
    assert main(["--out", str(tmp_path / "events")]) == 0

    # Then its events are signed with that file's secret
    event = json.loads((tmp_path / "events/shopify/orders_paid.json").read_text(encoding="utf-8"))
    signature = event["headers"]["x-shopify-hmac-sha256"]
    assert verify_signature(event["body"].encode(), signature, "my-own-secret")
