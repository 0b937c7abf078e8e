"""Every decision is acknowledged from a local journal and shipped to the database after.

A lane's answer must never wait on the database: a locked SQLite file, a hung PostgreSQL server
or a long transaction elsewhere would stall every lane of the site. So the screener's sink only
appends the decision to a journal on the node's own disk (a SQLite file no other process writes:
WAL, ``synchronous=FULL``, on disk through a power cut or a ``kill -9`` before the lane gets
its answer). A shipper thread then writes journaled decisions into the database in order, each
exactly once (a decision id already there is taken as shipped), backing off while the database
fails, and removes them from the journal once committed.

What is stored is what the lane received. The decision is journaled before it is answered, so
its own logging time and the answer's total time are known only after; the screener hands the
answered decision back (:meth:`JournalSink.settle`) and the shipper stores that one. A journaled
decision whose answer never came (the node died in between) is stored marked ``answered =
false`` with the times known when it was journaled.

The journal is bounded (``storage.journal_max_mb``): above the bound new decisions are kept
without their evidence images (the record itself is always kept), and a warning says so.
``lanescreen journal ship --from FILE`` ships a dead node's journal from its file.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ..domain.decisions import Decision, Evidence
from ..errors import ConflictError
from ..priority import lower_thread_priority
from .decisions import DecisionStore

log = logging.getLogger(__name__)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS entries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        decision_id TEXT NOT NULL,
        decision TEXT NOT NULL,
        plate_crop_jpeg BLOB,
        frame_jpeg BLOB,
        face_chip_jpeg BLOB,
        journaled_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS answers (
        decision_id TEXT PRIMARY KEY,
        decision TEXT NOT NULL
    )""",
)
_LEGACY = """INSERT INTO entries (decision_id, decision, plate_crop_jpeg, frame_jpeg,
    face_chip_jpeg, journaled_at)
    SELECT json_extract(decision, '$.decision_id'), decision, plate_crop_jpeg, frame_jpeg,
    face_chip_jpeg, 0 FROM outbox ORDER BY id"""
SHIP_PACE = 1.0
"""The shipper rests as long as it works: a backlog drains at half speed, beside the lanes."""
MAX_BACKOFF_S = 30.0
"""The longest the shipper waits between tries while the database fails."""
ANSWER_GRACE_S = 5.0
"""How long the shipper waits for a journaled decision's answer before storing it unanswered
(the node stopped between journaling and answering)."""


@dataclass(frozen=True)
class Entry:
    seq: int
    decision: Decision
    """As journaled, before it was answered."""
    evidence: Evidence | None
    journaled_at: float
    """Wall-clock seconds."""


@dataclass(frozen=True)
class Backlog:
    """What waits in a journal for the database."""

    decisions: int
    bytes: int
    oldest_age_s: float


def _size(decision: str, evidence: Evidence | None) -> int:
    images = (
        (evidence.plate_crop_jpeg, evidence.frame_jpeg, evidence.face_chip_jpeg) if evidence else ()
    )
    return len(decision) + sum(len(i) for i in images if i)


