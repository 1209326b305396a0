"""``make demo``: four months of a store's history through the local HTTP API.

Starts the local stack (moto_server, the HTTP API, the functions as ``template.yaml``
defines them) on free ports, sends each webhook of the story signed as Shopify would, moves
the clock so that the lifecycle scan fires, and prints per customer what was sent to the CRM
and the email platform. It then runs the scan a second time for the same schedule time and
checks that nothing new is sent. The exit code is 1 if the engine sent anything other than
what the story expects.
"""

import argparse
import json
import logging
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

from retention.domain.identity import customer_key
from retention.local.demo_story import (
    END,
    EXPECTED,
    PEOPLE,
    SHOP,
    START,
    ZONE,
    Sent,
    deliveries,
)
from retention.local.replay import catch_up
from retention.local.runtime import LocalRuntime, RuntimeOptions
from retention.local.signing import shop_secret, shopify_headers, shopify_path

API_VERSION = "2025-10"


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="retention-local demo", description=__doc__)
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--port", type=int, default=0, help="HTTP API port (0: any free one)")
    parser.add_argument(
        "--log",
        type=Path,
        default=Path(".local-stack/demo.log"),
        help="where the functions' own logs and metrics go",
    )
    args = parser.parse_args(argv)

    options = RuntimeOptions(
        template=args.template,
        port=args.port,
        moto_port=0,
        start=START,
        frozen_clock=True,
        parameters={"StoreTimeZone": str(ZONE), "LogLevel": "WARNING"},
        background=False,
    )
    with _functions_logging_to(args.log) as out, LocalRuntime(options) as runtime:
        print(f"Local stack on {runtime.url}; store {SHOP}, time zone {ZONE}", file=out)
        print(f"(the functions' own logs go to {args.log})\n", file=out)
        with httpx.Client(base_url=runtime.url) as http:
            answers = _replay(runtime, http, out)
        sent = _report(runtime, out)
        repeat = _second_scan(runtime)

        print(_summary(answers, sent, repeat), file=out)
        return _verdict(sent, repeat, out)


def _replay(runtime: LocalRuntime, http: httpx.Client, out: TextIO) -> Counter[str]:
    secret = shop_secret(runtime.template, SHOP)
    path = shopify_path(runtime.template)
    answers: Counter[str] = Counter()

    print("Webhooks, as Shopify sends them:", file=out)
    for delivery in deliveries():
        catch_up(http, delivery.at)
        body = json.dumps(delivery.body).encode()
        headers = shopify_headers(
            body, secret, SHOP, delivery.topic, delivery.event_id, delivery.at, API_VERSION
        )
        response = http.post(path, content=body, headers=headers)
        answer = response.json()
        status = answer.get("status", str(response.status_code))
        answers[status] += 1
        if answer.get("reason"):
            status = f"{status}: {answer['reason']}"
        http.post("/_local/drain")
        local = delivery.at.astimezone(ZONE)
        line = f"  {local:%Y-%m-%d %H:%M}  {delivery.topic:<17} {delivery.note:<48} {status}"
        print(line, file=out)

    catch_up(http, END)
    return answers


def _report(runtime: LocalRuntime, out: TextIO) -> dict[str, Sent]:
    outbox = runtime.outbox(SHOP)
    sent: dict[str, Sent] = {}

    print(
        "\nPer customer, what the CRM (HubSpot) and email platform (Klaviyo) were sent:", file=out
    )
    for name, (person, role) in PEOPLE.items():
        customer_id = str(person.customer_id) if person.customer_id else None
        key = customer_key("shopify", customer_id, person.email)
        profile = runtime.profile(SHOP, key) if key else None
        mine = [item for item in outbox if key in (item.get("customer_keys") or ())]
        sent[name] = _triggers(mine)
        lines = [f"\n  {name} {person.last_name}: {role}", _profile_line(profile)]
        lines += _sent_lines(mine)
        print("\n    ".join(lines), file=out)
    return sent


def _second_scan(runtime: LocalRuntime) -> int:
    """Run the scan again for the last schedule time it ran; nothing new may be sent."""
    before = len(runtime.outbox(SHOP))
    runtime.scheduler.repeat_last()
    return len(runtime.outbox(SHOP)) - before


def _summary(answers: Counter[str], sent: dict[str, Sent], repeat: int) -> str:
    kinds = Counter(kind for triggers in sent.values() for kind, _ in triggers)
    return "\n".join(
        [
            "\nSummary",
            "  webhooks      " + ", ".join(f"{n} {status}" for status, n in answers.items()),
            "  triggers sent " + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())),
            f"  second run of the scan at the same time: {repeat} new requests",
        ]
    )


def _verdict(sent: dict[str, Sent], repeat: int, out: TextIO) -> int:
    wrong = {
        name: (EXPECTED[name], got)
        for name, got in sent.items()
        if sorted(got, key=str) != sorted(EXPECTED[name], key=str)
    }
    for name, (expected, got) in wrong.items():
        print(f"  UNEXPECTED for {name}: expected {expected}, sent {got}", file=out)
    if wrong or repeat:
        return 1

    print("  every trigger went to the right customers, and only once", file=out)
    return 0


def _profile_line(profile: dict[str, Any] | None) -> str:
    if profile is None:
        return "no profile"
    revenue = ", ".join(f"{c} {a}" for c, a in (profile.get("revenue") or {}).items()) or "none"
    return (
        f"stage {profile['stage']}, orders {profile['order_count']}, net revenue {revenue}, "
        f"email consent {'yes' if (profile.get('consent') or {}).get('email') else 'no'}"
    )


def _by_trigger(items: list[dict[str, Any]]) -> dict[str, tuple[str, list[str]]]:
    """Trigger key to when it was first sent and the channels it went to, in order sent."""
    triggers: dict[str, tuple[str, list[str]]] = {}
    for item in sorted(items, key=lambda i: str(i["sk"])):
        for key in item.get("trigger_keys") or []:
            recorded, channels = triggers.get(key, (str(item["recorded_at"]), []))
            triggers[key] = (recorded, [*channels, str(item["channel"])])
    return triggers


def _triggers(items: list[dict[str, Any]]) -> Sent:
    return [_kind_and_step(key) for key in _by_trigger(items)]


def _sent_lines(items: list[dict[str, Any]]) -> list[str]:
    lines = []
    for key, (recorded, channels) in _by_trigger(items).items():
        kind, step = _kind_and_step(key)
        label = f"{kind} {step} days" if step else kind
        day = datetime.fromisoformat(recorded).astimezone(ZONE)
        lines.append(f"{day:%Y-%m-%d}  {label:<20} -> {', '.join(channels)}")
    return lines or ["nothing sent"]


def _kind_and_step(key: str) -> tuple[str, int | None]:
    """Trigger keys read ``<shop>/<customer>/<kind>[/<order>[/<step days>]]``."""
    parts = key.split("/")
    step = int(parts[4]) if len(parts) > 4 else None
    return parts[2], step


@contextmanager
def _functions_logging_to(path: Path) -> Iterator[TextIO]:
    """Send what the functions print (logs, metrics) to a file; hand back the terminal.

    The functions run in this process and print to ``sys.stdout`` as they do in Lambda;
    their lines would bury the story, so they go to ``path`` for whoever wants them.
    """
    terminal = sys.stdout
    path.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with path.open("w", encoding="utf-8") as log, redirect_stdout(log):
        yield terminal
