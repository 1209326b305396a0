"""The command line, and the order of the report's sections."""

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from retention.local.benchmark.cold_start import cold_start
from retention.local.benchmark.cost import costs
from retention.local.benchmark.latency import webhook_latency
from retention.local.benchmark.metered import stack_figures
from retention.local.benchmark.report import show
from retention.local.benchmark.scan import lifecycle_scan
from retention.local.benchmark.workload import Workload
from retention.local.template import load_template


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    template = load_template(arguments.template)
    workload = Workload(
        arguments.orders,
        arguments.customers,
        arguments.duplicates,
        arguments.profiles,
    )
    started = time.perf_counter()

    print(f"Benchmark of {template.path}: figures to read, not a test. {_machine()}\n")
    show(cold_start(template, arguments.runs))
    with stack_figures(template) as figures:
        show(webhook_latency(figures, workload))
        show(costs(figures))
        show(lifecycle_scan(figures, workload))
    print(f"({time.perf_counter() - started:.0f} s in all)")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m retention.local.benchmark")
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--runs", type=int, default=5, help="fresh imports per function")
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--duplicates", type=int, default=60)
    parser.add_argument("--profiles", type=int, default=2000)
    return parser


def _machine() -> str:
    today = datetime.now(UTC)
    return f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {today:%Y-%m-%d}."


if __name__ == "__main__":
    raise SystemExit(main())
