"""The one way we call a vendor: an httpx client with timeouts, retried with backoff.

Retried here, within the invocation: 429, 502, 503 and 504 answers, and transport errors
(connection failures, timeouts). Each wait is the vendor's ``Retry-After`` when it sends
one (seconds or an HTTP date), else an exponential backoff with full jitter. Both of our
requests are safe to repeat (HubSpot upserts by email, Klaviyo keeps one event per
``unique_id``), so a timeout after the request went out is retried too.

A vendor that asks for a longer wait than the function can afford, or attempts that run
out, end the call in ``RetryableError``: the message goes back to the queue and SQS
delivers it again after its visibility timeout. Any other 4xx ends in ``RejectedError``
at once; any other 5xx in ``RetryableError`` at once, left to the queue's retries.
"""

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_random_exponential

from retention import clock
from retention.channels.errors import RejectedError, RetryableError
from retention.observability import logger

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
RETRIED_STATUSES = frozenset({429, 502, 503, 504})
USER_AGENT = "retention-engine/0.1"
SUBJECT = "retention.subject"


@dataclass(frozen=True)
class Subject:
    """What a request is about. It travels in the request's extensions, never on the wire,
    so that the outbox can file the request under its tenant and triggers."""

    tenant: str
    trigger_keys: tuple[str, ...]
    customer_keys: tuple[str, ...]


def _pause(seconds: float) -> None:
    """``time.sleep`` looked up at each call, so that a test standing in for it is used."""
    time.sleep(seconds)


def _no_deadline() -> float:
    return math.inf


@dataclass(frozen=True)
class RetryPolicy:
    """How long one call may keep trying.

    ``longest_wait`` caps any single wait, ``Retry-After`` included: a vendor asking for
    more is left to the queue's redelivery. ``time_left`` is the function's remaining time
    in seconds, of which ``reserve`` is kept for the rest of the batch. Only the waits are
    held to it: an attempt already started can still run into the function's timeout, and
    then the whole batch is delivered again (sends already done are not repeated).
    """

    attempts: int = 4
    longest_wait: float = 20.0
    first_backoff: float = 0.5
    longest_backoff: float = 8.0
    reserve: float = 5.0
    time_left: Callable[[], float] = _no_deadline
    sleep: Callable[[float], None] = _pause

    def retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception(_worth_retrying_now),
            wait=self._wait,
            stop=self._stop,
            sleep=self.sleep,
            before_sleep=_log_retry,
            reraise=True,
        )

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryableError) and error.retry_after is not None:
            return error.retry_after
        backoff = wait_random_exponential(
            multiplier=self.first_backoff,
            max=self.longest_backoff,
        )
        return backoff(state)

    def _stop(self, state: RetryCallState) -> bool:
        affordable = min(self.longest_wait, self.time_left() - self.reserve)
        return state.attempt_number >= self.attempts or state.upcoming_sleep > affordable


def _status_phrase(response: httpx.Response) -> str:
    return response.reason_phrase or "error"


@dataclass(frozen=True)
class Connection:
    """One vendor's client, the policy its calls retry by, and how to name its errors.

    ``explain`` turns an error answer into a short reason from the vendor's error codes,
    never from its messages, which can quote the request's personal data back.
    """

    channel: str
    client: httpx.Client
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    explain: Callable[[httpx.Response], str] = _status_phrase

    def post_json(self, path: str, payload: Mapping[str, Any], subject: Subject) -> httpx.Response:
        """POST ``payload`` as compact JSON; the bytes sent are the bytes the outbox keeps."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        request = self.client.build_request(
            "POST",
            path,
            content=body,
            extensions={SUBJECT: subject},
        )
        return self.policy.retrying()(self._attempt, request)

    def _attempt(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self.client.send(request)
        except httpx.TransportError as error:
            raise RetryableError(self.channel, type(error).__name__) from error

        if response.is_success:
            return response
        raise self._error(response)

    def _error(self, response: httpx.Response) -> RetryableError | RejectedError:
        status = response.status_code
        reason = f"{status} {self.explain(response)}"
        if status in RETRIED_STATUSES:
            wait = retry_after(response.headers.get("retry-after"))
            return RetryableError(self.channel, reason, status, retry_after=wait)
        if status == httpx.codes.REQUEST_TIMEOUT or status >= 500:
            return RetryableError(self.channel, reason, status)
        return RejectedError(self.channel, reason, status)


def new_client(
    base_url: str,
    headers: Mapping[str, str],
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """A client with explicit timeouts: 2 s to connect, 5 s to read, write or get a slot."""
    return httpx.Client(
        base_url=base_url,
        headers={"user-agent": USER_AGENT, **headers},
        timeout=TIMEOUT,
        transport=transport,
    )


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delay-seconds or an HTTP date."""
    if not value:
        return None

    try:
        seconds = float(value)
    except ValueError:
        return _seconds_until(value)
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _seconds_until(http_date: str) -> float | None:
    try:
        moment = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - clock.now()).total_seconds(), 0.0)


def _worth_retrying_now(error: BaseException) -> bool:
    return isinstance(error, RetryableError) and (
        error.status is None or error.status in RETRIED_STATUSES
    )


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    logger.warning(
        "vendor call retried",
        reason=str(error),
        attempt=state.attempt_number,
        wait_seconds=round(state.upcoming_sleep, 3),
    )
