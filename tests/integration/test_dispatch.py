"""The dispatch function in process, against moto, with HubSpot and Klaviyo faked by respx.

Each test invokes ``functions/dispatch/app.py`` as Lambda would, with the SQS event of
``events/sqs/trigger.json`` (or records built on it), and checks what a user would see: the
requests the vendors received, the outbox, the partial batch response and the metrics.
"""

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest
import respx
from moto import mock_aws
from retention import clock, runtime
from retention.channels.hubspot import trace_id
from retention.channels.outbox import read_outbox
from retention.data.dynamodb import DynamoProfileStore
from retention.domain.events import Consent
from retention.domain.profiles import Profile
from retention.domain.triggers import Trigger

from tests.support.aws import LambdaContext, create_table, load_handler, template_secret
from tests.support.profiles import (
    ASHA,
    ASHA_EMAIL,
    NOW,
    SHOP,
    WELCOME_KEY,
    asha,
    sqs_event,
    stale_win_back,
    welcome,
)
from tests.support.vendors import (
    HUBSPOT_UPSERT_URL,
    KLAVIYO_EVENTS_URL,
    asha_upsert,
    asha_welcome_event,
)

TABLES = ("ProfilesTable", "IdempotencyTable", "OutboxTable")
RULES_PARAMETER = "/retention-test/retention-rules"
CREDENTIALS_SECRET = "ApiCredentials"
LIVE_CREDENTIALS = {"hubspot": {"access_token": "pat-test"}, "klaviyo": {"api_key": "pk_test"}}
ROHAN = "shopify:7000000002"
ROHAN_EMAIL = "rohan.mehta@example.com"
ROHAN_WELCOME_KEY = f"{SHOP}/{ROHAN}/welcome"

Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Stack:
    store: DynamoProfileStore
    outbox: Any

    def put(self, *profiles: Profile) -> None:
        for profile in profiles:
            self.store.put_profile(profile, expected_version=0)


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The template's tables and the store's rules (Asia/Kolkata), under moto."""
    environment = {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "POWERTOOLS_SERVICE_NAME": "dispatch",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PROFILES_TABLE": "ProfilesTable",
        "IDEMPOTENCY_TABLE": "IdempotencyTable",
        "OUTBOX_TABLE": "OutboxTable",
        "API_CREDENTIALS_NAME": CREDENTIALS_SECRET,
        "RULES_PARAMETER_NAME": RULES_PARAMETER,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with mock_aws():
        client = boto3.client("dynamodb")
        for logical_id in TABLES:
            create_table(client, logical_id)
        boto3.client("ssm").put_parameter(
            Name=RULES_PARAMETER,
            Value=json.dumps({"timezone": "Asia/Kolkata"}),
            Type="String",
        )
        runtime.reset()
        clock.set_source(lambda: NOW)

        dynamodb = boto3.resource("dynamodb")
        yield Stack(
            store=DynamoProfileStore(dynamodb.Table("ProfilesTable")),
            outbox=dynamodb.Table("OutboxTable"),
        )

    clock.set_source(None)
    runtime.reset()


def credentials(value: str) -> None:
    boto3.client("secretsmanager").create_secret(Name=CREDENTIALS_SECRET, SecretString=value)


@pytest.fixture
def live(stack: Stack) -> Stack:
    credentials(json.dumps(LIVE_CREDENTIALS))
    return stack


@pytest.fixture
def unconfigured(stack: Stack) -> Stack:
    """Credentials as a fresh deployment has them: empty."""
    credentials(template_secret("ApiCredentials"))
    return stack


@pytest.fixture
def handler(stack: Stack) -> Handler:
    """The function after a cold start; each call is one invocation."""
    app = load_handler("dispatch")

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = app.lambda_handler(event, LambdaContext())
        return result

    return invoke


def event_of(*bodies: Trigger | str) -> dict[str, Any]:
    """``events/sqs/trigger.json`` with one record per body, each with its own message id."""
    event = sqs_event()
    template = event["Records"][0]
    event["Records"] = [
        {
            **template,
            "messageId": f"message-{number}",
            "body": body.model_dump_json() if isinstance(body, Trigger) else body,
        }
        for number, body in enumerate(bodies, start=1)
    ]
    return event


def rohan() -> Profile:
    return asha(
        customer_key=ROHAN,
        customer_id="7000000002",
        email=ROHAN_EMAIL,
        first_name="Rohan",
        last_name="Mehta",
        triggers_enqueued=(ROHAN_WELCOME_KEY,),
    )


def rohan_welcome() -> Trigger:
    return welcome().model_copy(update={"key": ROHAN_WELCOME_KEY, "customer_key": ROHAN})


def vendors(respx_mock: respx.MockRouter) -> tuple[respx.Route, respx.Route]:
    hubspot = respx_mock.post(HUBSPOT_UPSERT_URL).mock(
        return_value=httpx.Response(200, json={"status": "COMPLETE", "results": []})
    )
    klaviyo = respx_mock.post(KLAVIYO_EVENTS_URL).mock(return_value=httpx.Response(202))
    return hubspot, klaviyo


def metric_lines(output: str) -> list[dict[str, Any]]:
    """The CloudWatch embedded-metric records the function printed."""
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [record for record in records if "_aws" in record]


def test_sample_welcome_reaches_hubspot_and_klaviyo(
    live: Stack,
    handler: Handler,
    respx_mock: respx.MockRouter,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given Asha's profile after her first order, and her welcome on the queue
    live.put(asha())
    hubspot, klaviyo = vendors(respx_mock)

    # When
    result = handler(sqs_event())

    # Then
    assert result == {"batchItemFailures": []}
    upsert = hubspot.calls.last.request
    assert upsert.headers["authorization"] == "Bearer pat-test"
    assert json.loads(upsert.content) == asha_upsert()
    event = klaviyo.calls.last.request
    assert event.headers["authorization"] == "Klaviyo-API-Key pk_test"
    assert json.loads(event.content) == asha_welcome_event()
    output = capsys.readouterr().out
    sent = [line for line in metric_lines(output) if "TriggerSent" in line]
    assert [line["kind"] for line in sent] == ["welcome"]
    assert ASHA_EMAIL not in output
    assert "+15555550101" not in output


def test_without_credentials_the_outbox_keeps_exactly_what_would_be_sent(
    unconfigured: Stack,
    handler: Handler,
    respx_mock: respx.MockRouter,
) -> None:
    # Given a fresh deployment's empty credentials, and nothing reachable
    unconfigured.put(asha())

    # When
    result = handler(sqs_event())

    # Then nothing went out, and the outbox holds both requests in order
    assert result == {"batchItemFailures": []}
    assert respx_mock.calls.call_count == 0
    entries = read_outbox(unconfigured.outbox, SHOP)
    assert [entry.channel for entry in entries] == ["hubspot", "klaviyo"]
    upsert, event = entries
    assert (upsert.method, upsert.url) == ("POST", HUBSPOT_UPSERT_URL)
    assert json.loads(upsert.body) == asha_upsert()
    assert upsert.headers["authorization"] == "[redacted]"
    assert (event.method, event.url) == ("POST", KLAVIYO_EVENTS_URL)
    assert json.loads(event.body) == asha_welcome_event()
    assert event.headers["revision"] == "2026-10-15"
    assert event.trigger_keys == (WELCOME_KEY,)
    assert event.customer_keys == (ASHA,)
    assert event.body == json.dumps(asha_welcome_event(), separators=(",", ":"))
    assert read_outbox(unconfigured.outbox) == entries


def test_win_back_for_a_customer_who_ordered_since_is_suppressed(
    live: Stack,
    handler: Handler,
    respx_mock: respx.MockRouter,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a win-back planned from an order older than her last one
    live.put(asha())

    # When
    result = handler(event_of(stale_win_back()))

    # Then nothing is sent, and the record is done with
    assert result == {"batchItemFailures": []}
    assert respx_mock.calls.call_count == 0
    lines = metric_lines(capsys.readouterr().out)
    suppressed = [line for line in lines if "TriggerSuppressed" in line]
    assert [line["reason"] for line in suppressed] == ["no_longer_true"]


def test_customer_without_an_email_is_suppressed(
    live: Stack,
    handler: Handler,
    respx_mock: respx.MockRouter,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given consent on record but no address to write to
    live.put(asha(email=None))

    # When
    result = handler(sqs_event())

    # Then
    assert result == {"batchItemFailures": []}
    assert respx_mock.calls.call_count == 0
    lines = metric_lines(capsys.readouterr().out)
    assert [line["reason"] for line in lines if "TriggerSuppressed" in line] == ["no_email"]


def test_no_consent_sends_nothing(
    live: Stack,
    handler: Handler,
    respx_mock: respx.MockRouter,
) -> None:
    # Given
    live.put(asha(consent=Consent(email=False)))

    # When
    result = handler(sqs_event())

    # Then
    assert result == {"batchItemFailures": []}
    assert respx_mock.calls.call_count == 0


def test_redelivered_message_sends_nothing_twice(
    live: Stack,
    handler: Handler,
    respx_mock: respx.MockRouter,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given her welcome was sent once
    live.put(asha())
    hubspot, klaviyo = vendors(respx_mock)
    handler(sqs_event())

    # When SQS delivers the same message again
    result = handler(sqs_event())

    # Then
    assert result == {"batchItemFailures": []}
    assert (hubspot.call_count, klaviyo.call_count) == (1, 1)
    lines = metric_lines(capsys.readouterr().out)
    assert len([line for line in lines if "TriggerSent" in line]) == 1


def test_klaviyo_unavailable_fails_only_that_record_until_redelivered(
    live: Stack,
    handler: Handler,
    respx_mock: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given Klaviyo answers 503 to Asha's event, and waits are noted rather than slept
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    live.put(asha(), rohan())
    hubspot, _ = vendors(respx_mock)
    unavailable = {"unique_id": WELCOME_KEY}

    def klaviyo_answer(request: httpx.Request) -> httpx.Response:
        attributes = json.loads(request.content)["data"]["attributes"]
        if attributes["unique_id"] == unavailable.get("unique_id"):
            return httpx.Response(503)
        return httpx.Response(202)

    klaviyo = respx_mock.post(KLAVIYO_EVENTS_URL).mock(side_effect=klaviyo_answer)
    event = event_of(welcome(), rohan_welcome())

    # When
    result = handler(event)

    # Then her record goes back to the queue after the retries; Rohan's is sent
    assert result == {"batchItemFailures": [{"itemIdentifier": "message-1"}]}
    assert klaviyo.call_count == 5
    assert len(waits) == 3

    # When Klaviyo is back and SQS delivers both again
    unavailable.clear()
    again = handler(event)

    # Then only hers is sent now
    assert again == {"batchItemFailures": []}
    sent_ids = [
        json.loads(call.request.content)["data"]["attributes"]["unique_id"]
        for call in klaviyo.calls
        if call.response.status_code == 202
    ]
    assert sent_ids == [ROHAN_WELCOME_KEY, WELCOME_KEY]
    assert hubspot.call_count == 2


def test_hubspot_refusing_the_batch_fails_every_record_of_it(
    live: Stack,
    handler: Handler,
    respx_mock: respx.MockRouter,
) -> None:
    # Given a revoked HubSpot token
    live.put(asha(), rohan())
    respx_mock.post(HUBSPOT_UPSERT_URL).mock(
        return_value=httpx.Response(401, json={"category": "INVALID_AUTHENTICATION"})
    )
    klaviyo = respx_mock.post(KLAVIYO_EVENTS_URL).mock(return_value=httpx.Response(202))

    # When
    result = handler(event_of(welcome(), rohan_welcome()))

    # Then
    failed = [item["itemIdentifier"] for item in result["batchItemFailures"]]
    assert sorted(failed) == ["message-1", "message-2"]
    assert klaviyo.call_count == 0


def test_body_that_is_not_a_trigger_fails_only_its_record(
    live: Stack,
    handler: Handler,
    respx_mock: respx.MockRouter,
) -> None:
    # Given
    live.put(asha())
    _, klaviyo = vendors(respx_mock)

    # When
    result = handler(event_of('{"kind": "birthday"}', welcome()))

    # Then
    assert result == {"batchItemFailures": [{"itemIdentifier": "message-1"}]}
    assert klaviyo.call_count == 1


def test_trigger_that_arrives_before_its_profile_is_retried(
    live: Stack,
    handler: Handler,
    respx_mock: respx.MockRouter,
) -> None:
    # Given the queue was faster than the profile's write

    # When
    result = handler(sqs_event())

    # Then
    assert result == {
        "batchItemFailures": [{"itemIdentifier": sqs_event()["Records"][0]["messageId"]}]
    }
    assert respx_mock.calls.call_count == 0


def test_trigger_its_profile_does_not_record_yet_is_retried(
    live: Stack,
    handler: Handler,
    respx_mock: respx.MockRouter,
) -> None:
    # Given a profile written before the one that records her welcome
    live.put(asha(triggers_enqueued=()))

    # When
    result = handler(event_of(welcome()))

    # Then
    assert result == {"batchItemFailures": [{"itemIdentifier": "message-1"}]}
    assert respx_mock.calls.call_count == 0


def test_same_trigger_twice_in_one_batch_is_sent_once(
    live: Stack,
    handler: Handler,
    respx_mock: respx.MockRouter,
) -> None:
    # Given the recorder enqueued her welcome twice, and both arrive together
    live.put(asha())
    hubspot, klaviyo = vendors(respx_mock)

    # When
    result = handler(event_of(welcome(), welcome()))

    # Then
    assert result == {"batchItemFailures": []}
    assert len(json.loads(hubspot.calls.last.request.content)["inputs"]) == 1
    assert klaviyo.call_count == 1


def test_contact_hubspot_refuses_fails_only_its_record(
    live: Stack,
    handler: Handler,
    respx_mock: respx.MockRouter,
) -> None:
    # Given HubSpot takes Asha's contact but refuses Rohan's
    live.put(asha(), rohan())
    answer = {
        "status": "COMPLETE",
        "results": [{"id": "101", "objectWriteTraceId": trace_id(ASHA_EMAIL)}],
        "numErrors": 1,
        "errors": [
            {
                "category": "VALIDATION_ERROR",
                "context": {"objectWriteTraceId": [trace_id(ROHAN_EMAIL)]},
            }
        ],
    }
    respx_mock.post(HUBSPOT_UPSERT_URL).mock(return_value=httpx.Response(207, json=answer))
    klaviyo = respx_mock.post(KLAVIYO_EVENTS_URL).mock(return_value=httpx.Response(202))

    # When
    result = handler(event_of(welcome(), rohan_welcome()))

    # Then his record goes back to the queue; her welcome is sent
    assert result == {"batchItemFailures": [{"itemIdentifier": "message-2"}]}
    unique_ids = [
        json.loads(call.request.content)["data"]["attributes"]["unique_id"]
        for call in klaviyo.calls
    ]
    assert unique_ids == [WELCOME_KEY]
