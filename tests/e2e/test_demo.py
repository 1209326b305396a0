"""``make demo`` as a user runs it: the story replays and the engine sends what it should."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "retention-local"


@pytest.mark.e2e
def test_the_demo_sends_each_trigger_to_the_right_customers_once(tmp_path: Path):
    # Given a fresh local stack, started by the demo itself
    command = [str(CLI), "demo", "--log", str(tmp_path / "demo.log")]

    # When the demo replays the store's history
    done = subprocess.run(  # noqa: S603 - our own command, no shell
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )

    # Then it exits 0 and shows what was sent to whom, and nothing twice
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every trigger went to the right customers, and only once" in done.stdout
    assert "second run of the scan at the same time: 0 new requests" in done.stdout
    assert "1 duplicate" in done.stdout
    assert "ignored: order has neither a customer nor an email" in done.stdout
    assert "net revenue INR 2500.00" in done.stdout
    assert "asha.rao@example.com" not in (tmp_path / "demo.log").read_text()
