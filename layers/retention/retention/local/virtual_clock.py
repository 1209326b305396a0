"""The local stack's clock: real time passing, plus the jumps that ``advance`` makes."""

import threading
import time
from datetime import UTC, datetime, timedelta


class VirtualClock:
    """Starts at ``start`` (real now by default) and ticks with real time unless ``frozen``."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._frozen = frozen
        self._base = (start or datetime.now(UTC)).astimezone(UTC)
        self._ticks_at_base = time.monotonic()

    def now(self) -> datetime:
        with self._lock:
            if self._frozen:
                return self._base
            return self._base + timedelta(seconds=time.monotonic() - self._ticks_at_base)

    def set(self, moment: datetime) -> None:
        """Jump to ``moment``; the schedules are the caller's business."""
        with self._lock:
            self._base = moment.astimezone(UTC)
            self._ticks_at_base = time.monotonic()

    def advance(self, delta: timedelta) -> datetime:
        target = self.now() + delta
        self.set(target)
        return target


def iso_z(moment: datetime) -> str:
    """ISO 8601 UTC with a ``Z``, the way EventBridge Scheduler writes a scheduled time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
