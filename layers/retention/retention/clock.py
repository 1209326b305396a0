"""The one source of "now" for every function.

Deployed functions read the system clock. The local stack swaps in a virtual clock so that
60 days of lifecycle can pass in seconds; nothing else may call ``set_source``.
"""

from collections.abc import Callable
from datetime import UTC, datetime


def _system_now() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_now


def now() -> datetime:
    return _source()


def set_source(source: Callable[[], datetime] | None) -> None:
    """Replace the clock; ``None`` restores the system clock."""
    global _source
    _source = source or _system_now
