"""Section 3: what a webhook, a dispatched trigger and 1,000 orders cost, estimated."""

from decimal import Decimal

from retention.local.benchmark.calls import Invocation, calls_of
from retention.local.benchmark.metered import StackFigures
from retention.local.benchmark.prices import (
    AWS_ROUND_TRIP_MS,
    HTTP_API_REQUEST,
    LAMBDA_GB_SECOND,
    LAMBDA_REQUEST,
    MEMORY_OF_ONE_VCPU,
    READ_UNIT,
    SQS_REQUEST,
    WRITE_UNIT,
    Price,
    cpu_scale,
    lambda_seconds,
)
from retention.local.benchmark.report import heading, listing, prose, table
from retention.local.benchmark.workload import DISPATCH, WEBHOOK
from retention.local.template import Function

# The other topics (paid, fulfilled, updated) are taken to cost what orders/create does.
WEBHOOKS_PER_ORDER = 4
ORDERS = 1000
PRICES: dict[str, Price] = {
    "write": WRITE_UNIT,
    "read": READ_UNIT,
    "sqs": SQS_REQUEST,
    "gb_seconds": LAMBDA_GB_SECOND,
    "invocations": LAMBDA_REQUEST,
    "http": HTTP_API_REQUEST,
}
HEADER = ["", "write RU", "read RU", "SQS req", "GB-s", "USD"]

Usage = dict[str, Decimal]


def costs(figures: StackFigures) -> list[str]:
    template = figures.runtime.template
    webhook = _usage(figures.webhooks, len(figures.webhooks), template.function(WEBHOOK))
    dispatch = _usage(figures.dispatches, figures.triggers, template.function(DISPATCH))
    triggers = Decimal(figures.triggers) / len(figures.webhooks)
    orders = {
        name: ORDERS * (webhook[name] * WEBHOOKS_PER_ORDER + dispatch[name] * triggers)
        for name in PRICES
    }
    rows = [
        _row("per webhook (orders/create)", webhook),
        _row("per dispatched trigger", dispatch),
        _row(f"per {ORDERS:,} orders", orders),
    ]
    return [
        *_assumptions(figures.memory_mb(WEBHOOK)),
        "",
        *table(HEADER, rows),
        "",
        *_units_by_table(figures.webhooks),
        "",
        *prose(
            f"Per {ORDERS:,} orders counts {WEBHOOKS_PER_ORDER} webhooks an order (create,"
            " paid, fulfilled, updated), each costing about what orders/create costs here,"
            f" and {triggers:.2f} triggers an order as here. Left out: Lambda's polling of"
            " SQS, CloudWatch logs and metrics, X-Ray, and the Secrets Manager and SSM"
            " reads (cached for 5 minutes)."
        ),
    ]


def _assumptions(memory_mb: int) -> list[str]:
    return [
        *heading(
            "3. Cost, ESTIMATED from the calls counted above, at on-demand prices"
            f" assumed for us-east-1: DynamoDB {WRITE_UNIT} and {READ_UNIT}; SQS"
            f" {SQS_REQUEST}; Lambda arm64 {LAMBDA_GB_SECOND} and {LAMBDA_REQUEST};"
            f" HTTP API {HTTP_API_REQUEST}."
        ),
        *prose(
            f"Lambda time is 'ours' stretched to the CPU share of {memory_mb} MB (one"
            f" vCPU at {MEMORY_OF_ONE_VCPU} MB: x{cpu_scale(memory_mb):.2f}), plus an"
            f" assumed {AWS_ROUND_TRIP_MS:.0f} ms in-region round trip per AWS call."
        ),
    ]


def _usage(runs: list[Invocation], per: int, function: Function) -> Usage:
    """What ``runs`` used, divided among ``per`` (webhooks or triggers)."""
    calls = calls_of(runs)
    own = sum(run.own_seconds for run in runs)
    memory_mb = function.memory_size
    seconds = lambda_seconds(own, len(calls), memory_mb)
    behind_api = bool(function.routes)
    used = {
        "write": sum(call.units.write for call in calls),
        "read": sum(call.units.read for call in calls),
        "sqs": sum(1 for call in calls if call.service == "sqs"),
        "gb_seconds": seconds * memory_mb / 1024,
        "invocations": len(runs),
        "http": len(runs) if behind_api else 0,
    }
    return {name: Decimal(str(value)) / max(1, per) for name, value in used.items()}


def _row(label: str, usage: Usage) -> list[str]:
    dollars = sum(
        (usage[name] * price.each for name, price in PRICES.items()),
        Decimal(0),
    )
    return [
        label,
        f"{usage['write']:.2f}",
        f"{usage['read']:.2f}",
        f"{usage['sqs']:.2f}",
        f"{usage['gb_seconds']:.4f}",
        f"{dollars:.6f}",
    ]


def _units_by_table(runs: list[Invocation]) -> list[str]:
    """Where a webhook's request units go, per table and operation."""
    spent: dict[str, dict[str, float]] = {}
    for call in calls_of(runs):
        if call.table:
            operations = spent.setdefault(call.table, {})
            units = call.units.write + call.units.read
            operations[call.operation] = operations.get(call.operation, 0.0) + units
    lines = []
    for name, operations in sorted(spent.items()):
        per_webhook = ((op, n / len(runs)) for op, n in sorted(operations.items()))
        lines += prose(f"request units per webhook, {name}: {listing(per_webhook)}")
    return lines
