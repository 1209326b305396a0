"""Section 4: the lifecycle scan over many profiles of which a few are due."""

import json
from datetime import datetime, timedelta
from typing import Any

from retention.data.dynamodb import DUE_INDEX, DynamoProfileStore
from retention.domain.profiles import Profile
from retention.local.benchmark.calls import Call, Invocation, by_name
from retention.local.benchmark.metered import StackFigures
from retention.local.benchmark.report import INDENT, heading, listing, prose
from retention.local.benchmark.workload import SHOP, Workload

SCAN = "LifecycleScanFunction"
SCAN_AFTER = timedelta(days=60)
DUE_LATER = timedelta(days=30)


def lifecycle_scan(figures: StackFigures, workload: Workload) -> list[str]:
    profiles, due = workload.profiles, workload.customers
    runtime, invoker = figures.runtime, figures.invoker
    (table_name,) = runtime.stack.variable_values("PROFILES_TABLE")
    table = runtime.stack.table(table_name)
    scan_time = runtime.clock.now() + SCAN_AFTER
    _add_profiles(table, profiles - due, scan_time)
    sizes = _sizes(table, profiles)

    since = len(invoker.invocations)
    with figures.quiet():
        answer = runtime.invoke(SCAN, {"scheduled_time": scan_time.isoformat()})
    (run,) = invoker.of(SCAN, since)

    return [
        *heading(
            f"4. Lifecycle scan, {SCAN_AFTER.days} days after the last order above,"
            f" over {profiles:,} profiles: the {due} customers above, due for a"
            f" win-back, and {profiles - due:,} others, half due {DUE_LATER.days} days"
            " later and half with nothing due."
        ),
        "",
        *sizes,
        *_reads(run),
        f"{INDENT}the scan answered {json.dumps(answer)} in {run.seconds * 1000:.0f} ms",
    ]


def _sizes(table: Any, profiles: int) -> list[str]:
    """Counted before the scan runs, which moves the due profiles' next actions."""
    items, entries = _count(table), _count(table, DUE_INDEX)
    held = f"{profiles:,} profiles, then orders and links"
    return [
        f"{INDENT}in the table     {items:,} items ({held})",
        f"{INDENT}in the due index {entries:,} entries",
    ]


def _reads(run: Invocation) -> list[str]:
    on_index = [call for call in run.calls if call.index]
    others = [call for call in run.calls if not call.index]
    entries = sum(call.units.items_read for call in on_index)
    scans = sum(1 for call in run.calls if call.operation == "Scan")
    return [
        f"{INDENT}read by the scan {entries} index entries, in {len(on_index)} Query"
        f" calls (one per shard); {scans} Scan calls",
        *prose(f"then, for the profiles due: {_counts(others)}"),
    ]


def _counts(calls: list[Call]) -> str:
    return listing(sorted(by_name(calls).items()), digits=0)


def _add_profiles(table: Any, count: int, scan_time: datetime) -> None:
    """Profiles not due: half due later, half with nothing due (not in the index)."""
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
    """Stands in for the table under the store, so that the store's own item
    layout is written 25 items a request; the condition of a first write is moot
    on new keys."""

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
