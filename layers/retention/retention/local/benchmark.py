"""``make benchmark``: figures to read, never a pass or a fail.

    python -m retention.local.benchmark [--runs 5] [--orders 300] [--customers 50]
                                        [--duplicates 60] [--profiles 2000]

Run from the repository root. Four sections:

1. Cold start: each handler module of ``template.yaml`` imported in a fresh interpreter, as
   Lambda's first invocation imports it, and the packages whose own code costs the most.
2. Warm webhook latency: the Shopify webhook function invoked in this process, through the
   local stack's invoker, against moto_server. Every AWS call is timed and counted through
   botocore's ``before-call`` and ``after-call`` events, so our own processing is the
   handler's time less the time inside AWS calls: moto's speed says nothing of DynamoDB's.
3. Cost: DynamoDB request units, SQS requests and Lambda time per webhook, per dispatched
   trigger and per 1,000 orders, at the on-demand prices that the report prints.
4. The lifecycle scan over many profiles of which a few are due: what it reads.
"""

import argparse
import base64
import contextlib
import json
import logging
import math
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import boto3
from botocore import handlers

from retention.data.dynamodb import DUE_INDEX, DynamoProfileStore
from retention.domain.profiles import Profile
from retention.local.invoker import Invoker
from retention.local.runtime import LocalRuntime, RuntimeOptions
from retention.local.signing import shop_secret
from retention.local.stack import LocalStack
from retention.local.template import TABLE, Template, load_template
from retention.vendors.shopify import sign

SHOP = "demo-store.myshopify.com"
SAMPLE_ORDER = Path("events/shopify/orders_create.json")
WEBHOOK = "ShopifyWebhookFunction"
DISPATCH = "DispatchFunction"
SCAN = "LifecycleScanFunction"
STORE_ZONE = ZoneInfo("Asia/Kolkata")
FIRST_ORDER = datetime(2025, 8, 1, 4, 30, tzinfo=UTC)
ORDER_GAP = timedelta(hours=12)
SCAN_AFTER = timedelta(days=60)
DUE_LATER = timedelta(days=30)
WIDTH = 96
KB = 1024
# DynamoDB speaks JSON on the wire; its requests and answers are read for request units.
READ_ON_THE_WIRE = frozenset({"dynamodb"})

# On-demand prices in us-east-1 when this was written, per unit or request: assumptions.
WRITE_UNIT_PRICE = Decimal("1.25") / 1_000_000
READ_UNIT_PRICE = Decimal("0.25") / 1_000_000
SQS_REQUEST_PRICE = Decimal("0.40") / 1_000_000
LAMBDA_GB_SECOND_PRICE = Decimal("0.0000133334")
LAMBDA_REQUEST_PRICE = Decimal("0.20") / 1_000_000
HTTP_API_REQUEST_PRICE = Decimal("1.00") / 1_000_000
# Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB.
MEMORY_OF_ONE_VCPU = 1769
AWS_ROUND_TRIP_MS = 5.0
WEBHOOKS_PER_ORDER = 4


@dataclass(frozen=True)
class Options:
    template: Path
    runs: int
    orders: int
    customers: int
    duplicates: int
    profiles: int


def main(argv: list[str] | None = None) -> int:
    options = _options(argv)
    template = load_template(options.template)
    started = time.perf_counter()

    print(f"Benchmark of {template.path}: figures to read, not a test. {_machine()}\n")
    show(cold_start(template, options.runs))
    with stack_figures(template) as figures:
        show(webhook_latency(figures, options))
        show(costs(figures))
        show(lifecycle_scan(figures, options.profiles, options.customers))
    print(f"({time.perf_counter() - started:.0f} s in all)")
    return 0


def show(lines: list[str]) -> None:
    print("\n".join(lines), end="\n\n", flush=True)


