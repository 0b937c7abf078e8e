"""The in-memory indexes lanes match against, kept in step with the database, and how fresh.

Screening never waits on the database to match: it uses the indexes held here. A refresher
thread keeps them current: every ``poll_s`` (and at once when woken: a PostgreSQL ``NOTIFY``
from an edit on any node, or an edit made through this process) it reads which lists moved past
the versions it holds and applies just those changes in place (:meth:`PlateIndex.apply`), so
one edit of a list of a million entries costs milliseconds, never a rebuild. Each successful
check is the time the indexes were last *confirmed*; :meth:`staleness_s` says how long ago, and
the screener sends a frame to REVIEW ``watchlist_stale`` rather than decide it on indexes that
could not be confirmed within the lane's limit (the database did not answer).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from .face_index import FaceIndex
from .faces import FaceSubject, FaceTemplate
from .matching import PlateIndex
from .refresher import Refresher
from .watchlists import PlateEntry, Watchlist, WatchlistDelta

log = logging.getLogger(__name__)


class WatchlistSource(Protocol):
    def snapshot(self) -> tuple[list[Watchlist], list[PlateEntry]]: ...

    def changes_since(self, applied: Mapping[str, int]) -> WatchlistDelta | None: ...


class FaceSource(Protocol):
    def snapshot(self) -> tuple[list[FaceSubject], list[FaceTemplate]]: ...


class WatchlistCache:
    def __init__(
        self,
        source: WatchlistSource,
        *,
        poll_s: float = 0.25,
        faces: FaceSource | None = None,
        embedder: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._faces = faces
        self._embedder = embedder
        self._clock = clock
        self._refreshing = threading.Lock()
        """Held by whoever brings the indexes up to date: one at a time."""
        self._index = PlateIndex([], [])
        self._face_index = FaceIndex([], [], [], embedder)
        self._versions: dict[str, int] = {}
        self._confirmed_at = clock()
        self._refresher = Refresher(
            "watchlists",
            self.refresh,
            poll_s,
            failing="cannot check the watchlists; matching against the last state",
            recovered="watchlists confirmed again",
        )
        self.reload()

    # --- what lanes read -------------------------------------------------------------------

    def index(self) -> PlateIndex:
        """The current plate index, at once."""
        return self._index

    def face_index(self) -> FaceIndex:
        """The current face index, at once (refreshed with the plate index)."""
        return self._face_index

    def staleness_s(self) -> float:
        """How long ago the indexes were last confirmed to be the database's."""
        return max(0.0, self._clock() - self._confirmed_at)

    def versions(self) -> dict[str, int]:
        """Each list's version the indexes hold."""
        return dict(self._versions)

    # --- keeping up --------------------------------------------------------------------------

    def reload(self) -> PlateIndex:
        """Rebuild the indexes from the store (at start, and if a list went back in time)."""
        with self._refreshing:
            return self._reload()

    def refresh(self) -> bool:
        """Apply what changed since the versions held; returns whether anything did. Raises
        what the store raises (the indexes then stay as they were, unconfirmed)."""
        with self._refreshing:
            checked = self._clock()
            delta = self._source.changes_since(self._versions)
            if delta is None:
                self._confirmed_at = checked
                return False
            if delta.reset:
                log.warning("a watchlist's version went back (a restored database?): reloading")
                self._reload()
                return True
            self._index.apply(delta.watchlists, delta.entries, delta.removed)
            self._versions.update(delta.versions)
            if delta.faces_changed:
                self._reload_faces(delta.watchlists)
            self._confirmed_at = checked
            return True

    def _reload(self) -> PlateIndex:
        checked = self._clock()
        watchlists, entries = self._source.snapshot()
        self._index = PlateIndex(watchlists, entries)
        self._versions = {wl.id: wl.version for wl in watchlists}
        self._reload_faces(watchlists)
        self._confirmed_at = checked
        log.info(
            "watchlists loaded: %d lists, %d plate entries, %d face subjects",
            len(watchlists),
            self._index.size,
            self._face_index.size,
        )
        return self._index

    def wake(self) -> None:
        """Check for changes now (an edit was notified, or made through this process)."""
        self._refresher.wake()

    def start(self) -> None:
        """Confirm the indexes now (they may have been loaded long before serving starts:
        models load in between), then keep them up to date in the background."""
        self.refresh()
        self._refresher.start()

    def stop(self) -> None:
        self._refresher.stop()

    def _reload_faces(self, watchlists: list[Watchlist]) -> None:
        if self._faces is None:
            return
        subjects, templates = self._faces.snapshot()
        self._face_index = FaceIndex(watchlists, subjects, templates, self._embedder)
        if self._face_index.foreign_templates:
            log.warning(
                "%d face templates were made by another embedder than %s and are not "
                "searched; re-enrol those subjects",
                self._face_index.foreign_templates,
                self._embedder,
            )