class DecisionJournal:
    """The append-and-drain journal file of one node; thread-safe."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=10000")  # only another shipper of this file waits
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                self._db.execute(statement)
            self._adopt_legacy_outbox()
        self.last_seq = int(
            self._db.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()[0]
        )
        """The sequence number of the newest decision journaled."""
        # The shipper reads on a connection of its own (WAL readers never block the writer), so
        # reading a batch of decisions with their images never holds up a lane's append.
        self._reader = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._read_lock = threading.Lock()
        self._bytes = int(
            self._db.execute(
                "SELECT coalesce(sum(length(decision) + coalesce(length(plate_crop_jpeg), 0) + "
                "coalesce(length(frame_jpeg), 0) + coalesce(length(face_chip_jpeg), 0)), 0) "
                "FROM entries"
            ).fetchone()[0]
        )

    def _adopt_legacy_outbox(self) -> None:
        """An outbox file of lanescreen 0.1 (table ``outbox``) becomes a journal in place."""
        legacy = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'"
        ).fetchone()
        if legacy:
            self._db.execute(_LEGACY)
            self._db.execute("DROP TABLE outbox")

    @property
    def bytes(self) -> int:
        """What the journaled decisions and their images take (an estimate of the file's use)."""
        with self._lock:
            return self._bytes

    def put(self, decision: Decision, evidence: Evidence | None) -> None:
        """Journal one decision; on disk when this returns."""
        text = json.dumps(decision.to_json())
        values = (
            decision.decision_id,
            text,
            evidence.plate_crop_jpeg if evidence else None,
            evidence.frame_jpeg if evidence else None,
            evidence.face_chip_jpeg if evidence else None,
            time.time(),
        )
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO entries (decision_id, decision, plate_crop_jpeg, frame_jpeg, "
                "face_chip_jpeg, journaled_at) VALUES (?, ?, ?, ?, ?, ?)",
                values,
            )
            self._bytes += _size(text, evidence)
            self.last_seq = int(cursor.lastrowid or 0)

    def keep_answers(self, answers: list[Decision]) -> None:
        """Keep answered decisions the database could not take yet, so a restart still stores
        what the lanes received."""
        rows = [(d.decision_id, json.dumps(d.to_json())) for d in answers]
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?)", rows)

    def answer(self, decision_id: str) -> Decision | None:
        with self._read_lock:
            row = self._reader.execute(
                "SELECT decision FROM answers WHERE decision_id = ?", (decision_id,)
            ).fetchone()
        return Decision.from_json(json.loads(row[0])) if row else None

    def oldest(self, limit: int) -> list[Entry]:
        with self._read_lock:
            rows = self._reader.execute(
                "SELECT seq, decision, plate_crop_jpeg, frame_jpeg, face_chip_jpeg, journaled_at "
                "FROM entries ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        out = []
        for seq, text, crop, frame, face, journaled_at in rows:
            evidence = Evidence(crop, frame, face) if crop or frame or face else None
            out.append(
                Entry(int(seq), Decision.from_json(json.loads(text)), evidence, journaled_at)
            )
        return out

    def remove(self, entry: Entry) -> None:
        """Forget a shipped decision (and its kept answer)."""
        size = _size(json.dumps(entry.decision.to_json()), entry.evidence)
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM entries WHERE seq = ?", (entry.seq,))
            self._db.execute(
                "DELETE FROM answers WHERE decision_id = ?", (entry.decision.decision_id,)
            )
            self._bytes = max(0, self._bytes - size)

    def backlog(self) -> Backlog:
        with self._read_lock:
            count, first = self._reader.execute(
                "SELECT count(*), min(journaled_at) FROM entries"
            ).fetchone()
        size = self.bytes
        age = max(0.0, time.time() - first) if count and first else 0.0
        return Backlog(int(count), size, age)

    def __len__(self) -> int:
        with self._read_lock:
            return int(self._reader.execute("SELECT count(*) FROM entries").fetchone()[0])

    def close(self) -> None:
        with self._read_lock:
            self._reader.close()
        with self._lock:
            self._db.close()


def unanswered(decision: Decision) -> Decision:
    """A journaled decision whose answer never left the node, stored as such."""
    return replace(decision, answered=False)


class Shipper:
    """Writes a journal's decisions into the database, in journal order, each exactly once."""

    def __init__(self, store: DecisionStore, journal: DecisionJournal) -> None:
        self.store = store
        self.journal = journal
        self._answers: dict[str, Decision] = {}
        self._lock = threading.Lock()
        self._shipped = threading.Condition(self._lock)
        self._shipped_through = 0
        """Every journaled decision up to this sequence number is in the database."""

    def wait_shipped(self, seq: int, timeout_s: float) -> bool:
        """Wait until every decision journaled up to ``seq`` is in the database."""
        with self._shipped:
            return self._shipped.wait_for(lambda: self._shipped_through >= seq, timeout_s)

    def answered(self, decision: Decision) -> None:
        """The decision as the lane received it (times settled); the shipper stores this one."""
        with self._lock:
            self._answers[decision.decision_id] = decision

    def ship(self, *, final: bool = False, pace: float = 0.0) -> int:
        """Move journaled decisions into the database, oldest first; returns how many moved.

        Waits (returns) at a decision not yet answered, for up to :data:`ANSWER_GRACE_S`;
        ``final`` (the node that journaled them is gone) stores such decisions unanswered at
        once. ``pace`` rests that many times as long as each decision took to store, so a
        backlog drains beside the lanes instead of taking the CPU from them. Raises
        SQLAlchemyError at the first database failure: the rest stay journaled.
        """
        moved = 0
        while True:
            horizon = self.journal.last_seq  # read before the journal is seen empty
            batch = self.journal.oldest(100)
            if not batch:
                with self._shipped:  # everything journaled up to the horizon is shipped
                    self._shipped_through = max(self._shipped_through, horizon)
                    self._shipped.notify_all()
                return moved
            for entry in batch:
                decision = self._answer_of(entry, final=final)
                if decision is None:
                    return moved
                started = time.perf_counter()
                try:
                    self.store.record(decision, entry.evidence)
                except ConflictError:
                    pass  # stored before a crash cut the removal short: already there
                except SQLAlchemyError:
                    self._keep_answers()
                    raise
                self.journal.remove(entry)
                with self._shipped:
                    self._answers.pop(entry.decision.decision_id, None)
                    self._shipped_through = entry.seq
                    self._shipped.notify_all()
                moved += 1
                if pace:
                    time.sleep(pace * (time.perf_counter() - started))

    def _answer_of(self, entry: Entry, *, final: bool) -> Decision | None:
        with self._lock:
            answer = self._answers.get(entry.decision.decision_id)
        if answer is None:
            answer = self.journal.answer(entry.decision.decision_id)
        if answer is not None:
            return answer
        if final or time.time() - entry.journaled_at > ANSWER_GRACE_S:
            return unanswered(entry.decision)
        return None

    def _keep_answers(self) -> None:
        with self._lock:
            answers = list(self._answers.values())
            self._answers.clear()
        if answers:
            self.journal.keep_answers(answers)


class JournalSink:
    """The screener's sink: journal locally, answer, ship in the background."""

    def __init__(
        self,
        store: DecisionStore,
        journal: DecisionJournal,
        *,
        max_bytes: int = 2 * 1024**3,
        retry_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.journal = journal
        self.shipper = Shipper(store, journal)
        self._max_bytes = max_bytes
        self._retry_s = retry_s
        self._clock = clock
        self._warned_full = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._ship_loop, name="journal-ship", daemon=True)
        waiting = len(journal)
        if waiting:
            log.warning("%d decisions wait in the journal %s from before", waiting, journal.path)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ship what can be shipped within ``timeout_s``, then stop; the rest stays journaled."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout_s)

    @property
    def waiting(self) -> int:
        """Decisions journaled and not yet in the database."""
        return len(self.journal)

    def backlog(self) -> Backlog:
        return self.journal.backlog()

    def caught_up(self, timeout_s: float = 2.0) -> bool:
        """Wait until every decision answered before this call is in the database (or
        ``timeout_s`` passes, e.g. while it is down): what an officer reads on this node then
        holds every hit its lanes were answered."""
        self._wake.set()
        return self.shipper.wait_shipped(self.journal.last_seq, timeout_s)

    def record(self, decision: Decision, evidence: Evidence | None) -> None:
        """Durable when it returns: in the node's journal (never the database)."""
        if evidence is not None and self.journal.bytes >= self._max_bytes:
            self._warn_full()
            evidence = None
        self.journal.put(decision, evidence)

    def settle(self, decision: Decision) -> None:
        """``decision`` was answered as it is now; store it so."""
        self.shipper.answered(decision)
        self._wake.set()

    def _warn_full(self) -> None:
        now = self._clock()
        if now - self._warned_full >= 60:
            self._warned_full = now
            log.warning(
                "journal %s holds %d MB, over storage.journal_max_mb: new decisions are kept "
                "without their images until the database takes the backlog",
                self.journal.path,
                self.journal.bytes // 2**20,
            )

    def _ship_loop(self) -> None:
        """Ship whenever woken (an answer) or every second; after a failure, back off from
        ``retry_s`` doubling up to :data:`MAX_BACKOFF_S` until the database takes decisions."""
        lower_thread_priority()
        failures = 0
        while True:
            delay = min(self._retry_s * 2 ** max(0, failures - 1), MAX_BACKOFF_S)
            if failures:
                self._stop.wait(delay)  # woken answers wait too: the database is not back
            else:
                self._wake.wait(timeout=1.0)
            self._wake.clear()
            try:
                moved = self.shipper.ship(pace=SHIP_PACE)
            except SQLAlchemyError as exc:
                if not failures:
                    log.error(
                        "the database does not take decisions (%s); they wait in the journal %s",
                        " ".join(str(getattr(exc, "orig", exc)).split())[:300],
                        self.journal.path,
                    )
                failures += 1
            except Exception:
                log.exception("shipping the journal failed; retrying")
                failures += 1
            else:
                if failures:
                    log.info("database back: %d decisions shipped, %d wait", moved, self.waiting)
                failures = 0
            if self._stop.is_set():
                return
