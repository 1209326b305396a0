"""What the local stack reads from ``template.yaml``: functions, their events, and resources.

Values stay as written in the template (``{"Ref": ...}`` and so on); the stack resolves them
once it knows the local names. Globals are merged into each function the way SAM does it:
maps merged with the function's values winning, lists appended, scalars replaced.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retention.local.intrinsics import load_yaml, referenced_resource

FUNCTION = "AWS::Serverless::Function"
TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
SECRET = "AWS::SecretsManager::Secret"  # noqa: S105 - a resource type, not a password
PARAMETER = "AWS::SSM::Parameter"
SCHEDULE = "AWS::Scheduler::Schedule"
SCHEDULE_EVENTS = frozenset({"Schedule", "ScheduleV2"})
DEFAULT_BATCH_SIZE = 10
DEFAULT_TIMEOUT = 3
DEFAULT_MEMORY = 128


class TemplateError(Exception):
    """The template asks for something the local stack cannot run."""


@dataclass(frozen=True)
class Route:
    method: str
    path: str

    @property
    def key(self) -> str:
        """The route key API Gateway puts in the event, e.g. ``POST /webhooks/shopify``."""
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class QueueSource:
    queue: str
    batch_size: int
    report_failures: bool


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    timeout: int
    memory_size: int
    name: Any
    environment: dict[str, Any]
    log_group: Any
    routes: tuple[Route, ...] = ()
    queue_sources: tuple[QueueSource, ...] = ()

    @property
    def module_path(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_uri / (module.replace(".", "/") + ".py")

    @property
    def handler_name(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class Schedule:
    logical_id: str
    function: str
    expression: Any
    input: Any
    enabled: bool
    retry_attempts: int
    dead_letter_queue: str | None


@dataclass(frozen=True)
class Resource:
    """Any resource of the template, with ``properties`` as written."""

    logical_id: str
    type: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class Template:
    path: Path
    parameters: dict[str, dict[str, Any]]
    conditions: dict[str, Any]
    functions: dict[str, Function]
    schedules: tuple[Schedule, ...]
    resources: dict[str, Resource]

    @property
    def root(self) -> Path:
        return self.path.parent

    def function(self, logical_id: str) -> Function:
        try:
            return self.functions[logical_id]
        except KeyError:
            known = ", ".join(sorted(self.functions))
            raise TemplateError(f"no function {logical_id} in the template ({known})") from None

    def of_type(self, kind: str) -> list[Resource]:
        return [resource for resource in self.resources.values() if resource.type == kind]

    def routes(self) -> Iterator[tuple[Route, Function]]:
        for function in self.functions.values():
            for route in function.routes:
                yield route, function

    def parameter_defaults(self, overrides: dict[str, str]) -> dict[str, Any]:
        unknown = set(overrides) - set(self.parameters)
        if unknown:
            known = ", ".join(sorted(self.parameters))
            raise TemplateError(f"unknown stack parameter {', '.join(unknown)} ({known})")

        values: dict[str, Any] = {}
        for name, declaration in self.parameters.items():
            value = overrides.get(name, declaration.get("Default"))
            if value is None:
                raise TemplateError(f"stack parameter {name} has no default; pass --parameter")
            allowed = declaration.get("AllowedValues")
            if allowed and str(value) not in {str(option) for option in allowed}:
                raise TemplateError(f"{name}={value} is not one of {allowed}")
            pattern = declaration.get("AllowedPattern")
            if pattern and not re.fullmatch(pattern, str(value)):
                raise TemplateError(f"{name}={value} does not match {pattern}")
            values[name] = _typed(str(value), declaration.get("Type", "String"))
        return values


def load_template(path: Path) -> Template:
    document = load_yaml(path.read_text(encoding="utf-8"))
    if "AWS::Serverless-2016-10-31" not in str(document.get("Transform", "")):
        raise TemplateError(f"{path} is not a SAM template")

    root = path.parent
    resources: dict[str, Any] = document.get("Resources") or {}
    defaults = (document.get("Globals") or {}).get("Function") or {}
    functions = {
        logical_id: _function(logical_id, _merged(defaults, body.get("Properties") or {}), root)
        for logical_id, body in resources.items()
        if body.get("Type") == FUNCTION
    }
    return Template(
        path=path,
        parameters=document.get("Parameters") or {},
        conditions=document.get("Conditions") or {},
        functions=functions,
        schedules=tuple(_schedules(resources, functions)),
        resources={
            logical_id: Resource(logical_id, body.get("Type", ""), body.get("Properties") or {})
            for logical_id, body in resources.items()
        },
    )


def _function(logical_id: str, properties: dict[str, Any], root: Path) -> Function:
    code_uri = properties.get("CodeUri")
    handler = properties.get("Handler")
    if not isinstance(code_uri, str) or not isinstance(handler, str):
        raise TemplateError(f"{logical_id}: only a local CodeUri folder and a Handler run locally")

    events = (properties.get("Events") or {}).values()
    logging = properties.get("LoggingConfig") or {}
    return Function(
        logical_id=logical_id,
        code_uri=(root / code_uri).resolve(),
        handler=handler,
        timeout=int(properties.get("Timeout", DEFAULT_TIMEOUT)),
        memory_size=int(properties.get("MemorySize", DEFAULT_MEMORY)),
        name=properties.get("FunctionName"),
        environment=(properties.get("Environment") or {}).get("Variables") or {},
        log_group=logging.get("LogGroup"),
        routes=tuple(_route(e["Properties"]) for e in events if e.get("Type") == "HttpApi"),
        queue_sources=tuple(
            _queue_source(logical_id, e.get("Properties") or {})
            for e in events
            if e.get("Type") == "SQS" and (e.get("Properties") or {}).get("Enabled", True)
        ),
    )


def _route(properties: dict[str, Any] | None) -> Route:
    properties = properties or {}
    method = str(properties.get("Method", "ANY")).upper()
    return Route(method=method, path=str(properties.get("Path", "$default")))


def _queue_source(function_id: str, properties: dict[str, Any]) -> QueueSource:
    queue = referenced_resource(properties.get("Queue"))
    if queue is None:
        raise TemplateError(f"{function_id}: its SQS event must name a queue of this template")
    return QueueSource(
        queue=queue,
        batch_size=int(properties.get("BatchSize", DEFAULT_BATCH_SIZE)),
        report_failures="ReportBatchItemFailures"
        in (properties.get("FunctionResponseTypes") or []),
    )


def _schedules(resources: dict[str, Any], functions: dict[str, Function]) -> Iterator[Schedule]:
    for logical_id, body in resources.items():
        properties = body.get("Properties") or {}
        if body.get("Type") == SCHEDULE:
            target = properties.get("Target") or {}
            function = referenced_resource(target.get("Arn"))
            if function not in functions:
                raise TemplateError(f"{logical_id}: only functions of this template are run")
            yield Schedule(
                logical_id=logical_id,
                function=function,
                expression=properties.get("ScheduleExpression"),
                input=target.get("Input"),
                enabled=properties.get("State", "ENABLED") == "ENABLED",
                retry_attempts=_retries(target.get("RetryPolicy")),
                dead_letter_queue=referenced_resource(
                    (target.get("DeadLetterConfig") or {}).get("Arn")
                ),
            )
        elif body.get("Type") == FUNCTION:
            yield from _schedule_events(logical_id, properties)


def _schedule_events(function_id: str, properties: dict[str, Any]) -> Iterator[Schedule]:
    for name, event in (properties.get("Events") or {}).items():
        if event.get("Type") not in SCHEDULE_EVENTS:
            continue
        details = event.get("Properties") or {}
        yield Schedule(
            logical_id=f"{function_id}{name}",
            function=function_id,
            expression=details.get("ScheduleExpression") or details.get("Schedule"),
            input=details.get("Input"),
            enabled=details.get("State", "ENABLED") == "ENABLED" and details.get("Enabled", True),
            retry_attempts=_retries(details.get("RetryPolicy")),
            dead_letter_queue=referenced_resource(
                (details.get("DeadLetterConfig") or {}).get("Arn")
            ),
        )


def _retries(policy: dict[str, Any] | None) -> int:
    """Retries run at once locally, so the template's count is kept but never the default 185."""
    return int((policy or {}).get("MaximumRetryAttempts", 0))


def _merged(defaults: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in own.items():
        default = merged.get(key)
        if isinstance(default, dict) and isinstance(value, dict):
            merged[key] = _merged(default, value)
        elif isinstance(default, list) and isinstance(value, list):
            merged[key] = default + value
        else:
            merged[key] = value
    return merged


def _typed(value: str, kind: str) -> Any:
    if kind == "CommaDelimitedList" or kind.startswith("List<"):
        return [part.strip() for part in value.split(",")]
    return value