def prose(text: str, indent: str = "   ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def heading(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, subsequent_indent="   ")


# 1. Cold start ---------------------------------------------------------------------------

_IMPORT = """
import importlib, sys, time
sys.path.insert(0, sys.argv[1])
sys.stderr.write("--- handler\\n")
sys.stderr.flush()
started = time.perf_counter()
importlib.import_module(sys.argv[2])
print((time.perf_counter() - started) * 1000)
"""


@dataclass(frozen=True)
class ImportRun:
    milliseconds: float
    self_us_by_package: Counter[str]


def cold_start(template: Template, runs: int) -> list[str]:
    lines = [
        *heading(
            "1. Cold start: each handler module imported in a fresh interpreter, as Lambda's"
            f" first invocation does: the median of {runs} runs with bytecode cached, then one"
            " run with no bytecode at all (the upper bound for a package deployed without .pyc"
            " files), and the packages whose own code took longest in a typical run."
        ),
        "",
        f"   {'function':<24}{'import ms':>10}{'no .pyc':>9}   heaviest packages, ms",
    ]
    for logical_id in template.functions:
        timed = [_import_once(template, logical_id, cached=True) for _ in range(runs)]
        uncached = _import_once(template, logical_id, cached=False)
        median = statistics.median(run.milliseconds for run in timed)
        typical = min(timed, key=lambda run: abs(run.milliseconds - median))
        heaviest = ", ".join(
            f"{name} {us / 1000:.0f}" for name, us in typical.self_us_by_package.most_common(4)
        )
        lines.append(
            f"   {logical_id:<24}{median:>10.0f}{uncached.milliseconds:>9.0f}   {heaviest}"
        )
    lines += prose(
        "Tracing is on, as the template's Tracing: Active has it, so Powertools loads the"
        " X-Ray SDK. Lambda's own start-up and the first call's clients, secret and rules"
        " come on top (see the first webhook under 2)."
    )
    return lines


def _import_once(template: Template, logical_id: str, *, cached: bool) -> ImportRun:
    function = template.function(logical_id)
    module = function.handler.rpartition(".")[0]
    with tempfile.TemporaryDirectory() as empty:
        # Bytecode looked for in an empty folder, and not written: every module compiled.
        flags = [] if cached else ["-X", f"pycache_prefix={empty}"]
        command = [sys.executable, "-X", "importtime", *flags, "-c", _IMPORT]
        done = subprocess.run(  # noqa: S603 - this interpreter, the template's own paths
            [*command, str(function.code_uri), module],
            env=_lambda_environment(template, logical_id, cached=cached),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
    return ImportRun(float(done.stdout), _self_time_by_package(done.stderr))


def _lambda_environment(template: Template, logical_id: str, *, cached: bool) -> dict[str, str]:
    """The function's literal variables and what Lambda sets; nothing else from this shell."""
    function = template.function(logical_id)
    literal = {k: v for k, v in function.environment.items() if isinstance(v, str)}
    environment = {
        "PATH": os.environ.get("PATH", ""),
        **literal,
        "AWS_LAMBDA_FUNCTION_NAME": logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    if not cached:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return environment


def _self_time_by_package(importtime: str) -> Counter[str]:
    """Each top-level package's own import time, from ``-X importtime`` after the marker."""
    totals: Counter[str] = Counter()
    for line in importtime.split("--- handler\n", 1)[-1].splitlines():
        parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[0].isdigit():
            totals[parts[2].split(".")[0]] += int(parts[0])
    return totals


# Every AWS call, timed and counted ---------------------------------------------------------


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    seconds: float
    table: str | None = None
    index: str | None = None
    read_units: float = 0.0
    write_units: float = 0.0
    items_read: int = 0


@dataclass(frozen=True)
class Invocation:
    function: str
    seconds: float
    calls: tuple[Call, ...]

    @property
    def aws_seconds(self) -> float:
        return sum(call.seconds for call in self.calls)

    @property
    def own_seconds(self) -> float:
        return self.seconds - self.aws_seconds


@dataclass(frozen=True)
class TableKeys:
    name: str
    primary: tuple[str, ...]
    indexes: tuple[tuple[str, tuple[str, ...]], ...]


class Calls:
    """The AWS calls made during an invocation, with DynamoDB's request units estimated.

    The hooks go into botocore's list of built-in handlers, which every new session copies,
    so they reach the functions' own clients and those that Powertools makes. Units follow
    DynamoDB's on-demand rules: a write is a unit per KB of the item, a read a unit per 4 KB
    (half that when eventually consistent), at least one a request; a write that puts or
    deletes a KEYS_ONLY index entry adds a unit for each.
    """

    def __init__(self, tables: dict[str, TableKeys]) -> None:
        self._tables = tables
        self._entries: dict[tuple[str, str, str], tuple[str, ...] | None] = {}
        self._current: list[Call] | None = None

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        hooks: list[Any] = [("before-call", self._before), ("after-call", self._after)]
        handlers.BUILTIN_HANDLERS.extend(hooks)
        # A default session made before the hooks went in would lack them.
        boto3.DEFAULT_SESSION = None
        try:
            yield
        finally:
            for hook in hooks:
                handlers.BUILTIN_HANDLERS.remove(hook)
            boto3.DEFAULT_SESSION = None

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Call]]:
        made: list[Call] = []
        self._current = made
        try:
            yield made
        finally:
            self._current = None

    def _before(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        body = params.get("body")
        readable = model.service_model.service_name in READ_ON_THE_WIRE
        request = json.loads(body or "{}") if readable and isinstance(body, bytes | str) else {}
        context["benchmark"] = (time.perf_counter(), self._current, request)

    def _after(self, http_response: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
        started, made, request = context.pop("benchmark", (0.0, None, {}))
        seconds = time.perf_counter() - started
        service, operation = model.service_model.service_name, model.name
        # Index entries are followed outside invocations too, so that later writes compare.
        written = operation == "PutItem" and http_response.status_code == 200
        index_units = self._index_writes(request) if written else 0
        if made is None:
            return

        call = Call(
            service,
            operation,
            seconds,
            table=request.get("TableName"),
            index=request.get("IndexName"),
        )
        if service == "dynamodb":
            response = json.loads(http_response.content or b"{}")
            call = _with_units(call, request, response, index_units)
        made.append(call)

    def _index_writes(self, request: dict[str, Any]) -> int:
        """Index entries put or deleted by a write, against the last one this process saw."""
        keys = self._tables.get(request.get("TableName", ""))
        if keys is None:
            return 0
        item = request["Item"]
        where = json.dumps([item.get(name) for name in keys.primary])
        units = 0
        for index, attributes in keys.indexes:
            present = set(attributes) <= set(item)
            new = tuple(json.dumps(item[name]) for name in attributes) if present else None
            old = self._entries.get((keys.name, index, where))
            self._entries[(keys.name, index, where)] = new
            if old != new:
                units += 2 if old is not None and new is not None else 1
        return units


def table_keys(template: Template) -> dict[str, TableKeys]:
    """Each table's key attributes and its KEYS_ONLY global indexes', by local table name."""
    found = {}
    for table in template.of_type(TABLE):
        properties = table.properties
        name = str(properties.get("TableName") or table.logical_id)
        indexes = tuple(
            (str(index["IndexName"]), _key_names(index["KeySchema"]))
            for index in properties.get("GlobalSecondaryIndexes") or []
            if index["Projection"]["ProjectionType"] == "KEYS_ONLY"
        )
        found[name] = TableKeys(name, _key_names(properties["KeySchema"]), indexes)
    return found


def _key_names(schema: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(str(key["AttributeName"]) for key in schema)


def _with_units(
    call: Call,
    request: dict[str, Any],
    response: dict[str, Any],
    index_units: int,
) -> Call:
    consistent = bool(request.get("ConsistentRead"))
    match call.operation:
        case "GetItem":
            found = response.get("Item")
            units = _read_units(item_size(found or {}), consistent)
            return replace(call, read_units=units, items_read=int(found is not None))
        case "Query" | "Scan":
            items = response.get("Items", [])
            units = _read_units(sum(item_size(item) for item in items), consistent)
            return replace(call, read_units=units, items_read=len(items))
        case "PutItem":
            units = _write_units(item_size(request["Item"]))
            return replace(call, write_units=units + index_units)
        case "UpdateItem" | "DeleteItem":
            # The whole item counts; Powertools' records are small, so key and values are near.
            values = request.get("ExpressionAttributeValues", {})
            size = item_size(request["Key"]) + sum(_value_size(v) for v in values.values())
            return replace(call, write_units=_write_units(size))
    return call


def _read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / (4 * KB)))
    return float(units) if consistent else units / 2


def _write_units(size: int) -> float:
    return float(max(1, math.ceil(size / KB)))


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item in its wire format: attribute names plus values, bytes."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    match kind:
        case "S":
            return len(str(inner).encode())
        case "N":
            return _number_size(str(inner))
        case "B":
            return len(base64.b64decode(inner))
        case "SS":
            return sum(len(text.encode()) for text in inner)
        case "NS":
            return sum(_number_size(number) for number in inner)
        case "L":
            return 3 + sum(1 + _value_size(element) for element in inner)
        case "M":
            return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in inner.items())
    return 1


def _number_size(number: str) -> int:
    """A byte per two significant digits, and one more."""
    digits = number.lstrip("-").replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


class MeteredInvoker(Invoker):
    """The local stack's invoker, timing each invocation and keeping the calls it made."""

    def __init__(self, stack: LocalStack, calls: Calls) -> None:
        super().__init__(stack)
        self.calls = calls
        self.invocations: list[Invocation] = []

    def invoke(self, logical_id: str, event: Any) -> Any:
        with self.calls.recording() as made:
            started = time.perf_counter()
            try:
                return super().invoke(logical_id, event)
            finally:
                seconds = time.perf_counter() - started
                self.invocations.append(Invocation(logical_id, seconds, tuple(made)))

    def of(self, function: str, since: int = 0) -> list[Invocation]:
        return [run for run in self.invocations[since:] if run.function == function]


# The local stack ---------------------------------------------------------------------------


@dataclass
class StackFigures:
    runtime: LocalRuntime
    invoker: MeteredInvoker
    sink: TextIO
    webhooks: list[Invocation] = field(default_factory=list)
    duplicates: list[Invocation] = field(default_factory=list)
    dispatches: list[Invocation] = field(default_factory=list)
    triggers: int = 0

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """The functions log and emit metrics on stdout, as in Lambda. Writing them is real
        work, so it is done, but to ``os.devnull``, which the loggers keep till the end."""
        with contextlib.redirect_stdout(self.sink):
            yield

    def memory_mb(self, logical_id: str) -> int:
        return self.runtime.template.function(logical_id).memory_size


@contextlib.contextmanager
def stack_figures(template: Template) -> Iterator[StackFigures]:
    """The local stack without its HTTP API or background threads, every AWS call counted."""
    options = RuntimeOptions(
        template=template.path,
        moto_port=0,
        start=FIRST_ORDER,
        frozen_clock=True,
        parameters={"StoreTimeZone": str(STORE_ZONE)},
        serve=False,
        background=False,
    )
    # moto_server would log every request it serves.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    calls = Calls(table_keys(template))
    with calls.installed(), Path(os.devnull).open("w", encoding="utf-8") as sink:
        runtime = LocalRuntime(options)
        invoker = MeteredInvoker(runtime.stack, calls)
        runtime.invoker = invoker
        with runtime:
            yield StackFigures(runtime, invoker, sink)


# 2. Warm webhook latency ---------------------------------------------------------------


def webhook_latency(figures: StackFigures, options: Options) -> list[str]:
    _run_orders(figures, options)
    first, warm = figures.webhooks[0], figures.webhooks[1:]
    ours = [run.own_seconds for run in warm]
    memory = figures.memory_mb(WEBHOOK)
    in_lambda = _lambda_ms(statistics.median(ours), _mean_calls(warm), memory)
    return [
        *heading(
            f"2. Warm webhook latency: {WEBHOOK} invoked in this process with {options.orders}"
            f" paid orders (orders/create, the sample event's body) of {options.customers}"
            f" customers, in time order, then {options.duplicates} of them delivered again."
        ),
        *prose(
            "AWS is moto_server over loopback: real DynamoDB and SQS latency is NOT included."
            " 'Ours' is the handler's time less its time inside AWS calls."
        ),
        "",
        f"   {'ms':<32}{'p50':>8}{'p95':>8}{'p99':>8}",
        _percentiles("ours, new order", ours),
        _percentiles("inside AWS calls (moto)", [run.aws_seconds for run in warm]),
        _percentiles("handler in all", [run.seconds for run in warm]),
        _percentiles("ours, duplicate delivery", [run.own_seconds for run in figures.duplicates]),
        "",
        *prose(
            f"The first webhook took {first.seconds * 1000:.0f} ms: the package imported"
            " afresh (boto3, pydantic and Powertools were already loaded), clients made, the"
            f" secret and the rules fetched. In Lambda at {memory} MB, expect about"
            f" {in_lambda:.0f} ms at p50 for a new order (see the assumptions under 3)."
        ),
        "",
        "   AWS calls, mean per webhook (the first one included):",
        *_calls_lines("new order", figures.webhooks, len(figures.webhooks)),
        *_calls_lines("duplicate", figures.duplicates, len(figures.duplicates)),
        *_calls_lines(
            f"{DISPATCH}, per trigger ({figures.triggers} in all)",
            figures.dispatches,
            figures.triggers,
        ),
    ]


def _run_orders(figures: StackFigures, options: Options) -> None:
    runtime, invoker = figures.runtime, figures.invoker
    events = order_events(runtime.template, options.orders, options.customers)
    with figures.quiet():
        for placed, event in events:
            runtime.clock.set(placed + timedelta(minutes=5))
            answer = _expect(runtime.invoke(WEBHOOK, event), "accepted")
            if answer["triggers"]:
                # As the queue's consumer would; its invocations are counted apart.
                figures.triggers += runtime.drain()
        figures.webhooks = invoker.of(WEBHOOK)
        figures.dispatches = invoker.of(DISPATCH)

        since = len(invoker.invocations)
        for _, event in events[: options.duplicates]:
            _expect(runtime.invoke(WEBHOOK, event), "duplicate")
        figures.duplicates = invoker.of(WEBHOOK, since)


def order_events(template: Template, count: int, customers: int) -> list[tuple[datetime, Any]]:
    """Paid orders in the sample's shape, customers ordering in turn, signed as Shopify signs."""
    sample = json.loads((template.root / SAMPLE_ORDER).read_text(encoding="utf-8"))
    secret = shop_secret(template, SHOP)
    events = []
    for number in range(count):
        placed = FIRST_ORDER + number * ORDER_GAP
        body = _order(json.loads(sample["body"]), number, number % customers, placed)
        events.append((placed, _signed(sample, body, secret, placed)))
    return events


def _order(order: dict[str, Any], number: int, customer: int, placed: datetime) -> str:
    order_id, customer_id = 6_100_000_000 + number, 7_100_000_000 + customer
    local = placed.astimezone(STORE_ZONE).isoformat(timespec="seconds")
    email = f"bench.customer{customer}@example.com"
    order.update(
        id=order_id,
        admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
        name=f"#{2000 + number}",
        order_number=2000 + number,
        created_at=local,
        processed_at=local,
        updated_at=local,
        financial_status="paid",
        email=email,
        contact_email=email,
    )
    order["customer"].update(
        id=customer_id,
        admin_graphql_api_id=f"gid://shopify/Customer/{customer_id}",
        email=email,
        first_name="Bench",
        last_name=f"Customer{customer}",
    )
    order["customer"]["default_address"]["customer_id"] = customer_id
    return json.dumps(order, separators=(",", ":"))


def _signed(sample: dict[str, Any], body: str, secret: str, placed: datetime) -> dict[str, Any]:
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, body)
    headers = {
        **sample["headers"],
        "content-length": str(len(body.encode())),
        "x-shopify-hmac-sha256": sign(body.encode(), secret),
        "x-shopify-event-id": str(event_id),
        "x-shopify-webhook-id": str(uuid.uuid5(event_id, "webhook")),
        "x-shopify-triggered-at": placed.isoformat(),
    }
    return {**sample, "headers": headers, "body": body, "isBase64Encoded": False}


