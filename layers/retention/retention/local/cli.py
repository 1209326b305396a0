"""``retention-local``: the Docker-free local stack, driven by ``template.yaml``.

    retention-local serve [--port 3000] [--moto-port 5005] [--start ISO] [--parameter K=V]
    retention-local invoke <LogicalId> --event events/shopify/orders_create.json
    retention-local clock [--advance 60d|12h|30m|90s] [--json]
    retention-local profile <tenant> <customer_key> [--json]
    retention-local outbox [--tenant T] [--json]
    retention-local replay <event files or folders>
    retention-local sign <payload.json> [--shop S] [--topic T]
    retention-local demo | make-events

``clock``, ``profile`` and ``outbox`` talk to a running ``serve`` (``--url``).
"""

import argparse
import contextlib
import importlib
import importlib.util
import json
import logging
import os
import re
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from retention.local.display import clock_lines, outbox_lines, profile_lines
from retention.local.intrinsics import UnresolvedError
from retention.local.replay import replay
from retention.local.runtime import DEFAULT_PORT, LocalRuntime, RuntimeOptions
from retention.local.schedules import UnsupportedScheduleError
from retention.local.secret_values import SecretsFileError
from retention.local.server import json_default
from retention.local.signing import Delivery, curl_command, shopify_path
from retention.local.stack import DEFAULT_MOTO_PORT, HOST
from retention.local.template import TemplateError, load_template
from retention.local.virtual_clock import iso_z, parse_time

URL_VARIABLE = "RETENTION_LOCAL_URL"
DELEGATED = {
    "demo": ("retention.local.demo", "run"),
    "make-events": ("retention.local.events", "main"),
}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
_EXPECTED = (TemplateError, UnresolvedError, SecretsFileError, UnsupportedScheduleError, OSError)


class CommandError(Exception):
    """A problem the user can fix; printed without a traceback."""


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments and arguments[0] in DELEGATED:
        return _delegate(arguments[0], arguments[1:])

    args = _parser().parse_args(arguments)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("retention.local").setLevel(logging.INFO)
    # moto_server logs every AWS call through werkzeug; the local API logs its own requests.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except httpx.TransportError as error:
        print(
            f"retention-local: no local stack at {args.url} ({error}); start one: make serve",
            file=sys.stderr,
        )
    except BrokenPipeError:
        # The reader (head, say) has what it wanted. Point stdout at nothing, so that the
        # flush at exit does not complain about the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (CommandError, *_EXPECTED) as error:
        print(f"retention-local: {error}", file=sys.stderr)
    return 2


def _serve(args: argparse.Namespace) -> int:
    options = RuntimeOptions(
        template=args.template,
        port=args.port,
        moto_port=args.moto_port,
        start=args.start,
        frozen_clock=args.frozen_clock,
        parameters=args.parameter,
    )
    with LocalRuntime(options) as runtime:
        print("\n".join(_banner(runtime)), flush=True)
        _wait_for_interrupt()
    return 0


def _replay(args: argparse.Namespace) -> int:
    try:
        return replay(args.url, args.events, sys.stdout)
    except (OSError, ValueError) as error:
        raise CommandError(str(error)) from error


