"""A background step kept running: every ``poll_s``, and at once when woken.

What the node holds from the site's database (watchlists, the lane registry) is kept current by
such a step off the answer path; a failing step is logged once, not every poll, and its
recovery once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Refresher:
    def __init__(
        self, name: str, step: Callable[[], object], poll_s: float, *, failing: str, recovered: str
    ) -> None:
        self._step = step
        self._poll_s = poll_s
        self._failing_message = failing
        self._recovered_message = recovered
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._failing = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Run the step now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self._poll_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._step()
            except Exception:
                if not self._failing:
                    log.exception(self._failing_message)
                self._failing = True
            else:
                if self._failing:
                    log.info(self._recovered_message)
                self._failing = False