def _expect(answer: Any, status: str) -> dict[str, Any]:
    """The webhook's receipt; any other answer than the one expected makes the figures moot."""
    receipt: dict[str, Any] = json.loads(answer["body"])
    if answer["statusCode"] != 200 or receipt["status"] != status:
        raise RuntimeError(f"the webhook answered {answer['statusCode']} {receipt}, not {status}")
    return receipt


def _percentiles(label: str, seconds: Sequence[float]) -> str:
    cuts = statistics.quantiles([s * 1000 for s in seconds], n=100, method="inclusive")
    return f"   {label:<32}{cuts[49]:>8.1f}{cuts[94]:>8.1f}{cuts[98]:>8.1f}"


def _calls_lines(label: str, runs: list[Invocation], count: int) -> list[str]:
    made = Counter(f"{call.service} {call.operation}" for run in runs for call in run.calls)
    listed = ", ".join(f"{name} {n / max(1, count):.2f}" for name, n in sorted(made.items()))
    return prose(f"{label}: {listed or 'none'}", indent="     ")


def _mean_calls(runs: list[Invocation]) -> float:
    return sum(len(run.calls) for run in runs) / len(runs)


def _lambda_ms(own_seconds: float, calls: float, memory_mb: int) -> float:
    """Our CPU time stretched to the memory's CPU share, plus a round trip per AWS call."""
    return own_seconds * 1000 * _cpu_scale(memory_mb) + calls * AWS_ROUND_TRIP_MS


