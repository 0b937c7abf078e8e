"""The tamper-evident audit trail: every hit, disposition, list change, search, export, refusal
and purge, in append-only hash chains: one per node (``storage.node_id``), so the nodes of a
site never queue on each other to write, and the shared ``site`` chain, where each node anchors
its chain's head from time to time (a node's chain cut back behind an anchor no longer matches).

Each record's ``hash`` is HMAC-SHA256, under the site's trail key, of the previous record's hash
and the record's canonical JSON (sequence number, time, actor, action, target, detail). Someone who
edits, deletes or inserts a record in the database cannot write hashes that verify without the
key, which is kept in a file outside the database (``storage.trail_key_file``). Without a key
(tests, tools) the chain is plain SHA-256: still evidence against a careless edit, not against a
careful one. Appends happen inside the transaction of the act they record, so an act and its
record commit or vanish together; the chain's head row is locked first, which orders the appends
of that chain (SQLite writers are serialised anyway).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, insert, select, tuple_
from sqlalchemy.orm import Session

from ..errors import InvalidRequestError
from .db import storable_copy
from .models import SiteSettingRow, TrailHeadRow, TrailRow

if TYPE_CHECKING:
    from .db import Database

GENESIS = "0" * 64
"""The ``prev_hash`` of the first record."""
SITE_CHAIN = "site"
"""The chain every node anchors its own in (and that holds the records from before chains)."""
ANCHOR = "trail.anchor"
TRAIL_KEY_CHECK = "trail_key_check"
"""The site setting holding the trail key's check value (:meth:`AuditTrail.key_check`)."""
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
    chain: str
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    def as_json(self) -> dict[str, Any]:
        """The record as exports write it."""
        return {
            "at": self.at.isoformat(),
            "chain": self.chain,
            "seq": self.seq,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class TrailCheck:
    """The result of walking the chain."""

    records: int
    """Records checked."""
    broken_seq: int | None = None
    """The first record that does not verify (None: the chain is intact)."""
    problem: str = ""
    head_hash: str = GENESIS
    """The last record's hash (of the broken chain, or of the site chain when all verify):
    write it down somewhere else to anchor the trail."""
    chain: str = ""
    """The chain that broke (empty: none did)."""
    chains: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Every chain checked: its records and head hash."""

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
    """Appends to this node's chain and verifies every chain; one per database handle."""

    def __init__(self, key: bytes | None = None, chain: str = SITE_CHAIN) -> None:
        self.keyed = key is not None
        self._key = key
        self.chain = chain
        """The chain this handle appends to."""

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

    def append(
        self, session: Session, events: Sequence[TrailEvent], *, chain: str | None = None
    ) -> list[int]:
        """Chain ``events`` inside the caller's write transaction (to this handle's chain, or
        ``chain``); returns their numbers in it."""
        if not events:
            return []
        chain = chain or self.chain
        head = _locked_head(session, chain)
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
                    "chain": chain,
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

    def anchor(self, session: Session) -> None:
        """Record this node's chain head in the site chain (a node's chain cut back or re-hashed
        behind its last anchor no longer matches it)."""
        if self.chain == SITE_CHAIN:
            return
        seq, digest = self.head(session)
        if seq == 0:
            return
        detail = {"chain": self.chain, "seq": seq, "hash": digest}
        event = TrailEvent(ANCHOR, f"node:{self.chain}", f"chain:{self.chain}", detail)
        self.append(session, [event], chain=SITE_CHAIN)

    def head(self, session: Session, chain: str | None = None) -> tuple[int, str]:
        """A chain's last record number and hash (0 and the genesis hash for an empty chain)."""
        head = session.get(TrailHeadRow, chain or self.chain)
        return (head.seq, head.hash) if head else (0, GENESIS)

    def verify(self, session: Session) -> TrailCheck:
        """Walk every chain in order, then every anchor; name the first record that does not
        verify, and tell records signed with another key apart from records changed."""
        heads = {row.chain: row for row in session.scalars(select(TrailHeadRow))}
        written = set(session.scalars(select(TrailRow.chain).distinct()))
        chains: dict[str, tuple[int, str]] = {}
        for chain in sorted(written | set(heads), key=lambda c: (c != SITE_CHAIN, c)):
            check = self._verify_chain(session, chain, heads.get(chain))
            if not check.ok:
                return replace(check, chains=chains)
            chains[chain] = (check.records, check.head_hash)
        anchors = self._verify_anchors(session)
        site_head = chains.get(SITE_CHAIN, (0, GENESIS))[1]
        total = sum(n for n, _ in chains.values())
        if anchors:
            return TrailCheck(total, anchors[1], anchors[2], site_head, anchors[0], chains)
        return TrailCheck(total, None, "", site_head, "", chains)

    def _verify_chain(self, session: Session, chain: str, head: TrailHeadRow | None) -> TrailCheck:
        prev, expected, count = GENESIS, 1, 0
        first_bad: TrailRecord | None = None
        for row in _rows(session, chain):
            event = TrailEvent(row.action, row.actor, row.target, row.detail)
            if row.seq != expected:
                return TrailCheck(
                    count, expected, f"{chain} record {expected} is missing (the next one is "
                    f"{row.seq})", prev, chain,
                )  # fmt: skip
            if row.prev_hash != prev:
                return TrailCheck(
                    count, row.seq, f"{chain} record {row.seq} does not follow record "
                    f"{row.seq - 1} (its prev_hash differs: a record before it was changed or "
                    "replaced)", prev, chain,
                )  # fmt: skip
            if first_bad is None and row.hash != self._hash(
                prev, canonical(row.seq, row.at, event)
            ):
                first_bad = row
            elif first_bad is not None and row.hash == self._hash(
                prev, canonical(row.seq, row.at, event)
            ):
                return _changed(first_bad, chain)
            prev, expected, count = row.hash, expected + 1, count + 1
        if first_bad is not None:
            if first_bad.seq == 1:
                return TrailCheck(
                    0, 1, f"every record of chain {chain} fails with this trail key, and each "
                    f"follows the one before: {self._whose_key(session)}", GENESIS, chain,
                )  # fmt: skip
            return _changed(first_bad, chain)
        if head is None or head.seq != count or head.hash != prev:
            said = head.seq if head else 0
            return TrailCheck(
                count, count + 1, f"chain {chain} ends at record {count} but its head says "
                f"{said}: records after {count} were removed", prev, chain,
            )  # fmt: skip
        return TrailCheck(count, None, "", prev, "")

    def _whose_key(self, session: Session) -> str:
        """Why a whole chain fails: another key, or a chain re-signed without the site's."""
        recorded = session.get(SiteSettingRow, TRAIL_KEY_CHECK)
        if recorded is not None and recorded.value == self.key_check():
            return (
                "this is the site's trail key, so the chain was rewritten and re-signed "
                "without it (forged)"
            )
        if recorded is not None:
            return (
                "this trail key is not the site's (its check value differs): verify with the "
                "site's trail key file; nothing shows the records were changed"
            )
        return "they were signed with another key, or rewritten without the site's"

    def _verify_anchors(self, session: Session) -> tuple[str, int, str] | None:
        """(chain, seq, problem) for the first anchor its chain no longer matches."""
        anchors = session.scalars(
            select(TrailRow)
            .where(TrailRow.chain == SITE_CHAIN, TrailRow.action == ANCHOR)
            .order_by(TrailRow.seq)
        )
        for anchor in anchors:
            chain, seq, digest = (anchor.detail.get(k) for k in ("chain", "seq", "hash"))
            found = session.get(TrailRow, (chain, seq))
            if found is None or found.hash != digest:
                problem = (
                    f"chain {chain} no longer holds the record {seq} the site chain anchored "
                    f"at {anchor.at.isoformat()} (site record {anchor.seq}): it was cut back or "
                    "rewritten"
                )
                return str(chain), int(seq or 0), problem
        return None


def _changed(row: TrailRecord, chain: str) -> TrailCheck:
    return TrailCheck(
        row.seq - 1,
        row.seq,
        f"{chain} record {row.seq} ({row.action} by {row.actor} at {row.at.isoformat()}) was "
        "changed after it was written: its hash does not match its content",
        row.prev_hash,
        chain,
    )


def _locked_head(session: Session, chain: str) -> TrailHeadRow:
    """The chain's head row, locked; made (empty) on the chain's first append, without a race
    between two first appenders (one waits for the other's row)."""
    head = session.get(TrailHeadRow, chain, with_for_update=True)
    if head is not None:
        return head
    dialect = session.get_bind().dialect.name
    values = {"chain": chain, "seq": 0, "hash": GENESIS}
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    session.execute(upsert(TrailHeadRow).values(values).on_conflict_do_nothing())
    head = session.get(TrailHeadRow, chain, with_for_update=True, populate_existing=True)
    if head is None:  # pragma: no cover - the row was just inserted or already there
        raise RuntimeError(f"the trail head of chain {chain!r} could not be made")
    return head


def _storable(value: Any) -> Any:
    """JSON values with every string made storable (no NUL, no lone surrogates)."""
    if isinstance(value, str):
        return storable_copy(value)
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, dict):
        return {storable_copy(str(k)): _storable(v) for k, v in value.items()}
    return value


