"""``retention-local serve`` as a user runs it: a separate process, reached over HTTP.

The stack starts on free ports with a fixed virtual start time, so the sample events' dates
fall where the tests expect them: the story begins on 10 January 2026, in Kolkata.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SECRETS_FILE = ROOT / "events" / "secrets.local.json"
# The console script sits beside the interpreter of the virtual environment running pytest.
CLI = Path(sys.executable).parent / "retention-local"
START = "2026-01-10T00:00:00Z"
STORE_TIME_ZONE = "Asia/Kolkata"
STARTUP_SECONDS = 60.0
STOP_SECONDS = 15.0
LOG_TAIL = 4000


class ServeError(Exception):
    """The local stack did not start or stop as a user would expect."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def cli_environment() -> dict[str, str]:
    """The caller's environment, with the committed local secrets named explicitly.

    A developer's own ``RETENTION_LOCAL_SECRETS`` would otherwise change the secret the
    server checks, and the sample events' signatures with it.
    """
    return {**os.environ, "RETENTION_LOCAL_SECRETS": str(SECRETS_FILE)}


def run_cli(arguments: Sequence[str]) -> str:
    """Run ``retention-local`` from the repository root; answer what it printed."""
    finished = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(CLI), *arguments],
        cwd=ROOT,
        env=cli_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if finished.returncode != 0:
        raise ServeError(
            f"retention-local {arguments[0]} exited {finished.returncode}: "
            f"{finished.stderr[-LOG_TAIL:]}"
        )
    return finished.stdout


@dataclass
class ServedStack:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL:]


def start(log_path: Path) -> ServedStack:
    port = free_port()
    command = [
        str(CLI),
        "serve",
        f"--port={port}",
        f"--moto-port={free_port()}",
        f"--start={START}",
        f"--parameter=StoreTimeZone={STORE_TIME_ZONE}",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
            command,
            cwd=ROOT,
            env=cli_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    served = ServedStack(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_until_healthy(served)
    except BaseException:
        stop(served)
        raise
    return served


def stop(served: ServedStack) -> None:
    """Ctrl-C, as a user stops ``make serve``; killed only if that does not end it."""
    if served.process.poll() is not None:
        return

    served.process.send_signal(signal.SIGINT)
    try:
        served.process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()
        raise ServeError(
            f"serve ignored Ctrl-C for {STOP_SECONDS:.0f} s and was killed\n{served.log_tail()}"
        ) from None
    if served.process.returncode != 0:
        raise ServeError(f"serve exited {served.process.returncode} on Ctrl-C\n{served.log_tail()}")


def _wait_until_healthy(served: ServedStack) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise ServeError(f"serve exited {served.process.returncode}\n{served.log_tail()}")
        if _healthy(served.url):
            return
        time.sleep(0.1)
    raise ServeError(f"serve not healthy after {STARTUP_SECONDS:.0f} s\n{served.log_tail()}")


def _healthy(url: str) -> bool:
    try:
        response = httpx.get(f"{url}/_local/health", timeout=2)
    except httpx.TransportError:
        return False
    return response.status_code == 200 and response.json() == {"ok": True}
