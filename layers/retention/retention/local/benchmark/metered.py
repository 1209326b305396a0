"""The local stack without its HTTP API or background threads, every AWS call counted."""

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from retention.local.benchmark.calls import Calls, Invocation
from retention.local.benchmark.units import IndexEntries, table_keys
from retention.local.benchmark.workload import FIRST_ORDER, STORE_ZONE
from retention.local.invoker import Invoker
from retention.local.runtime import LocalRuntime, RuntimeOptions
from retention.local.stack import LocalStack
from retention.local.template import Template


class MeteredInvoker(Invoker):
    """The local stack's invoker, timing each invocation and keeping its calls."""

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
                run = Invocation(logical_id, seconds, tuple(made))
                self.invocations.append(run)

    def of(self, function: str, since: int = 0) -> list[Invocation]:
        runs = self.invocations[since:]
        return [run for run in runs if run.function == function]


@dataclass
class StackFigures:
    """The stack, and the invocations that the sections after it read."""

    runtime: LocalRuntime
    invoker: MeteredInvoker
    sink: TextIO
    webhooks: list[Invocation] = field(default_factory=list)
    duplicates: list[Invocation] = field(default_factory=list)
    dispatches: list[Invocation] = field(default_factory=list)
    triggers: int = 0

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """The functions log and emit metrics on stdout, as in Lambda. Writing them
        is real work, so it is done, but to ``os.devnull``, which the loggers keep
        till the end."""
        with contextlib.redirect_stdout(self.sink):
            yield

    def memory_mb(self, logical_id: str) -> int:
        return self.runtime.template.function(logical_id).memory_size


@contextlib.contextmanager
def stack_figures(template: Template) -> Iterator[StackFigures]:
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
    calls = Calls(IndexEntries(table_keys(template)))
    devnull = Path(os.devnull)
    with calls.installed(), devnull.open("w", encoding="utf-8") as sink:
        runtime = LocalRuntime(options)
        invoker = MeteredInvoker(runtime.stack, calls)
        runtime.invoker = invoker
        with runtime:
            yield StackFigures(runtime, invoker, sink)