def _cpu_scale(memory_mb: int) -> float:
    return max(1.0, MEMORY_OF_ONE_VCPU / memory_mb)


# 3. Cost -------------------------------------------------------------------------------


def costs(figures: StackFigures) -> list[str]:
    memory = figures.memory_mb(WEBHOOK)
    webhook = _per_run(figures.webhooks, len(figures.webhooks), memory)
    dispatch = _per_run(figures.dispatches, figures.triggers, figures.memory_mb(DISPATCH))
    triggers = Decimal(figures.triggers) / len(figures.webhooks)
    thousand = {
        name: 1000 * (webhook[name] * WEBHOOKS_PER_ORDER + dispatch[name] * triggers)
        for name in webhook
    }
    return [
        *heading(
            "3. Cost, ESTIMATED from the calls counted above, at on-demand prices assumed for"
            " us-east-1: DynamoDB $1.25 per million write request units and $0.25 per million"
            " read request units; SQS $0.40 per million requests; Lambda arm64 $0.0000133334"
            " per GB-s and $0.20 per million requests; HTTP API $1.00 per million requests."
        ),
        *prose(
            f"Lambda time is 'ours' stretched to the CPU share of {memory} MB (one vCPU at"
            f" {MEMORY_OF_ONE_VCPU} MB: x{_cpu_scale(memory):.2f}), plus an assumed"
            f" {AWS_ROUND_TRIP_MS:.0f} ms in-region round trip per AWS call."
        ),
        "",
        f"   {'':<30}{'write RU':>10}{'read RU':>10}{'SQS req':>9}{'GB-s':>9}{'USD':>11}",
        _cost_row("per webhook (orders/create)", webhook),
        _cost_row("per dispatched trigger", dispatch),
        _cost_row("per 1,000 orders", thousand),
        "",
        *_units_by_table(figures.webhooks),
        "",
        *prose(
            f"Per 1,000 orders counts {WEBHOOKS_PER_ORDER} webhooks an order (create, paid,"
            " fulfilled, updated), each costing about what orders/create costs here, and"
            f" {triggers:.2f} triggers an order as here. Left out: Lambda's polling of SQS,"
            " CloudWatch logs and metrics, X-Ray, and the Secrets Manager and SSM reads"
            " (cached for 5 minutes)."
        ),
    ]


