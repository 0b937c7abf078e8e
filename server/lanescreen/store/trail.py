"""The tamper-evident audit trail: every hit, disposition, list change, search, export, refusal
and purge, in one append-only chain.

Each record's ``hash`` is HMAC-SHA256, under the site's trail key, of the previous record's hash
and the record's canonical JSON (sequence number, time, actor, action, target, detail). Someone who
edits, deletes or inserts a record in the database cannot write hashes that verify without the
key, which is kept in a file outside the database (``storage.trail_key_file``). Without a key
(tests, tools) the chain is plain SHA-256: still evidence against a careless edit, not against a
careful one. Appends happen inside the transaction of the act they record, so an act and its
record commit or vanish together; the one-row head is locked first, which orders concurrent
appends (SQLite writers are serialised anyway).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .db import storable_copy
from .models import TrailHeadRow, TrailRow

GENESIS = "0" * 64
"""The ``prev_hash`` of the first record."""
KEY_BYTES = 32
_VERIFY_BATCH = 2000


class TrailKeyError(RuntimeError):
    """The trail key file cannot be read or created; the message says which and why."""


@dataclass(frozen=True)
class TrailEvent:
    """One act to record: who did what to which thing, and the particulars."""

    action: str
    actor: str
    target: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrailRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class TrailCheck:
    """The result of walking the chain."""

    records: int
    """Records checked."""
    broken_seq: int | None = None
    """The first record that does not verify (None: the chain is intact)."""
    problem: str = ""
    head_hash: str = GENESIS
    """The last record's hash: write it down somewhere else to anchor the chain."""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None and not self.problem


def load_or_create_key(path: Path) -> bytes:
    """The trail key in ``path``, made (random, owner-only) on first use."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = secrets.token_bytes(KEY_BYTES)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return load_or_create_key(path)
        except OSError as exc:
            raise TrailKeyError(f"cannot create the trail key {path}: {exc}") from exc
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        return key
    except OSError as exc:
        raise TrailKeyError(f"cannot read the trail key {path}: {exc}") from exc
    if len(key) < 16:
        raise TrailKeyError(f"trail key {path} is {len(key)} bytes; it must hold at least 16")
    return key


def canonical(seq: int, at: datetime, event: TrailEvent) -> bytes:
    """The bytes a record's hash covers (stable across databases and Python versions)."""
    body = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "detail": event.detail,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )


class AuditTrail:
    """Appends to and verifies the chain; one per database handle."""

    def __init__(self, key: bytes | None = None) -> None:
        self.keyed = key is not None
        self._key = key

    def key_check(self) -> str:
        """A value that tells the key apart from any other without revealing it."""
        return self._hash(GENESIS, b"lanescreen trail key check")

    def signed(self, row: TrailRow) -> bool:
        """Whether this trail's key made ``row``'s hash."""
        event = TrailEvent(row.action, row.actor, row.target, row.detail)
        return row.hash == self._hash(row.prev_hash, canonical(row.seq, row.at, event))

    def _hash(self, prev_hash: str, body: bytes) -> str:
        message = prev_hash.encode("ascii") + b"\n" + body
        if self._key is None:
            return hashlib.sha256(message).hexdigest()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def append(self, session: Session, events: Sequence[TrailEvent]) -> list[int]:
        """Chain ``events`` inside the caller's write transaction; returns their numbers."""
        if not events:
            return []
        head = session.get(TrailHeadRow, 1, with_for_update=True)
        if head is None:
            raise RuntimeError("the audit trail has no head row: is the schema migrated?")
        seq, prev = head.seq, head.hash
        now = datetime.now(UTC)
        first = seq + 1
        rows: list[dict[str, Any]] = []
        for event in events:
            seq += 1
            checked = TrailEvent(
                storable_copy(event.action),
                storable_copy(event.actor),
                storable_copy(event.target),
                _storable(json.loads(json.dumps(event.detail, default=str))),
            )
            digest = self._hash(prev, canonical(seq, now, checked))
            rows.append(
                {
                    "seq": seq,
                    "at": now,
                    "actor": checked.actor,
                    "action": checked.action,
                    "target": checked.target,
                    "detail": checked.detail,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            prev = digest
        session.execute(insert(TrailRow), rows)
        head.seq, head.hash = seq, prev
        session.flush()
        return list(range(first, seq + 1))

    def head(self, session: Session) -> tuple[int, str]:
        """The last record's number and hash (0 and the genesis hash for an empty trail)."""
        head = session.get(TrailHeadRow, 1)
        return (head.seq, head.hash) if head else (0, GENESIS)

    def verify(self, session: Session) -> TrailCheck:
        """Walk the whole chain in order and name the first record that does not verify."""
        prev, expected, count = GENESIS, 1, 0
        for row in _rows(session):
            event = TrailEvent(row.action, row.actor, row.target, row.detail)
            if row.seq != expected:
                return TrailCheck(
                    count,
                    expected,
                    f"record {expected} is missing (the next one is {row.seq})",
                    prev,
                )
            if row.prev_hash != prev:
                return TrailCheck(
                    count,
                    row.seq,
                    f"record {row.seq} does not follow record {row.seq - 1} (its prev_hash "
                    "differs: a record before it was changed or replaced)",
                    prev,
                )
            if row.hash != self._hash(prev, canonical(row.seq, row.at, event)):
                return TrailCheck(
                    count,
                    row.seq,
                    f"record {row.seq} ({row.action} by {row.actor} at {row.at.isoformat()}) "
                    "was changed after it was written: its hash does not match its content",
                    prev,
                )
            prev, expected, count = row.hash, expected + 1, count + 1
        head = session.get(TrailHeadRow, 1)
        if head is None:
            return TrailCheck(count, None, "the trail's head row is missing", prev)
        if head.seq != count or head.hash != prev:
            return TrailCheck(
                count,
                count + 1,
                f"the trail ends at record {count} but its head says {head.seq}: records after "
                f"{count} were removed",
                prev,
            )
        return TrailCheck(count, None, "", prev)


def _storable(value: Any) -> Any:
    """JSON values with every string made storable (no NUL, no lone surrogates)."""
    if isinstance(value, str):
        return storable_copy(value)
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, dict):
        return {storable_copy(str(k)): _storable(v) for k, v in value.items()}
    return value


def _rows(session: Session) -> Iterator[TrailRecord]:
    after = 0
    while True:
        batch = list(
            session.scalars(
                select(TrailRow)
                .where(TrailRow.seq > after)
                .order_by(TrailRow.seq)
                .limit(_VERIFY_BATCH)
            )
        )
        for row in batch:
            yield TrailRecord(
                row.seq,
                row.at,
                row.actor,
                row.action,
                row.target,
                row.detail,
                row.prev_hash,
                row.hash,
            )
        if len(batch) < _VERIFY_BATCH:
            return
        after = batch[-1].seq
