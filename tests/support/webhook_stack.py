"""The webhook and scan functions in process, against moto, as ``template.yaml`` defines them."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws
from retention import clock, runtime
from retention.data.dynamodb import DynamoProfileStore
from retention.domain.profiles import Profile
from retention.domain.triggers import Trigger
from retention.vendors.shopify import sign, triggered_at

from tests.support.aws import REGION, ROOT, LambdaContext, create_table, load_handler

SHOP = "demo-store.myshopify.com"
SECRETS_FILE = ROOT / "events" / "secrets.local.json"
RULES = {
    "timezone": "Asia/Kolkata",
    "at_risk_after_days": 45,
    "lapsed_after_days": 60,
    "win_back_steps_days": [45, 60],
    "post_purchase_delay_days": 7,
    "send_hour": 10,
    "welcome_grace_days": 3,
    "post_purchase_grace_days": 3,
}


def local_secret() -> str:
    secrets: dict[str, Any] = json.loads(SECRETS_FILE.read_text(encoding="utf-8"))
    secret: str = secrets["WebhookSecrets"]["shopify"][SHOP]
    return secret


def sample_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(
        (ROOT / "events" / "shopify" / f"{name}.json").read_text(encoding="utf-8")
    )
    return event


def resigned(event: dict[str, Any], body: bytes, **headers: str) -> dict[str, Any]:
    """The event with a new body, signed with the local secret, and headers changed."""
    changed = {**event["headers"], **headers}
    changed["x-shopify-hmac-sha256"] = sign(body, local_secret())
    return {**event, "headers": changed, "body": body.decode(), "isBase64Encoded": False}


@dataclass
class WebhookStack:
    webhook: ModuleType
    scan: ModuleType
    queue_url: str
    now: datetime

    def post(self, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Deliver an event; the clock moves on to when Shopify sent it, never back."""
        sent = triggered_at(event.get("headers", {}).get("x-shopify-triggered-at"))
        self.at(max(self.now, sent or self.now))
        answer = self.webhook.lambda_handler(event, LambdaContext(function_name="webhook"))
        return answer["statusCode"], json.loads(answer["body"])

    def at(self, moment: datetime) -> None:
        self.now = moment
        clock.set_source(lambda: self.now)

    def run_scan(self, scheduled_time: str) -> dict[str, Any]:
        context = LambdaContext(function_name="scan")
        result: dict[str, Any] = self.scan.lambda_handler(
            {"scheduled_time": scheduled_time}, context
        )
        return result

    def profile(self, customer_key: str, tenant: str = SHOP) -> Profile | None:
        return runtime.store().get_profile(tenant, customer_key)

    def store(self) -> DynamoProfileStore:
        return runtime.store()

    def items(self) -> list[dict[str, Any]]:
        """Every item of the profiles table; a test may scan, a request path never does."""
        table = runtime.profiles_table()
        items: list[dict[str, Any]] = table.scan()["Items"]
        return items

    def queued(self) -> list[Trigger]:
        """Drain the trigger queue."""
        client = boto3.client("sqs", region_name=REGION)
        triggers: list[Trigger] = []
        while True:
            response = client.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = response.get("Messages", [])
            if not messages:
                return triggers
            for message in messages:
                triggers.append(Trigger.model_validate_json(message["Body"]))
                client.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )


@contextmanager
def webhook_stack(monkeypatch: pytest.MonkeyPatch, now: datetime) -> Iterator[WebhookStack]:
    with mock_aws():
        for name, value in {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "POWERTOOLS_SERVICE_NAME": "test",
            "POWERTOOLS_METRICS_NAMESPACE": "Retention",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }.items():
            monkeypatch.setenv(name, value)

        dynamodb = boto3.client("dynamodb", region_name=REGION)
        monkeypatch.setenv("PROFILES_TABLE", create_table(dynamodb, "ProfilesTable"))
        monkeypatch.setenv("IDEMPOTENCY_TABLE", create_table(dynamodb, "IdempotencyTable"))

        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="TriggerQueue")["QueueUrl"]
        monkeypatch.setenv("TRIGGER_QUEUE_URL", queue_url)

        secrets = json.loads(SECRETS_FILE.read_text(encoding="utf-8"))
        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="WebhookSecrets", SecretString=json.dumps(secrets["WebhookSecrets"])
        )
        monkeypatch.setenv("WEBHOOK_SECRETS_NAME", "WebhookSecrets")
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name="/retention/rules", Type="String", Value=json.dumps(RULES)
        )
        monkeypatch.setenv("RULES_PARAMETER_NAME", "/retention/rules")

        runtime.reset()
        clock.set_source(lambda: now)
        try:
            yield WebhookStack(
                webhook=load_handler("shopify_webhook"),
                scan=load_handler("lifecycle_scan"),
                queue_url=queue_url,
                now=now,
            )
        finally:
            clock.set_source(None)
            runtime.reset()