def _rows(session: Session, chain: str) -> Iterator[TrailRecord]:
    after = 0
    while True:
        batch = list(
            session.scalars(
                select(TrailRow)
                .where(TrailRow.chain == chain, TrailRow.seq > after)
                .order_by(TrailRow.seq)
                .limit(_VERIFY_BATCH)
            )
        )
        yield from (_record(row) for row in batch)
        if len(batch) < _VERIFY_BATCH:
            return
        after = batch[-1].seq


@dataclass(frozen=True)
class TrailFilter:
    """Which trail records a search or export selects; empty fields select everything."""

    since: datetime | None = None
    until: datetime | None = None
    actor: str = ""
    action: str = ""
    """An action, or a prefix ending in ``.`` (``audit.``: every search, export and view)."""
    target: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
        }


@dataclass(frozen=True)
class TrailVerification:
    """The chains walked with the site's key, and the hit log checked against them."""

    chains: TrailCheck
    decisions_checked: int
    problem: str
    keyed: bool

    @property
    def ok(self) -> bool:
        return self.chains.ok and not self.problem


class TrailLog:
    """The trail as auditors read it: searched newest first in keyset pages, exported oldest
    first in batches (each its own short read), and verified."""

    MAX_PAGE = 1000

    def __init__(self, db: Database) -> None:
        self._db = db

    def search(
        self, filter: TrailFilter, page_size: int = 100, page_token: str = ""
    ) -> tuple[list[TrailRecord], str]:
        size = min(max(page_size, 0) or 100, self.MAX_PAGE)
        query = _selected(filter)
        if page_token:
            at, chain, seq = _decode_position(page_token)
            query = query.where(
                tuple_(TrailRow.at, TrailRow.chain, TrailRow.seq) < tuple_(at, chain, seq)
            )
        query = query.order_by(TrailRow.at.desc(), TrailRow.chain.desc(), TrailRow.seq.desc())
        with self._db.read() as session:
            rows = list(session.scalars(query.limit(size + 1)))
        token = ""
        if len(rows) > size:
            rows = rows[:size]
            last = rows[-1]
            token = _encode_position(last.at, last.chain, last.seq)
        return [_record(row) for row in rows], token

    def iter_records(self, filter: TrailFilter, batch: int = 2000) -> Iterator[TrailRecord]:
        after: tuple[datetime, str, int] | None = None
        while True:
            query = _selected(filter)
            if after is not None:
                query = query.where(
                    tuple_(TrailRow.at, TrailRow.chain, TrailRow.seq) > tuple_(*after)
                )
            query = query.order_by(TrailRow.at, TrailRow.chain, TrailRow.seq).limit(batch)
            with self._db.read() as session:
                rows = list(session.scalars(query))
            yield from (_record(row) for row in rows)
            if len(rows) < batch:
                return
            after = (rows[-1].at, rows[-1].chain, rows[-1].seq)

    def record_access(self, action: str, actor: str, filter: TrailFilter, **detail: Any) -> None:
        """Put a search, export or verification of the trail in the trail: who, what, why."""
        self._db.record_event(action, actor, "trail", {"filter": filter.as_json(), **detail})

    def verify(self) -> TrailVerification:
        from .decisions import DecisionStore

        with self._db.read() as session:
            check = self._db.trail.verify(session)
        if not check.ok:
            return TrailVerification(check, 0, "", self._db.trail.keyed)
        hit_log = DecisionStore(self._db).verify_against_trail()
        return TrailVerification(check, hit_log.decisions, hit_log.problem, self._db.trail.keyed)


def _selected(filter: TrailFilter) -> Select[Any]:
    query = select(TrailRow)
    if filter.since is not None:
        query = query.where(TrailRow.at >= filter.since)
    if filter.until is not None:
        query = query.where(TrailRow.at < filter.until)
    if filter.actor:
        query = query.where(TrailRow.actor == filter.actor)
    if filter.action.endswith("."):
        query = query.where(TrailRow.action.startswith(filter.action, autoescape=True))
    elif filter.action:
        query = query.where(TrailRow.action == filter.action)
    if filter.target:
        query = query.where(TrailRow.target == filter.target)
    return query


def _record(row: TrailRow) -> TrailRecord:
    return TrailRecord(
        row.chain, row.seq, row.at, row.actor, row.action, row.target, row.detail,
        row.prev_hash, row.hash,
    )  # fmt: skip


def _encode_position(at: datetime, chain: str, seq: int) -> str:
    raw = json.dumps([at.isoformat(), chain, seq]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_position(token: str) -> tuple[datetime, str, int]:
    try:
        at, chain, seq = json.loads(base64.urlsafe_b64decode(token.encode()))
        return datetime.fromisoformat(at), str(chain), int(seq)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidRequestError("page_token: not a token this search returned") from exc
