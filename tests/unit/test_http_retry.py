"""Calling a vendor: timeouts, retries with backoff, ``Retry-After``, and what is never retried.

The far end is faked at the HTTP layer with respx; waits go to an injected sleep, so no test
waits for real.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx
from retention import clock
from retention.channels import RejectedError, RetryableError
from retention.channels.http import Connection, RetryPolicy, Subject, new_client, retry_after

BASE = "https://vendor.test"
URL = f"{BASE}/things"
SUBJECT = Subject(tenant="demo-store.myshopify.com", trigger_keys=("k",), customer_keys=("c",))
NOW = datetime(2026, 1, 12, 4, 30, tzinfo=UTC)


class Sleeps(list[float]):
    """The waits asked for, instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    clock.set_source(lambda: NOW)
    yield
    clock.set_source(None)


def connection(sleeps: Sleeps) -> Connection:
    client = new_client(BASE, {"content-type": "application/json"})
    return Connection("vendor", client, RetryPolicy(sleep=sleeps))


def post(sleeps: Sleeps) -> httpx.Response:
    return connection(sleeps).post_json("/things", {"a": 1}, SUBJECT)


def test_client_has_explicit_timeouts() -> None:
    # Given / When
    client = new_client(BASE, {})

    # Then
    assert client.timeout.connect == 2.0
    assert client.timeout.read == 5.0


def test_body_is_sent_as_compact_json(respx_mock: respx.MockRouter, sleeps: Sleeps) -> None:
    # Given
    route = respx_mock.post(URL).mock(return_value=httpx.Response(200))

    # When
    connection(sleeps).post_json("/things", {"name": "Asha", "total": "1250.00"}, SUBJECT)

    # Then
    sent = route.calls.last.request
    assert sent.content == b'{"name":"Asha","total":"1250.00"}'
    assert sent.headers["content-type"] == "application/json"


def test_rate_limit_waits_as_told_then_succeeds(
    respx_mock: respx.MockRouter, sleeps: Sleeps
) -> None:
    # Given
    route = respx_mock.post(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(200, json={"ok": True}),
        ]
    )

    # When
    response = post(sleeps)

    # Then
    assert response.json() == {"ok": True}
    assert route.call_count == 2
    assert sleeps == [3.0]


def test_retry_after_as_an_http_date(respx_mock: respx.MockRouter, sleeps: Sleeps) -> None:
    # Given
    later = format_datetime(NOW + timedelta(seconds=7), usegmt=True)
    respx_mock.post(URL).mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": later}),
            httpx.Response(200),
        ]
    )

    # When
    post(sleeps)

    # Then
    assert sleeps == [7.0]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_refusal_is_never_retried(
    respx_mock: respx.MockRouter, sleeps: Sleeps, status: int
) -> None:
    # Given
    route = respx_mock.post(URL).mock(return_value=httpx.Response(status))

    # When
    with pytest.raises(RejectedError) as raised:
        post(sleeps)

    # Then
    assert route.call_count == 1
    assert sleeps == []
    assert raised.value.status == status
    assert raised.value.reason.startswith(str(status))


def test_bad_gateway_is_retried_after_a_jittered_backoff(
    respx_mock: respx.MockRouter, sleeps: Sleeps
) -> None:
    # Given
    route = respx_mock.post(URL).mock(side_effect=[httpx.Response(502), httpx.Response(200)])

    # When
    response = post(sleeps)

    # Then
    assert response.status_code == 200
    assert route.call_count == 2
    assert len(sleeps) == 1
    assert 0.0 <= sleeps[0] <= 0.5


def test_transport_error_is_retried(respx_mock: respx.MockRouter, sleeps: Sleeps) -> None:
    # Given
    route = respx_mock.post(URL).mock(
        side_effect=[httpx.ConnectTimeout("connect timed out"), httpx.Response(200)]
    )

    # When
    post(sleeps)

    # Then
    assert route.call_count == 2
    assert len(sleeps) == 1


def test_attempts_run_out_into_a_retryable_error(
    respx_mock: respx.MockRouter, sleeps: Sleeps
) -> None:
    # Given
    route = respx_mock.post(URL).mock(return_value=httpx.Response(504))

    # When
    with pytest.raises(RetryableError) as raised:
        post(sleeps)

    # Then
    assert route.call_count == 4
    assert len(sleeps) == 3
    assert all(wait <= min(8.0, 0.5 * 2**attempt) for attempt, wait in enumerate(sleeps))
    assert raised.value.status == 504


def test_longer_retry_after_than_affordable_goes_back_to_the_queue(
    respx_mock: respx.MockRouter, sleeps: Sleeps
) -> None:
    # Given
    route = respx_mock.post(URL).mock(
        return_value=httpx.Response(429, headers={"Retry-After": "60"})
    )

    # When
    with pytest.raises(RetryableError) as raised:
        post(sleeps)

    # Then
    assert route.call_count == 1
    assert sleeps == []
    assert raised.value.retry_after == 60.0


def test_no_wait_runs_past_the_function_deadline(
    respx_mock: respx.MockRouter, sleeps: Sleeps
) -> None:
    # Given six seconds left, five of them kept for the rest of the batch
    respx_mock.post(URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "3"}))

    # When
    with pytest.raises(RetryableError):
        connection_with_deadline(sleeps, seconds_left=6.0).post_json("/things", {}, SUBJECT)

    # Then
    assert sleeps == []


def connection_with_deadline(sleeps: Sleeps, seconds_left: float) -> Connection:
    client = new_client(BASE, {})
    policy = RetryPolicy(sleep=sleeps, time_left=lambda: seconds_left, reserve=5.0)
    return Connection("vendor", client, policy)


def test_other_server_error_is_left_to_the_queue(
    respx_mock: respx.MockRouter, sleeps: Sleeps
) -> None:
    # Given
    route = respx_mock.post(URL).mock(return_value=httpx.Response(500))

    # When
    with pytest.raises(RetryableError):
        post(sleeps)

    # Then
    assert route.call_count == 1
    assert sleeps == []


def test_error_reason_comes_from_explain_not_the_body(
    respx_mock: respx.MockRouter, sleeps: Sleeps
) -> None:
    # Given a vendor that quotes the address back in its message
    body = {"message": "asha.rao@example.com is invalid", "category": "VALIDATION_ERROR"}
    respx_mock.post(URL).mock(return_value=httpx.Response(400, json=body))
    client = new_client(BASE, {})
    explained = Connection(
        "vendor",
        client,
        RetryPolicy(sleep=sleeps),
        explain=lambda response: str(response.json()["category"]),
    )

    # When
    with pytest.raises(RejectedError) as raised:
        explained.post_json("/things", {}, SUBJECT)

    # Then
    assert raised.value.reason == "400 VALIDATION_ERROR"
    assert "asha" not in str(raised.value)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        ("0", 0.0),
        ("12", 12.0),
        ("-4", 0.0),
        ("soon", None),
        ("nan", None),
        (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert retry_after(value) == seconds


def test_subject_never_goes_on_the_wire(respx_mock: respx.MockRouter, sleeps: Sleeps) -> None:
    # Given
    route = respx_mock.post(URL).mock(return_value=httpx.Response(200))

    # When
    post(sleeps)

    # Then
    sent = route.calls.last.request
    assert SUBJECT.tenant not in json.dumps(dict(sent.headers))
    assert sent.content == b'{"a":1}'