def _units_by_table(runs: list[Invocation]) -> list[str]:
    """Where a webhook's request units go, per table and operation."""
    spent: dict[str, dict[str, float]] = {}
    for call in (call for run in runs for call in run.calls):
        if call.table:
            operations = spent.setdefault(call.table, {})
            units = call.write_units + call.read_units
            operations[call.operation] = operations.get(call.operation, 0.0) + units
    lines = []
    for table, operations in sorted(spent.items()):
        listed = ", ".join(f"{op} {n / len(runs):.2f}" for op, n in sorted(operations.items()))
        lines += prose(f"request units per webhook, {table}: {listed}")
    return lines


def _per_run(runs: list[Invocation], count: int, memory_mb: int) -> dict[str, Decimal]:
    calls = [call for run in runs for call in run.calls]
    own = sum(run.own_seconds for run in runs) * _cpu_scale(memory_mb)
    seconds = own + len(calls) * AWS_ROUND_TRIP_MS / 1000
    behind_api = any(run.function == WEBHOOK for run in runs)
    figures = {
        "write": sum(call.write_units for call in calls),
        "read": sum(call.read_units for call in calls),
        "sqs": sum(1 for call in calls if call.service == "sqs"),
        "gb_seconds": seconds * memory_mb / 1024,
        "invocations": len(runs),
        "http": len(runs) if behind_api else 0,
    }
    return {name: Decimal(str(value)) / max(1, count) for name, value in figures.items()}


