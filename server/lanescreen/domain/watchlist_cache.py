"""The in-memory watchlist index lanes match against, kept in step with the database.

Screening never waits on the database to match: it uses the last snapshot. The snapshot is rebuilt
when the store's revision moves (polled at most once per ``poll_s``), and at once after an edit made
through this process.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from .matching import PlateIndex
from .watchlists import PlateEntry, Watchlist

log = logging.getLogger(__name__)


class WatchlistSource(Protocol):
    def snapshot(self) -> tuple[list[Watchlist], list[PlateEntry]]: ...

    def revision(self) -> int: ...


class WatchlistCache:
    def __init__(self, source: WatchlistSource, *, poll_s: float = 1.0) -> None:
        self._source = source
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self._index = PlateIndex([], [])
        self._revision: int | None = None
        self._checked_at = 0.0
        self.reload()

    def reload(self) -> PlateIndex:
        """Rebuild the index from the store now."""
        with self._lock:
            revision = self._source.revision()
            watchlists, entries = self._source.snapshot()
            self._index = PlateIndex(watchlists, entries)
            self._revision = revision
            self._checked_at = time.monotonic()
            log.info("watchlists loaded: %d lists, %d entries", len(watchlists), self._index.size)
            return self._index

    def index(self) -> PlateIndex:
        """The current index; refreshed first if the poll interval has passed and the store moved.

        If the store cannot be reached, the last snapshot keeps serving (screening must go on).
        """
        now = time.monotonic()
        if now - self._checked_at < self._poll_s:
            return self._index
        self._checked_at = now
        try:
            revision = self._source.revision()
        except Exception:
            log.exception("watchlist revision check failed; matching against the last snapshot")
            return self._index
        if revision != self._revision:
            try:
                return self.reload()
            except Exception:
                log.exception("watchlist reload failed; matching against the last snapshot")
        return self._index
