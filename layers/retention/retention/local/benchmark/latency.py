"""Section 2: the webhook function's warm latency, and the AWS calls it makes."""

import json
import statistics
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from retention.local.benchmark.calls import Invocation, by_name, calls_of
from retention.local.benchmark.metered import StackFigures
from retention.local.benchmark.prices import lambda_seconds
from retention.local.benchmark.report import (
    INDENT,
    heading,
    listing,
    prose,
    table,
)
from retention.local.benchmark.workload import (
    DISPATCH,
    WEBHOOK,
    Workload,
    order_events,
)

# A webhook is delivered some minutes after its order is placed.
DELIVERY_DELAY = timedelta(minutes=5)


def webhook_latency(figures: StackFigures, workload: Workload) -> list[str]:
    _run_orders(figures, workload)
    first, warm = figures.webhooks[0], figures.webhooks[1:]
    return [
        *heading(
            f"2. Warm webhook latency: {WEBHOOK} invoked in this process with"
            f" {workload.orders} paid orders (orders/create, the sample event's body)"
            f" of {workload.customers} customers, in time order, then"
            f" {workload.duplicates} of them delivered again."
        ),
        *prose(
            "AWS is moto_server over loopback: real DynamoDB and SQS latency is NOT"
            " included. 'Ours' is the handler's time less its time inside AWS calls."
        ),
        "",
        *_percentiles(warm, figures.duplicates),
        "",
        *prose(
            f"The first webhook took {first.seconds * 1000:.0f} ms: the package imported"
            " afresh (boto3, pydantic and Powertools were already loaded), clients made,"
            " the secret and the rules fetched. In Lambda at"
            f" {figures.memory_mb(WEBHOOK)} MB, expect about"
            f" {_in_lambda_ms(figures, warm):.0f} ms at p50 for a new order (see the"
            " assumptions under 3)."
        ),
        "",
        *_calls_made(figures),
    ]


def _run_orders(figures: StackFigures, workload: Workload) -> None:
    runtime, invoker = figures.runtime, figures.invoker
    events = order_events(runtime.template, workload.orders, workload.customers)
    with figures.quiet():
        for placed, event in events:
            runtime.clock.set(placed + DELIVERY_DELAY)
            answer = _expect(runtime.invoke(WEBHOOK, event), "accepted")
            if answer["triggers"]:
                # As the queue's consumer would; its invocations are counted apart.
                figures.triggers += runtime.drain()
        figures.webhooks = invoker.of(WEBHOOK)
        figures.dispatches = invoker.of(DISPATCH)

        since = len(invoker.invocations)
        for _, event in events[: workload.duplicates]:
            _expect(runtime.invoke(WEBHOOK, event), "duplicate")
        figures.duplicates = invoker.of(WEBHOOK, since)


def _expect(answer: Any, status: str) -> dict[str, Any]:
    """The webhook's receipt; any other answer than expected makes the figures moot."""
    receipt: dict[str, Any] = json.loads(answer["body"])
    if answer["statusCode"] != 200 or receipt["status"] != status:
        got = f"{answer['statusCode']} {receipt}"
        raise RuntimeError(f"the webhook answered {got}, not {status}")
    return receipt


def _percentiles(warm: list[Invocation], duplicates: list[Invocation]) -> list[str]:
    rows = [
        _cuts("ours, new order", [run.own_seconds for run in warm]),
        _cuts("inside AWS calls (moto)", [run.aws_seconds for run in warm]),
        _cuts("handler in all", [run.seconds for run in warm]),
        _cuts("ours, duplicate delivery", [run.own_seconds for run in duplicates]),
    ]
    return table(["ms", "p50", "p95", "p99"], rows)


def _cuts(label: str, seconds: Sequence[float]) -> list[str]:
    milliseconds = [s * 1000 for s in seconds]
    cuts = statistics.quantiles(milliseconds, n=100, method="inclusive")
    return [label, *(f"{cuts[at]:.1f}" for at in (49, 94, 98))]


def _in_lambda_ms(figures: StackFigures, warm: list[Invocation]) -> float:
    own = statistics.median(run.own_seconds for run in warm)
    calls = sum(len(run.calls) for run in warm) / len(warm)
    return lambda_seconds(own, calls, figures.memory_mb(WEBHOOK)) * 1000


def _calls_made(figures: StackFigures) -> list[str]:
    return [
        f"{INDENT}AWS calls, mean per webhook (the first one included):",
        *_calls_lines("new order", figures.webhooks, len(figures.webhooks)),
        *_calls_lines("duplicate", figures.duplicates, len(figures.duplicates)),
        *_calls_lines(
            f"{DISPATCH}, per trigger ({figures.triggers} in all)",
            figures.dispatches,
            figures.triggers,
        ),
    ]


def _calls_lines(label: str, runs: list[Invocation], count: int) -> list[str]:
    made = sorted(by_name(calls_of(runs)).items())
    listed = listing((name, n / max(1, count)) for name, n in made)
    return prose(f"{label}: {listed or 'none'}", indent=INDENT + "  ")
