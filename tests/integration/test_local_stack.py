"""The Docker-free local stack: template loading, the HTTP API, queue consumers, schedules.

Most tests run a small template of their own in a temporary folder, with functions that
record what they were given to a file, so that they test the stack and not the product.
"""

import json
import shlex
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from retention.data.dynamodb import DynamoProfileStore
from retention.domain.profiles import Profile
from retention.local import cli
from retention.local.runtime import LocalRuntime, RuntimeOptions
from retention.local.schedules import UnsupportedScheduleError, fire_times, rate_period
from retention.local.server import advance_delta
from retention.local.stack import LocalStack, StackOptions
from retention.local.template import load_template
from retention.vendors.shopify import verify_signature

REPOSITORY = Path(__file__).resolve().parents[2]
TEMPLATE = REPOSITORY / "template.yaml"
START = datetime(2026, 1, 1, tzinfo=UTC)

SMALL_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
    Default: hello
  TickRate:
    Type: String
    Default: rate(1 hour)
Globals:
  Function:
    Runtime: python3.13
    Timeout: 5
    Environment:
      Variables:
        GREETING: !Ref Greeting
        RECORD_TO: {record_to}
        PROFILES_TABLE: !Ref Profiles
        OUTBOX_TABLE: !Ref Outbox
Resources:
  Profiles:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {{AttributeName: pk, AttributeType: S}}
        - {{AttributeName: sk, AttributeType: S}}
      KeySchema:
        - {{AttributeName: pk, KeyType: HASH}}
        - {{AttributeName: sk, KeyType: RANGE}}
  Outbox:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub ${{AWS::StackName}}-outbox
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {{AttributeName: pk, AttributeType: S}}
        - {{AttributeName: sk, AttributeType: S}}
      KeySchema:
        - {{AttributeName: pk, KeyType: HASH}}
        - {{AttributeName: sk, KeyType: RANGE}}
  Api:
    Type: AWS::Serverless::HttpApi
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/
      Handler: echo.lambda_handler
      Events:
        Post:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Method: POST
            Path: /echo/{{name}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/
      Handler: worker.lambda_handler
      Environment:
        Variables:
          JOBS_URL: !Ref Jobs
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 10
            FunctionResponseTypes: [ReportBatchItemFailures]
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 0
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt JobsDeadLetters.Arn
        maxReceiveCount: 2
  JobsDeadLetters:
    Type: AWS::SQS::Queue
  Ticker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/
      Handler: ticker.lambda_handler
  Tick:
    Type: AWS::Scheduler::Schedule
    Properties:
      ScheduleExpression: !Ref TickRate
      FlexibleTimeWindow:
        Mode: "OFF"
      Target:
        Arn: !GetAtt Ticker.Arn
        RoleArn: arn:aws:iam::123456789012:role/unused-locally
        Input: '{{"scheduled_time": "<aws.scheduler.scheduled-time>"}}'
"""

FUNCTIONS = {
    "echo.py": """
        import json
        import os


        def lambda_handler(event, context):
            if event["pathParameters"]["name"] == "boom":
                raise RuntimeError("boom")
            answer = {
                "event": event,
                "greeting": os.environ["GREETING"],
                "function_name": context.function_name,
                "remaining_ms": context.get_remaining_time_in_millis(),
            }
            return {"statusCode": 201, "headers": {"x-route": event["routeKey"]},
                    "body": json.dumps(answer)}
    """,
    "worker.py": """
        import json
        import os


        def lambda_handler(event, context):
            failures = []
            for record in event["Records"]:
                with open(os.environ["RECORD_TO"], "a", encoding="utf-8") as file:
                    file.write(json.dumps({
                        "body": record["body"],
                        "receive_count": record["attributes"]["ApproximateReceiveCount"],
                        "source": record["eventSourceARN"],
                    }) + "\\n")
                if record["body"] == "bad":
                    failures.append({"itemIdentifier": record["messageId"]})
            return {"batchItemFailures": failures}
    """,
    "ticker.py": """
        import json
        import os

        from retention import clock


        def lambda_handler(event, context):
            with open(os.environ["RECORD_TO"], "a", encoding="utf-8") as file:
                file.write(json.dumps({
                    "scheduled_time": event["scheduled_time"],
                    "now": clock.now().isoformat(),
                }) + "\\n")
            return {"ok": True}
    """,
}


@pytest.fixture
def small_template(tmp_path: Path) -> Path:
    record_to = tmp_path / "calls.jsonl"
    path = tmp_path / "template.yaml"
    path.write_text(SMALL_TEMPLATE.format(record_to=record_to), encoding="utf-8")
    folder = tmp_path / "functions"
    folder.mkdir()
    for name, source in FUNCTIONS.items():
        (folder / name).write_text(textwrap.dedent(source), encoding="utf-8")
    return path


@pytest.fixture
def runtime(small_template: Path) -> Iterator[LocalRuntime]:
    options = RuntimeOptions(
        template=small_template,
        port=0,
        moto_port=0,
        start=START,
        frozen_clock=True,
        secrets_file=small_template.parent / "no-secrets.json",
        background=False,
    )
    with LocalRuntime(options) as running:
        yield running


def calls(template: Path) -> list[dict[str, Any]]:
    path = template.parent / "calls.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_template_lists_routes_queue_consumers_schedule_and_resources():
    # Given the project's template
    # When it is loaded
    template = load_template(TEMPLATE)

    # Then the webhook route, the dispatch consumer and the scan schedule are found
    routes = {route.key: function.logical_id for route, function in template.routes()}
    assert routes == {"POST /webhooks/shopify": "ShopifyWebhookFunction"}
    (source,) = template.function("DispatchFunction").queue_sources
    assert (source.queue, source.batch_size, source.report_failures) == ("TriggerQueue", 10, True)
    (schedule,) = template.schedules
    assert schedule.function == "LifecycleScanFunction"
    assert "<aws.scheduler.scheduled-time>" in schedule.input
    assert schedule.dead_letter_queue == "ScheduleDeadLetterQueue"

    # And every function has the globals merged in, its own variables winning
    webhook = template.function("ShopifyWebhookFunction")
    assert webhook.environment["POWERTOOLS_SERVICE_NAME"] == "shopify-webhook"
    assert webhook.environment["PROFILES_TABLE"] == {"Ref": "ProfilesTable"}
    assert webhook.module_path == REPOSITORY / "functions" / "shopify_webhook" / "app.py"


def test_stack_creates_the_templates_resources_with_local_names():
    # Given the project's template and a time zone chosen at deploy time
    template = load_template(TEMPLATE)
    options = StackOptions(moto_port=0, parameters={"StoreTimeZone": "Asia/Kolkata"})

    # When the local stack starts
    with LocalStack(template, options) as stack:
        environment = stack.environment(template.function("ShopifyWebhookFunction"))
        dynamodb, sqs, ssm = stack.client("dynamodb"), stack.client("sqs"), stack.client("ssm")
        profiles = dynamodb.describe_table(TableName="ProfilesTable")["Table"]
        ttl = dynamodb.describe_time_to_live(TableName="IdempotencyTable")
        queue = sqs.get_queue_attributes(
            QueueUrl=environment["TRIGGER_QUEUE_URL"],
            AttributeNames=["VisibilityTimeout", "RedrivePolicy"],
        )["Attributes"]
        rules = ssm.get_parameter(Name=environment["RULES_PARAMETER_NAME"])["Parameter"]
        endpoint = stack.endpoint_url

    # Then the function's environment names the local resources
    assert environment["PROFILES_TABLE"] == "ProfilesTable"
    assert environment["IDEMPOTENCY_TABLE"] == "IdempotencyTable"
    assert environment["TRIGGER_QUEUE_URL"].startswith(endpoint)
    assert environment["WEBHOOK_SECRETS_NAME"].startswith("arn:aws:secretsmanager:")
    assert environment["AWS_LAMBDA_FUNCTION_NAME"] == "retention-local-shopify-webhook"

    # And the resources are built as the template says
    (index,) = profiles["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "due"
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expiration"
    assert queue["VisibilityTimeout"] == "180"
    assert json.loads(queue["RedrivePolicy"])["maxReceiveCount"] == 5
    assert json.loads(rules["Value"])["timezone"] == "Asia/Kolkata"


def test_http_api_turns_a_request_into_a_payload_2_event(runtime: LocalRuntime):
    # Given a body that is not UTF-8 and a header in mixed case
    body = b"\xff\xfe raw bytes"

    # When it is posted to the function's route
    response = httpx.post(
        f"{runtime.url}/echo/alice?b=2&b=3",
        content=body,
        headers={"X-Mixed-Case": "yes"},
    )

    # Then the function's answer comes back as API Gateway would send it
    assert response.status_code == 201
    assert response.headers["x-route"] == "POST /echo/{name}"
    answer = response.json()
    event = answer["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /echo/{name}"
    assert event["rawPath"] == "/echo/alice"
    assert event["rawQueryString"] == "b=2&b=3"
    assert event["queryStringParameters"] == {"b": "2,3"}
    assert event["pathParameters"] == {"name": "alice"}
    assert event["headers"]["x-mixed-case"] == "yes"
    assert event["isBase64Encoded"] is True
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["requestContext"]["timeEpoch"] == int(START.timestamp() * 1000)

    # And the function ran with its environment and a Lambda context
    assert answer["greeting"] == "hello"
    assert answer["function_name"] == "Echo"
    assert 0 < answer["remaining_ms"] <= 5000


def test_http_api_answers_404_and_500_as_api_gateway_does(runtime: LocalRuntime):
    # Given a path no route matches, and a function that raises
    # When each is requested
    missing = httpx.post(f"{runtime.url}/nowhere")
    failing = httpx.post(f"{runtime.url}/echo/boom")

    # Then API Gateway's own answers come back
    assert (missing.status_code, missing.json()) == (404, {"message": "Not Found"})
    assert (failing.status_code, failing.json()) == (500, {"message": "Internal Server Error"})


def test_queue_consumer_deletes_successes_and_retries_reported_failures(
    runtime: LocalRuntime, small_template: Path
):
    # Given two good messages and one the function reports as failed
    sqs = runtime.stack.client("sqs")
    url = runtime.stack.queue_url("Jobs")
    for body in ("good-1", "bad", "good-2"):
        sqs.send_message(QueueUrl=url, MessageBody=body)

    # When the consumers run until the queue is empty
    runtime.drain()

    # Then each good message was processed once, the bad one until its redrive limit
    seen = calls(small_template)
    assert sorted(call["body"] for call in seen if call["body"] != "bad") == ["good-1", "good-2"]
    assert [call["receive_count"] for call in seen if call["body"] == "bad"] == ["1", "2"]
    assert {call["source"] for call in seen} == {runtime.stack.queue_arn("Jobs")}

    # And the failed message waits in the dead-letter queue
    dead = sqs.receive_message(QueueUrl=runtime.stack.queue_url("JobsDeadLetters"))
    assert [message["Body"] for message in dead["Messages"]] == ["bad"]


def test_clock_jump_fires_the_schedule_at_most_once_per_day(
    runtime: LocalRuntime, small_template: Path
):
    # Given an hourly schedule and a clock at 2026-01-01T00:00Z
    # When the clock jumps ten days
    fires = runtime.advance(timedelta(days=10))

    # Then the schedule fired once per day, the last time at the final schedule time
    times = [fire.scheduled_time for fire in fires]
    assert len(times) == 10
    assert len({moment.date() for moment in times}) == 10
    assert times[-1] == START + timedelta(days=10)
    assert all(fire.ok for fire in fires)

    # And each run saw its schedule time as the input and as the clock's now
    seen = calls(small_template)
    assert seen[-1]["scheduled_time"] == "2026-01-11T00:00:00Z"
    assert all(
        datetime.fromisoformat(call["now"])
        == datetime.fromisoformat(call["scheduled_time"].replace("Z", "+00:00"))
        for call in seen
    )
    assert runtime.now() == START + timedelta(days=10)


def test_short_clock_moves_fire_only_when_a_schedule_time_passes(runtime: LocalRuntime):
    # Given an hourly schedule
    # When the clock moves 30 minutes, then 30 more
    before = runtime.advance(timedelta(minutes=30))
    after = runtime.advance(timedelta(minutes=30))

    # Then nothing fired until the first hour had passed
    assert before == []
    assert [fire.scheduled_time for fire in after] == [START + timedelta(hours=1)]


def test_admin_endpoints_move_the_clock_over_http(runtime: LocalRuntime):
    # Given the running local API
    # When the clock is advanced by a day over HTTP
    moved = httpx.post(f"{runtime.url}/_local/clock/advance", json={"days": 1}).json()
    clock = httpx.get(f"{runtime.url}/_local/clock").json()
    refused = httpx.post(f"{runtime.url}/_local/clock/advance", json={"weeks": 1})

    # Then the new time and the fires are reported, and unknown units are refused
    assert moved["now"] == "2026-01-02T00:00:00Z"
    assert [fire["scheduled_time"] for fire in moved["fired"]] == ["2026-01-02T00:00:00Z"]
    assert clock["schedules"][0]["next"] == "2026-01-02T01:00:00Z"
    assert refused.status_code == 400


def test_fire_times_thin_long_jumps_to_one_per_day():
    # Given an hourly schedule last fired at midnight
    # When 60 days and 5 hours pass
    times = fire_times(START, START + timedelta(days=60, hours=5), timedelta(hours=1))

    # Then one real schedule time per day fires, ending with the latest
    assert len(times) == 61
    assert times[-1] == START + timedelta(days=60, hours=5)
    assert all(later - earlier == timedelta(days=1) for earlier, later in pairwise(times))


def test_rate_expressions_parse_and_cron_is_refused_with_a_reason():
    assert rate_period("rate(1 hour)") == timedelta(hours=1)
    assert rate_period("rate(15 minutes)") == timedelta(minutes=15)
    with pytest.raises(UnsupportedScheduleError, match="only rate"):
        rate_period("cron(0 10 * * ? *)")


def test_advance_body_adds_up_its_units():
    assert advance_delta({"days": 60}) == timedelta(days=60)
    assert advance_delta({"hours": 1, "seconds": 30}) == timedelta(hours=1, seconds=30)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({}, "one of days"),
        ([], "one of days"),
        ({"days": 1, "fortnights": 1}, "unknown units fortnights"),
        ({"days": -1}, "at least 0"),
        ({"days": "1"}, "at least 0"),
    ],
)
def test_advance_body_refuses_unknown_or_negative_units(body, reason):
    with pytest.raises(ValueError, match=reason):
        advance_delta(body)


def test_sign_prints_a_curl_signed_with_the_local_secret(tmp_path: Path, capsys):
    # Given a payload file and a local secrets file
    payload = tmp_path / "order.json"
    payload.write_bytes(b'{"id": 1}\n')
    secrets = tmp_path / "secrets.json"
    shops = {"shopify": {"shop.myshopify.com": "s3cret"}}
    secrets.write_text(json.dumps({"WebhookSecrets": shops}), encoding="utf-8")

    # When the sign command runs
    code = cli.main(
        [
            "--template",
            str(TEMPLATE),
            "sign",
            str(payload),
            "--shop",
            "shop.myshopify.com",
            "--secrets",
            str(secrets),
        ]
    )

    # Then it prints a curl for the Shopify route whose signature verifies
    words = shlex.split(capsys.readouterr().out.replace("\\\n", " "))
    headers = dict(words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H")
    assert code == 0
    assert words[:5] == ["curl", "-sS", "-X", "POST", "http://127.0.0.1:3000/webhooks/shopify"]
    assert headers["X-Shopify-Shop-Domain"] == "shop.myshopify.com"
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert verify_signature(payload.read_bytes(), headers["X-Shopify-Hmac-Sha256"], "s3cret")
    assert words[-2:] == ["--data-binary", f"@{payload}"]


def test_invoke_prints_the_functions_return_value(small_template: Path, tmp_path: Path, capsys):
    # Given an event file for the scheduled function
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"scheduled_time": "2026-03-01T00:00:00Z"}), encoding="utf-8")

    # When it is invoked like sam local invoke -e
    code = cli.main(["--template", str(small_template), "invoke", "Ticker", "--event", str(event)])

    # Then stdout holds the return value as JSON
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True}
    assert calls(small_template)[0]["scheduled_time"] == "2026-03-01T00:00:00Z"


def test_profile_and_outbox_are_read_from_the_tables_the_functions_use(
    runtime: LocalRuntime, capsys
):
    # Given a stored profile and two outbox items of two tenants
    store = DynamoProfileStore(runtime.stack.table("Profiles"))
    store.put_profile(Profile(tenant="shop.test", customer_key="shopify:1"), expected_version=0)
    outbox = runtime.stack.table("retention-local-outbox")
    for tenant, sk in (("shop.test", "2026-01-02#b"), ("other.test", "2026-01-01#a")):
        outbox.put_item(Item={"pk": tenant, "sk": sk, "channel": "klaviyo", "attempt": 1})

    # When they are read over HTTP and with the CLI
    profile = httpx.get(f"{runtime.url}/_local/profiles/shop.test/shopify:1").json()
    missing = httpx.get(f"{runtime.url}/_local/profiles/shop.test/shopify:2")
    everything = httpx.get(f"{runtime.url}/_local/outbox").json()["items"]
    code = cli.main(["outbox", "--url", runtime.url, "--tenant", "shop.test", "--json"])
    printed = json.loads(capsys.readouterr().out)

    # Then the profile, the oldest item first, and one tenant's items are shown
    assert (profile["customer_key"], profile["stage"]) == ("shopify:1", "prospect")
    assert missing.status_code == 404
    assert [item["pk"] for item in everything] == ["other.test", "shop.test"]
    assert code == 0
    assert printed == [
        {"pk": "shop.test", "sk": "2026-01-02#b", "channel": "klaviyo", "attempt": 1}
    ]