def _invoke(args: argparse.Namespace) -> int:
    try:
        event = json.loads(Path(args.event).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CommandError(f"{args.event} is not JSON: {error}") from error
    options = RuntimeOptions(
        template=args.template,
        moto_port=args.moto_port,
        start=args.start,
        parameters=args.parameter,
        serve=False,
        background=False,
    )
    runtime = LocalRuntime(options)
    runtime.template.function(args.function)
    # Logs go to stderr, like sam local invoke, so stdout holds only the result.
    with contextlib.redirect_stdout(sys.stderr), runtime:
        try:
            result, failed = runtime.invoke(args.function, event), False
        except TemplateError:
            raise
        except Exception as error:
            # Reported as Lambda reports an unhandled error, not as a crash of this tool.
            result, failed = _lambda_error(error), True
    print(json.dumps(result, indent=2, default=json_default))
    return 1 if failed else 0


def _clock(args: argparse.Namespace) -> int:
    if args.advance:
        document = _call("POST", args.url, "/_local/clock/advance", json=args.advance)
        document["schedules"] = _call("GET", args.url, "/_local/clock")["schedules"]
    else:
        document = _call("GET", args.url, "/_local/clock")
    _show(args, document, clock_lines)
    return 0


def _profile(args: argparse.Namespace) -> int:
    path = f"/_local/profiles/{quote(args.tenant, safe='')}/{quote(args.customer_key, safe='')}"
    _show(args, _call("GET", args.url, path), profile_lines)
    return 0


def _outbox(args: argparse.Namespace) -> int:
    params = {"tenant": args.tenant} if args.tenant else None
    items = _call("GET", args.url, "/_local/outbox", params=params)["items"]
    _show(args, items, outbox_lines)
    return 0


def _sign(args: argparse.Namespace) -> int:
    template = load_template(args.template)
    path = args.path or shopify_path(template)
    delivery = Delivery(
        payload=args.payload,
        shop=args.shop,
        topic=args.topic,
        url=args.url.rstrip("/") + path,
        api_version=args.api_version,
        event_id=args.event_id,
    )
    print(curl_command(template, delivery, args.secrets))
    return 0


def _delegate(command: str, argv: list[str]) -> int:
    """``demo`` and ``make-events`` live in modules of their own, with their own arguments."""
    module_name, function_name = DELEGATED[command]
    if importlib.util.find_spec(module_name) is None:
        raise SystemExit(f"retention-local {command} is not implemented: {module_name} is missing")
    entry = getattr(importlib.import_module(module_name), function_name)
    return int(entry(argv))


def _call(method: str, url: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(method, url.rstrip("/") + path, timeout=600, **kwargs)
    if response.status_code >= 400:
        try:
            reason = response.json().get("message", response.text)
        except ValueError:
            reason = response.text
        raise CommandError(f"{method} {path}: {response.status_code} {reason}")
    return response.json()


def _show(args: argparse.Namespace, document: Any, lines: Callable[[Any], list[str]]) -> None:
    if args.json:
        print(json.dumps(document, indent=2, default=json_default))
    else:
        print("\n".join(lines(document)))


def _banner(runtime: LocalRuntime) -> list[str]:
    template = runtime.template
    lines = [f"HTTP API of {template.path} on {runtime.url}"]
    lines += [
        f"  {route.key:<32} -> {function.logical_id}" for route, function in template.routes()
    ]
    for consumer in runtime.consumers.consumers:
        source = consumer.source
        failures = ", partial batch failures" if source.report_failures else ""
        lines.append(
            f"queue {source.queue} -> {consumer.function} (batch {source.batch_size}{failures})"
        )
    for schedule in runtime.schedules():
        if "skipped" in schedule:
            lines.append(f"schedule not run locally: {schedule['skipped']}")
        else:
            lines.append(
                f"schedule {schedule['schedule']} {schedule['expression']} -> "
                f"{schedule['function']}, next at {schedule['next']}"
            )
    lines += [
        f"AWS emulated by moto_server at {runtime.stack.endpoint_url}",
        f"clock {iso_z(runtime.now())}; move it with retention-local clock --advance 60d",
        "admin endpoints under /_local/ (clock, profiles, outbox, queues, drain); Ctrl-C stops",
    ]
    if not runtime.url.endswith(f":{DEFAULT_PORT}"):
        lines.append(f"for the other commands: export {URL_VARIABLE}={runtime.url}")
    return lines


def _wait_for_interrupt() -> None:
    stopping = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        while not stopping.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _lambda_error(error: Exception) -> dict[str, Any]:
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


def _duration(text: str) -> dict[str, float]:
    """``60d``, ``12h``, ``30m``, ``90s`` or a sum such as ``1d12h``."""
    parts = _DURATION.findall(text.strip())
    if not parts or "".join(number + unit for number, unit in parts) != text.strip():
        raise argparse.ArgumentTypeError(f"{text}: use a number and d, h, m or s, e.g. 60d")
    amounts: dict[str, float] = {}
    for number, unit in parts:
        amounts[_UNITS[unit]] = amounts.get(_UNITS[unit], 0) + float(number)
    return amounts


def _parameter(text: str) -> tuple[str, str]:
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError(f"{text}: use Name=Value")
    return name, value


def _start(text: str) -> datetime:
    try:
        return parse_time(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text}: not an ISO 8601 time") from error


class _Parameters(argparse.Action):
    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        name, value = values
        getattr(namespace, self.dest)[name] = value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="retention-local",
        description="The retention engine on this machine, without Docker, from template.yaml.",
    )
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    commands = parser.add_subparsers(required=True, metavar="command")

    serve = commands.add_parser("serve", help="HTTP API, moto_server, consumers and schedules")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--frozen-clock", action="store_true", help="time moves only by advance")
    _stack_options(serve, DEFAULT_MOTO_PORT)
    serve.set_defaults(command=_serve)

    invoke = commands.add_parser("invoke", help="invoke one function, like sam local invoke -e")
    invoke.add_argument("function", metavar="LogicalId")
    invoke.add_argument("--event", "-e", type=Path, required=True)
    _stack_options(invoke, 0)
    invoke.set_defaults(command=_invoke)

    clock = _client(commands, "clock", "show the virtual clock, or move it and fire schedules")
    clock.add_argument("--advance", type=_duration, metavar="60d|12h|30m|90s")
    clock.set_defaults(command=_clock)

    profile = _client(commands, "profile", "show a customer's stored profile")
    profile.add_argument("tenant")
    profile.add_argument("customer_key")
    profile.set_defaults(command=_profile)

    outbox = _client(commands, "outbox", "show what would have been sent to the CRM and email")
    outbox.add_argument("--tenant")
    outbox.set_defaults(command=_outbox)

    replay = _client(commands, "replay", "send sample events, each at the time it was sent")
    replay.add_argument("events", type=Path, nargs="+", help="event files or folders")
    replay.set_defaults(command=_replay)

    sign = commands.add_parser(
        "sign", help="print a signed curl command for a payload file or a sample event"
    )
    sign.add_argument("payload", type=Path)
    sign.add_argument("--shop", help="default: the event's shop, else demo-store.myshopify.com")
    sign.add_argument("--topic", help="default: the event's topic, else orders/create")
    sign.add_argument(
        "--url", default=os.environ.get(URL_VARIABLE, f"http://{HOST}:{DEFAULT_PORT}")
    )
    sign.add_argument("--path", help="route path (default: the template's Shopify route)")
    sign.add_argument("--api-version", default="2025-10")
    sign.add_argument("--event-id", help="X-Shopify-Event-Id (default: a new one)")
    sign.add_argument("--secrets", type=Path, help="local secrets file")
    sign.set_defaults(command=_sign)

    for name in DELEGATED:
        commands.add_parser(name, help=f"see retention-local {name} --help", add_help=False)
    return parser


def _stack_options(parser: argparse.ArgumentParser, moto_port: int) -> None:
    parser.add_argument("--moto-port", type=int, default=moto_port, help="0: any free port")
    parser.add_argument("--start", type=_start, help="virtual start time, e.g. 2026-01-01T00:00Z")
    parser.add_argument(
        "--parameter",
        type=_parameter,
        action=_Parameters,
        default={},
        metavar="Name=Value",
        help="override a stack parameter; repeatable",
    )


def _client(commands: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help_text)
    parser.add_argument(
        "--url", default=os.environ.get(URL_VARIABLE, f"http://{HOST}:{DEFAULT_PORT}")
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser
