"""The ``retention-local`` commands a user runs in a second terminal, against the server."""

import json
import shlex
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from retention.local.replay import catch_up

from tests.e2e.admin import drain, outbox, profile
from tests.e2e.deliveries import ASHA, SHOP, first_order_of
from tests.e2e.served import ROOT, SECRETS_FILE, ServedStack, run_cli

pytestmark = pytest.mark.e2e


def curl_pieces(command: str) -> tuple[str, str, dict[str, str], Path]:
    """Method, URL, headers and body file of the curl command ``sign`` prints."""
    words = shlex.split(command.replace("\\\n", " "))
    assert words[0] == "curl"
    method, url, headers, body = "GET", "", {}, None
    pairs = iter(words[1:])
    for word in pairs:
        if word == "-X":
            method = next(pairs)
        elif word == "-H":
            name, _, value = next(pairs).partition(": ")
            headers[name] = value
        elif word == "--data-binary":
            body = Path(next(pairs).removeprefix("@"))
        elif not word.startswith("-"):
            url = word
    assert body is not None, command
    return method, url, headers, body


def test_signed_curl_command_is_accepted(
    local_stack: ServedStack,
    client: httpx.Client,
    tmp_path: Path,
):
    # Given a new customer's first order of 1250.00 INR, payment pending, in a payload file
    payload = tmp_path / "order.json"
    payload.write_bytes(first_order_of("7000000090", "6000000090", "Meera", "Iyer"))

    # When sign prints a curl command for it, and that request is sent as printed
    printed = run_cli(
        [
            "sign",
            str(payload),
            "--topic=orders/create",
            f"--url={local_stack.url}",
            f"--secrets={SECRETS_FILE}",
        ]
    )
    method, url, headers, body = curl_pieces(printed)
    catch_up(client, datetime.fromisoformat(json.loads(payload.read_bytes())["updated_at"]))
    response = httpx.request(method, url, headers=headers, content=(ROOT / body).read_bytes())

    # Then the server accepts it, and the order is on the new customer's profile
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"
    meera = profile(client, "shopify:7000000090")
    assert meera["order_count"] == 1
    orders = [(order["order_id"], order["total"]) for order in meera["recent_orders"]]
    assert orders == [("6000000090", "1250.00")]


def test_profile_command_prints_the_profile_as_json(
    local_stack: ServedStack,
    story: dict[str, httpx.Response],
    client: httpx.Client,
):
    # Given Asha's story delivered
    # When her profile is asked for with --json
    printed = run_cli(["profile", SHOP, ASHA, "--json", f"--url={local_stack.url}"])

    # Then it prints JSON: the profile the server holds, with her net revenue
    shown = json.loads(printed)
    assert shown["revenue"] == {"INR": "900.00"}
    assert shown == profile(client, ASHA)


def test_outbox_command_prints_the_outbox_as_json(
    local_stack: ServedStack,
    story: dict[str, httpx.Response],
    client: httpx.Client,
):
    # Given whatever the story has sent so far, with the trigger queue emptied
    drain(client)

    # When the outbox is asked for with --json
    printed = run_cli(["outbox", f"--tenant={SHOP}", "--json", f"--url={local_stack.url}"])

    # Then it prints JSON: the same requests the server recorded
    assert json.loads(printed) == outbox(client)


def test_replay_sends_sample_events_at_their_own_time(
    local_stack: ServedStack,
    story: dict[str, httpx.Response],
):
    # Given the story delivered already
    # When the replay command sends two of its events again
    printed = run_cli(
        [
            "replay",
            "events/shopify/orders_paid.json",
            "events/shopify/customers_create.json",
            f"--url={local_stack.url}",
        ]
    )

    # Then it sends them in the order Shopify sent them, and both are duplicates
    lines = printed.splitlines()
    assert [line.split()[2] for line in lines] == ["customers_create.json", "orders_paid.json"]
    assert all(line.split()[3] == "duplicate" for line in lines)