def _cost_row(label: str, figures: dict[str, Decimal]) -> str:
    dollars = (
        figures["write"] * WRITE_UNIT_PRICE
        + figures["read"] * READ_UNIT_PRICE
        + figures["sqs"] * SQS_REQUEST_PRICE
        + figures["gb_seconds"] * LAMBDA_GB_SECOND_PRICE
        + figures["invocations"] * LAMBDA_REQUEST_PRICE
        + figures["http"] * HTTP_API_REQUEST_PRICE
    )
    return (
        f"   {label:<30}{figures['write']:>10.2f}{figures['read']:>10.2f}"
        f"{figures['sqs']:>9.2f}{figures['gb_seconds']:>9.4f}{dollars:>11.6f}"
    )


# 4. Lifecycle scan -----------------------------------------------------------------------


def lifecycle_scan(figures: StackFigures, profiles: int, due: int) -> list[str]:
    runtime, invoker = figures.runtime, figures.invoker
    (table_name,) = runtime.stack.variable_values("PROFILES_TABLE")
    table = runtime.stack.table(table_name)
    scan_time = runtime.clock.now() + SCAN_AFTER
    _add_profiles(table, profiles - due, scan_time)
    items, entries = _count(table), _count(table, DUE_INDEX)

    since = len(invoker.invocations)
    with figures.quiet():
        answer = runtime.invoke(SCAN, {"scheduled_time": scan_time.isoformat()})
    (run,) = invoker.of(SCAN, since)

    on_index = [call for call in run.calls if call.index]
    others = [call for call in run.calls if not call.index]
    scans = sum(1 for call in run.calls if call.operation == "Scan")
    return [
        *heading(
            f"4. Lifecycle scan, {SCAN_AFTER.days} days after the last order above, over"
            f" {profiles:,} profiles: the {due} customers above, due for a win-back, and"
            f" {profiles - due:,} others, half due {DUE_LATER.days} days later and half with"
            " nothing due."
        ),
        "",
        f"   in the table     {items:,} items ({profiles:,} profiles, then orders and links)",
        f"   in the due index {entries:,} entries",
        f"   read by the scan {sum(c.items_read for c in on_index)} index entries, in"
        f" {len(on_index)} Query calls (one per shard); {scans} Scan calls",
        *prose(f"then, for the profiles due: {_call_counts(others)}"),
        f"   the scan answered {json.dumps(answer)} in {run.seconds * 1000:.0f} ms",
    ]


