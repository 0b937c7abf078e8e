"""The in-memory watchlist index lanes match against, kept in step with the database.

Screening never waits on the database to match: it uses the last snapshot. When the store's
revision moves (polled at most once per ``poll_s``), a background thread rebuilds the snapshot and
swaps it in, so a large list's reload (seconds for 100k entries) never stalls a lane. An edit made
through this process reloads at once, before the edit's reply, so the next frame sees it.
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
        self._refreshing = threading.Lock()
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
        """The current index, at once. Starts a background refresh when the poll interval passed."""
        now = time.monotonic()
        if now - self._checked_at >= self._poll_s and self._refreshing.acquire(blocking=False):
            self._checked_at = now
            threading.Thread(target=self._refresh, name="watchlist-refresh", daemon=True).start()
        return self._index

    def _refresh(self) -> None:
        """Reload if the store moved. An unreachable store keeps the last snapshot serving."""
        try:
            if self._source.revision() != self._revision:
                self.reload()
        except Exception:
            log.exception("watchlist refresh failed; matching against the last snapshot")
        finally:
            self._refreshing.release()
