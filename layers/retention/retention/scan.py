"""The lifecycle scan: refresh every profile whose next action is due, and nothing else.

The due index holds only profiles with a next action, sorted by its time, so a run reads
what is due and never the whole table. A run is idempotent for its schedule time: a second
run at the same time finds the same triggers already enqueued and enqueues nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from retention.data.ports import ConflictError, ProfileStore
from retention.observability import logger
from retention.recording import Recorder


@dataclass(frozen=True)
class ScanResult:
    profiles: int
    triggers: int
    unfinished: bool


def scan(
    store: ProfileStore,
    recorder: Recorder,
    now: datetime,
    time_left: Callable[[], float] = lambda: float("inf"),
    reserve_seconds: float = 10.0,
) -> ScanResult:
    """Refresh due profiles until done or the function is about to time out.

    What is left stays due in the index and is picked up by the next run.
    """
    profiles = triggers = 0
    for tenant, customer_key in store.due_profiles(now):
        if time_left() < reserve_seconds:
            logger.warning("scan stopped early", profiles=profiles)
            return ScanResult(profiles, triggers, unfinished=True)

        try:
            outcome = recorder.refresh(tenant, customer_key, now)
        except ConflictError:
            logger.warning("scan skipped a busy profile", customer=customer_key)
            continue
        profiles += 1
        triggers += len(outcome.triggers)

    return ScanResult(profiles, triggers, unfinished=False)