def _call_counts(calls: list[Call]) -> str:
    made = Counter(f"{call.service} {call.operation}" for call in calls)
    return ", ".join(f"{name} {count}" for name, count in sorted(made.items()))


def _add_profiles(table: Any, count: int, scan_time: datetime) -> None:
    """Profiles that are not due: half due later, half with nothing due (not in the index)."""
    with table.batch_writer() as writer:
        store = DynamoProfileStore(_BatchWrites(writer))
        for number in range(count):
            later = scan_time + DUE_LATER if number % 2 else None
            profile = Profile(
                tenant=SHOP,
                customer_key=f"shopify:{7_200_000_000 + number}",
                next_action="win_back" if later else None,
                next_action_at=later,
            )
            store.put_profile(profile, expected_version=0)


class _BatchWrites:
    """Stands in for the table under the store, so that the store's own item layout is
    written 25 items a request; the condition of a first write is moot on new keys."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def put_item(self, Item: dict[str, Any], **_: Any) -> None:
        self._writer.put_item(Item=Item)


def _count(table: Any, index: str | None = None) -> int:
    """Items in a table or an index, counted for the report, outside any invocation."""
    arguments: dict[str, Any] = {"Select": "COUNT"}
    if index:
        arguments["IndexName"] = index
    total = 0
    while True:
        page = table.scan(**arguments)
        total += int(page["Count"])
        if "LastEvaluatedKey" not in page:
            return total
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# The command line ------------------------------------------------------------------------


def _options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m retention.local.benchmark")
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--runs", type=int, default=5, help="fresh imports per function")
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--duplicates", type=int, default=60)
    parser.add_argument("--profiles", type=int, default=2000)
    args = parser.parse_args(argv)
    return Options(
        args.template,
        args.runs,
        args.orders,
        args.customers,
        args.duplicates,
        args.profiles,
    )


def _machine() -> str:
    return f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {datetime.now(UTC):%Y-%m-%d}."


if __name__ == "__main__":
    raise SystemExit(main())
