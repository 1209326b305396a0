"""Running a function's handler in this process, the way Lambda runs it.

The handler's module is imported from its ``CodeUri`` folder on first use (the cold start),
under a name of its own, and kept (the warm container). Each invocation runs with the
function's environment and a Lambda context, one at a time under a lock: that is Lambda with
a concurrency of 1, and it keeps one function's environment from leaking into another's.

Lambda gives each function its own process; here they share one. So that each function
still has its own logger, metrics, settings and cached clients, as it would in its own
process, each gets its own copies of the shared package's modules: they are swapped into
``sys.modules`` for the length of an invocation. Only ``retention.clock`` (which the local
stack drives) and ``retention.local`` are one copy for all. A function's own code is one
module: Lambda would also put the rest of its ``CodeUri`` folder on ``sys.path``.
"""

import importlib
import importlib.util
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from aws_lambda_powertools.utilities import parameters

from retention.local.stack import LocalStack, applied
from retention.local.template import Function, TemplateError

log = logging.getLogger(__name__)
MILLISECONDS = 1000
PACKAGE = "retention"
SHARED_MODULES = ("retention.clock", "retention.local")


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    log_group_name: str
    deadline: float
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_stream_name: str = "local/[$LATEST]local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * MILLISECONDS))


class Invoker:
    def __init__(self, stack: LocalStack) -> None:
        self._stack = stack
        self._lock = threading.Lock()
        self._modules: dict[str, ModuleType] = {}
        self._containers = _Containers()

    def invoke(self, logical_id: str, event: Any) -> Any:
        """The handler's return value; whatever it raises is raised here, as Lambda reports."""
        function = self._stack.template.function(logical_id)
        environment = self._stack.environment(function)
        with self._lock, applied(environment), self._containers.entered(logical_id):
            handler = self._handler(function)
            context = self._context(function, environment)
            started = time.monotonic()
            try:
                return handler(event, context)
            finally:
                self._check_duration(function, time.monotonic() - started)

    def unload(self) -> None:
        with self._lock:
            for module in self._modules.values():
                sys.modules.pop(module.__name__, None)
            self._modules.clear()
            self._containers.clear()

    def _handler(self, function: Function) -> Callable[[Any, LambdaContext], Any]:
        module = self._modules.get(function.logical_id)
        if module is None:
            module = _import(function)
            self._modules[function.logical_id] = module
        handler = getattr(module, function.handler_name, None)
        if not callable(handler):
            raise TemplateError(f"{function.handler}: no such handler in {function.module_path}")
        return handler  # type: ignore[no-any-return]  # a callable read from a module

    def _context(self, function: Function, environment: dict[str, str]) -> LambdaContext:
        return LambdaContext(
            function_name=environment["AWS_LAMBDA_FUNCTION_NAME"],
            invoked_function_arn=self._stack.function_arn(function),
            memory_limit_in_mb=function.memory_size,
            log_group_name=environment["AWS_LAMBDA_LOG_GROUP_NAME"],
            deadline=time.monotonic() + function.timeout,
        )

    @staticmethod
    def _check_duration(function: Function, seconds: float) -> None:
        """Lambda would have stopped the function; here it only gets a warning."""
        if seconds > function.timeout:
            log.warning(
                "%s ran %.1f s, past its %d s timeout; Lambda would have stopped it",
                function.logical_id,
                seconds,
                function.timeout,
            )


class _Containers:
    """Each function's own copies of the shared package's modules."""

    def __init__(self) -> None:
        self._saved: dict[str, dict[str, ModuleType]] = {}

    @contextmanager
    def entered(self, name: str) -> Iterator[None]:
        host = _take_package_modules()
        saved = self._saved.pop(name, None)
        if saved is None:
            _fresh_package()
        else:
            sys.modules.update(saved)
        try:
            yield
        finally:
            self._saved[name] = _take_package_modules()
            sys.modules.update(host)

    def clear(self) -> None:
        self._saved.clear()
        _clear_parameter_providers()


def _take_package_modules() -> dict[str, ModuleType]:
    names = [
        name
        for name in sys.modules
        if (name == PACKAGE or name.startswith(PACKAGE + "."))
        and not any(name == shared or name.startswith(shared + ".") for shared in SHARED_MODULES)
    ]
    return {name: sys.modules.pop(name) for name in names}


def _fresh_package() -> None:
    """A first import of the package, with the one-copy modules as its attributes."""
    _clear_parameter_providers()
    package = importlib.import_module(PACKAGE)
    for shared in SHARED_MODULES:
        if shared in sys.modules:
            setattr(package, shared.rpartition(".")[2], sys.modules[shared])


def _clear_parameter_providers() -> None:
    """Powertools keeps its parameter providers, with their clients, for the whole process;
    a provider made before this stack started would still talk to an old endpoint."""
    parameters.clear_caches()  # type: ignore[no-untyped-call]  # Powertools leaves it untyped


def _import(function: Function) -> ModuleType:
    path = function.module_path
    if not path.is_file():
        raise TemplateError(f"{function.logical_id}: {path} does not exist")

    name = f"_retention_local_{function.logical_id}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TemplateError(f"{function.logical_id}: {path} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
