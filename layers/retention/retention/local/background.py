"""A piece of work repeated on a background thread until stopped, as a poller or a ticker."""

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Repeating:
    """Runs ``work`` every ``interval`` seconds; a failed run is logged and the next goes on,
    as Lambda's pollers and the scheduler service keep going after a failure."""

    def __init__(self, name: str, interval: float, work: Callable[[], object]) -> None:
        self._name = name
        self._interval = interval
        self._work = work
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self._work()
            except Exception:
                log.exception("%s failed", self._name)
