"""Decisions that the database could not take wait in a local outbox until it can.

A border lane cannot stop because the database is down, and a hit that was answered must never be
lost. So :class:`DurableSink` records each decision in the database when it can, and otherwise in
an outbox: a small SQLite file on the server's own disk (WAL, ``synchronous=FULL``: on disk before
the lane gets its answer, through a power cut or a ``kill -9``). A background thread drains the
outbox into the database, oldest first, as soon as the database answers again; while anything is
waiting, new decisions queue behind it so the hit log keeps its order. After a database failure
the sink does not try the database again for ``retry_s``, so a dead database costs the lanes one
failed attempt, not one per frame.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ..domain.decisions import Decision, Evidence
from ..domain.errors import ConflictError
from .decisions import DecisionStore

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    decision TEXT NOT NULL,
    plate_crop_jpeg BLOB,
    frame_jpeg BLOB,
    face_chip_jpeg BLOB
)
"""


class DecisionOutbox:
    """An append-and-drain queue of decisions in a local SQLite file; thread-safe."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def put(self, decision: Decision, evidence: Evidence | None) -> None:
        """Keep one decision; on disk when this returns."""
        values = (
            json.dumps(decision.to_json()),
            evidence.plate_crop_jpeg if evidence else None,
            evidence.frame_jpeg if evidence else None,
            evidence.face_chip_jpeg if evidence else None,
        )
        with self._lock:
            self._db.execute(
                "INSERT INTO outbox (decision, plate_crop_jpeg, frame_jpeg, face_chip_jpeg) "
                "VALUES (?, ?, ?, ?)",
                values,
            )

    def oldest(self, limit: int) -> list[tuple[int, Decision, Evidence | None]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, decision, plate_crop_jpeg, frame_jpeg, face_chip_jpeg FROM outbox "
                "ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        out = []
        for row_id, text, crop, frame, face in rows:
            evidence = Evidence(crop, frame, face) if crop or frame or face else None
            out.append((int(row_id), Decision.from_json(json.loads(text)), evidence))
        return out

    def remove(self, row_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE id = ?", (row_id,))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class DurableSink:
    """The screener's sink: the database first, the outbox when the database fails."""

    def __init__(
        self,
        store: DecisionStore,
        outbox: DecisionOutbox,
        *,
        retry_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._outbox = outbox
        self._retry_s = retry_s
        self._clock = clock
        self._lock = threading.Lock()
        self._waiting = len(outbox)
        self._down_until = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._drainer = threading.Thread(target=self._drain_loop, name="outbox-drain", daemon=True)
        if self._waiting:
            log.warning(
                "%d decisions wait in the outbox %s from before", self._waiting, outbox.path
            )

    def start(self) -> None:
        self._drainer.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._drainer.is_alive():
            self._drainer.join(timeout=5)

    @property
    def waiting(self) -> int:
        """Decisions in the outbox, not yet in the database."""
        with self._lock:
            return self._waiting

    def record(self, decision: Decision, evidence: Evidence | None) -> None:
        """Durable when it returns: in the database, or in the outbox if the database failed."""
        with self._lock:
            direct = self._waiting == 0 and self._clock() >= self._down_until
        if direct:
            try:
                self._store.record(decision, evidence)
                return
            except SQLAlchemyError as exc:
                self._went_down(exc)
        self._outbox.put(decision, evidence)
        with self._lock:
            self._waiting += 1
        self._wake.set()

    def drain(self) -> int:
        """Move waiting decisions into the database, oldest first; returns how many moved.

        Stops at the first database failure (the rest wait for the next try).
        """
        moved = 0
        while True:
            batch = self._outbox.oldest(100)
            if not batch:
                return moved
            for row_id, decision, evidence in batch:
                try:
                    self._store.record(decision, evidence)
                except ConflictError:
                    pass  # recorded before a crash cut the removal short: already there
                except SQLAlchemyError as exc:
                    self._went_down(exc)
                    return moved
                self._outbox.remove(row_id)
                moved += 1
                with self._lock:
                    self._waiting -= 1

    def _went_down(self, exc: Exception) -> None:
        with self._lock:
            first = self._clock() >= self._down_until
            self._down_until = self._clock() + self._retry_s
        if first:
            log.error(
                "database unreachable (%s); decisions go to the outbox %s until it is back",
                " ".join(str(getattr(exc, "orig", exc)).split())[:300],
                self._outbox.path,
            )

    def _drain_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self._retry_s)
            self._wake.clear()
            if self._stop.is_set() or not self.waiting:
                continue
            with self._lock:
                if self._clock() < self._down_until:
                    continue
            try:
                moved = self.drain()
            except Exception:
                log.exception("draining the outbox failed; retrying")
                continue
            if moved:
                log.info(
                    "outbox: %d decisions moved into the database, %d wait", moved, self.waiting
                )
