"""Section 1: each handler module imported in a fresh interpreter, as Lambda does."""

import os
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass

from retention.local.benchmark.report import heading, listing, prose, table
from retention.local.stack import REGION
from retention.local.template import Template

MARKER = "--- handler"
HEAVIEST_SHOWN = 4
_IMPORT = f"""
import importlib, sys, time
sys.path.insert(0, sys.argv[1])
sys.stderr.write("{MARKER}\\n")
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
    rows = [_row(template, logical_id, runs) for logical_id in template.functions]
    return [
        *heading(
            "1. Cold start: each handler module imported in a fresh interpreter, as"
            f" Lambda's first invocation does: the median of {runs} runs with bytecode"
            " cached, then one run with no bytecode at all (the upper bound for a"
            " package deployed without .pyc files), and the packages whose own code"
            " took longest in a typical run."
        ),
        "",
        *table(["function", "import ms", "no .pyc", "heaviest packages, ms"], rows),
        *prose(
            "Tracing is on, as the template's Tracing: Active has it, so Powertools"
            " loads the X-Ray SDK. Lambda's own start-up and the first call's clients,"
            " secret and rules come on top (see the first webhook under 2)."
        ),
    ]


def _row(template: Template, logical_id: str, runs: int) -> list[str]:
    timed = [_import_once(template, logical_id, cached=True) for _ in range(runs)]
    uncached = _import_once(template, logical_id, cached=False)
    median = statistics.median(run.milliseconds for run in timed)
    typical = min(timed, key=lambda run: abs(run.milliseconds - median))
    heaviest = typical.self_us_by_package.most_common(HEAVIEST_SHOWN)
    return [
        logical_id,
        f"{median:.0f}",
        f"{uncached.milliseconds:.0f}",
        listing(((name, us / 1000) for name, us in heaviest), digits=0),
    ]


def _import_once(template: Template, logical_id: str, *, cached: bool) -> ImportRun:
    function = template.function(logical_id)
    module = function.handler.rpartition(".")[0]
    with tempfile.TemporaryDirectory() as empty:
        # Bytecode looked for in an empty folder, and not written: every module compiled.
        flags = [] if cached else ["-X", f"pycache_prefix={empty}"]
        command = [sys.executable, "-X", "importtime", *flags, "-c", _IMPORT]
        done = subprocess.run(  # noqa: S603 - this interpreter, the template's paths
            [*command, str(function.code_uri), module],
            env=_lambda_environment(template, logical_id, cached=cached),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
    return ImportRun(float(done.stdout), _self_time_by_package(done.stderr))


def _lambda_environment(
    template: Template,
    logical_id: str,
    *,
    cached: bool,
) -> dict[str, str]:
    """The function's literal variables and what Lambda sets; nothing from this shell."""
    function = template.function(logical_id)
    variables = function.environment.items()
    literal = {key: value for key, value in variables if isinstance(value, str)}
    environment = {
        "PATH": os.environ.get("PATH", ""),
        **literal,
        "AWS_LAMBDA_FUNCTION_NAME": logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }
    if not cached:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return environment


def _self_time_by_package(importtime: str) -> Counter[str]:
    """Each top-level package's own import time, from ``-X importtime`` after the marker."""
    totals: Counter[str] = Counter()
    handler = importtime.split(MARKER + "\n", 1)[-1]
    for line in handler.splitlines():
        parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[0].isdigit():
            totals[parts[2].split(".")[0]] += int(parts[0])
    return totals
