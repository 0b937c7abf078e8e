"""The in-memory indexes lanes match against, kept in step with the database.

Screening never waits on the database to match: it uses the last snapshot of the plate entries
and, when faces are screened, of the face subjects. When the store's revision moves (polled at
most once per ``poll_s``), a background thread rebuilds both and swaps them in, so a large list's
reload (seconds for 100k entries) never stalls a lane. An edit made through this process reloads
at once, before the edit's reply, so the next frame sees it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from .face_index import FaceIndex
from .faces import FaceSubject, FaceTemplate
from .matching import PlateIndex
from .watchlists import PlateEntry, Watchlist

log = logging.getLogger(__name__)


class WatchlistSource(Protocol):
    def snapshot(self) -> tuple[list[Watchlist], list[PlateEntry]]: ...

    def revision(self) -> int: ...


class FaceSource(Protocol):
    def snapshot(self) -> tuple[list[FaceSubject], list[FaceTemplate]]: ...


class WatchlistCache:
    def __init__(
        self,
        source: WatchlistSource,
        *,
        poll_s: float = 1.0,
        faces: FaceSource | None = None,
        embedder: str = "",
    ) -> None:
        self._source = source
        self._faces = faces
        self._embedder = embedder
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self._index = PlateIndex([], [])
        self._face_index = FaceIndex([], [], [], embedder)
        self._revision: int | None = None
        self._checked_at = 0.0
        self._refreshing = threading.Lock()
        self.reload()

    def reload(self) -> PlateIndex:
        """Rebuild the indexes from the store now."""
        with self._lock:
            revision = self._source.revision()
            watchlists, entries = self._source.snapshot()
            index = PlateIndex(watchlists, entries)
            face_index = self._face_index
            if self._faces is not None:
                subjects, templates = self._faces.snapshot()
                face_index = FaceIndex(watchlists, subjects, templates, self._embedder)
                if face_index.foreign_templates:
                    log.warning(
                        "%d face templates were made by another embedder than %s and are not "
                        "searched; re-enrol those subjects",
                        face_index.foreign_templates,
                        self._embedder,
                    )
            self._index, self._face_index = index, face_index
            self._revision = revision
            self._checked_at = time.monotonic()
            log.info(
                "watchlists loaded: %d lists, %d plate entries, %d face subjects",
                len(watchlists),
                index.size,
                face_index.size,
            )
            return index

    def index(self) -> PlateIndex:
        """The current plate index, at once. Starts a background refresh when the poll is due."""
        self._maybe_refresh()
        return self._index

    def face_index(self) -> FaceIndex:
        """The current face index, at once (refreshed with the plate index)."""
        self._maybe_refresh()
        return self._face_index

    def _maybe_refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked_at >= self._poll_s and self._refreshing.acquire(blocking=False):
            self._checked_at = now
            threading.Thread(target=self._refresh, name="watchlist-refresh", daemon=True).start()

    def _refresh(self) -> None:
        """Reload if the store moved. An unreachable store keeps the last snapshot serving."""
        try:
            if self._source.revision() != self._revision:
                self.reload()
        except Exception:
            log.exception("watchlist refresh failed; matching against the last snapshot")
        finally:
            self._refreshing.release()
