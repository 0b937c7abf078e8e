"""Watchlists and their entries in the database, with a journal row for every edit.

Every edit happens in one transaction that first bumps the list's version (on PostgreSQL that row
lock also serialises concurrent edits of one list), then changes entries and writes the journal.
Nothing is deleted: a removed entry keeps its row with who removed it, when and why. A
high-severity entry is stored ``pending`` by every change and matches once another person
approves it (:mod:`lanescreen.domain.governance`); approvals and rejections are journalled too.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from ..domain.governance import Approval, ApprovalPolicy, ApprovalStatus, check_review
from ..domain.importing import PlateKey, plate_key
from ..domain.plates import normalize_plate
from ..domain.text import text_problem
from ..domain.watchlists import (
    GOVERNANCE_FIELD_NAMES,
    EntryFields,
    ListKind,
    MatchMode,
    PlateEntry,
    Watchlist,
    WatchlistDelta,
    validate_entry,
)
from ..errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from .db import Database, storable
from .models import ChangeRow, EntryRow, FaceSubjectRow, Governed, WatchlistRow
from .site import approvals
from .trail import TrailEvent

Row = TypeVar("Row", EntryRow, FaceSubjectRow)

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_NAME = 200
MAX_ACTOR = 200
_BATCH = 1000
_SNAPSHOT_COLUMNS = (
    EntryRow.id,
    EntryRow.watchlist_id,
    EntryRow.plate,
    EntryRow.region,
    EntryRow.match_mode,
    EntryRow.category,
    EntryRow.action,
    EntryRow.priority,
    EntryRow.reason,
    EntryRow.legal_basis,
    EntryRow.case_number,
    EntryRow.owner,
    EntryRow.expires_at,
    EntryRow.created_by,
    EntryRow.created_at,
    EntryRow.updated_at,
    EntryRow.updated_by,
    EntryRow.status,
    EntryRow.reviewed_by,
    EntryRow.reviewed_at,
    EntryRow.review_note,
)
_JOURNAL_FIELDS = (
    "plate",
    "normalized_plate",
    "region",
    "match_mode",
    "category",
    "action",
    "priority",
    "reason",
    "legal_basis",
    "case_number",
    "owner",
    "expires_at",
)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


class WatchlistStore:
    """Officers' watchlists, kept in the database; the matcher reads them via :meth:`snapshot`.

    ``policy`` says which entries need a second person's approval (default: priority 80 and up,
    as ``governance.approval_min_priority``).
    """

    def __init__(self, db: Database, policy: ApprovalPolicy | None = None) -> None:
        self._db = db
        self._policy = policy or ApprovalPolicy()

    @property
    def policy(self) -> ApprovalPolicy:
        """Which entries need a second person's approval: the site's, once recorded."""
        with self._db.read() as session:
            return approvals(session, self._policy)

    # --- lists -----------------------------------------------------------------------------------

    def create_watchlist(
        self, name: str, kind: ListKind, description: str, actor: str
    ) -> Watchlist:
        """A new, empty list at version 1. ``ConflictError`` if the name is taken."""
        name = _line("name", name, MAX_NAME, required=True)
        if _UUID.match(name):
            raise InvalidRequestError("name: must not look like a watchlist id (a UUID)")
        try:
            kind = ListKind(kind)
        except ValueError as exc:
            raise InvalidRequestError(f"kind: {kind!r} is not 'deny' or 'allow'") from exc
        description = _text("description", description)
        actor = _actor(actor)
        now = datetime.now(UTC)
        row = WatchlistRow(
            id=str(uuid.uuid4()),
            name=name,
            kind=kind.value,
            description=description,
            version=1,
            created_at=now,
            created_by=actor,
        )
        try:
            with self._db.write() as session:
                if session.scalar(select(WatchlistRow.id).where(WatchlistRow.name == name)):
                    raise ConflictError(f"a watchlist named {name!r} already exists")
                session.add(row)
                session.flush()
                after = {"name": name, "kind": kind.value, "description": description}
                _journal(self._db, session, row.id, None, 1, "create", actor, now, after=after)
        except IntegrityError as exc:  # a concurrent create won the race
            raise ConflictError(f"a watchlist named {name!r} already exists") from exc
        return _watchlist(row, 0)

    def get_watchlist(self, watchlist: str) -> Watchlist:
        """By id or name. ``NotFoundError`` if neither matches."""
        with self._db.read() as session:
            return _with_counts(session, _resolve(session, watchlist))

    def list_watchlists(self) -> list[Watchlist]:
        with self._db.read() as session:
            return _all_watchlists(session)

    # --- entries ---------------------------------------------------------------------------------

    def add_entry(self, watchlist: str, fields: EntryFields, actor: str) -> PlateEntry:
        fields = _checked(fields)
        actor = _actor(actor)
        now = datetime.now(UTC)
        with self._db.write() as session:
            status = approvals(session, self._policy).status_after_change(fields.priority)
            wl = _resolve(session, watchlist)
            _refuse_listed(session, wl, fields)
            version = _bump(session, wl.id)
            row = EntryRow(**_entry_values(wl.id, fields, actor, now, status))
            session.add(row)
            session.flush()
            _journal(
                self._db,
                session,
                wl.id,
                row.id,
                version,
                "add",
                actor,
                now,
                after=_fields_json(fields, status),
            )
            return _entry(row)

    def listed_plates(self, watchlist: str, keys: Iterable[PlateKey]) -> dict[PlateKey, str]:
        """Which of ``keys`` (normalised plate, region) the list already has: key -> entry id."""
        wanted = set(keys)
        plates = sorted({plate for plate, _ in wanted})
        found: dict[PlateKey, str] = {}
        with self._db.read() as session:
            wl = _resolve(session, watchlist)
            for start in range(0, len(plates), _BATCH):
                rows = session.execute(
                    select(EntryRow.normalized_plate, EntryRow.region, EntryRow.id).where(
                        EntryRow.watchlist_id == wl.id,
                        EntryRow.removed_at.is_(None),
                        EntryRow.normalized_plate.in_(plates[start : start + _BATCH]),
                    )
                )
                for plate, region, entry_id in rows:
                    if (plate, region) in wanted:
                        found.setdefault((plate, region), entry_id)
        return found

    def get_entry(self, entry_id: str) -> PlateEntry:
        """A current entry. ``NotFoundError`` if unknown or removed (the message says which)."""
        with self._db.read() as session:
            return _entry(_live_entry(session, entry_id))

    def update_entry(self, entry_id: str, fields: EntryFields, actor: str) -> PlateEntry:
        """Replace all of an entry's fields with ``fields``; if nothing differs, nothing changes.

        The change is submitted for approval like a new entry (pending if high severity, else
        active); a rejected entry is submitted again even when its fields are unchanged.
        """
        fields = _checked(fields)
        actor = _actor(actor)
        now = datetime.now(UTC)
        with self._db.write() as session:
            status = approvals(session, self._policy).status_after_change(fields.priority)
            row = _live_entry(session, entry_id, lock=True)
            before = _entry(row)
            if before.fields == fields and before.approval.status is not ApprovalStatus.REJECTED:
                return before
            _refuse_listed(session, session.get_one(WatchlistRow, row.watchlist_id), fields, row.id)
            version = _bump(session, row.watchlist_id)
            _assign(row, fields)
            _submitted(row, actor, now, status)
            session.flush()
            _journal(
                self._db,
                session,
                row.watchlist_id,
                row.id,
                version,
                "update",
                actor,
                now,
                before=_fields_json(before.fields, before.approval.status),
                after=_fields_json(fields, status),
            )
            return _entry(row)

    def approve_entry(self, entry_id: str, actor: str, note: str = "") -> PlateEntry:
        """Make a pending entry active. ``ForbiddenError`` if ``actor`` made the pending change;
        ``PreconditionError`` if it is not pending."""
        return self._review(entry_id, actor, _text("note", note), ApprovalStatus.ACTIVE)

    def reject_entry(self, entry_id: str, actor: str, note: str) -> PlateEntry:
        """Refuse a pending entry's change (kept, never matched; an edit submits it again)."""
        note = _text("note", note, required=True)
        return self._review(entry_id, actor, note, ApprovalStatus.REJECTED)

    def _review(self, entry_id: str, actor: str, note: str, verdict: ApprovalStatus) -> PlateEntry:
        actor = _actor(actor)
        now = datetime.now(UTC)
        try:
            with self._db.write() as session:
                row = _live_entry(session, entry_id, lock=True)
                current = _entry(row)
                check_review(f"entry {row.id}", current.approval.status, current.updated_by, actor)
                version = _bump(session, row.watchlist_id)
                _reviewed(row, actor, now, note, verdict)
                session.flush()
                _journal(
                    self._db,
                    session,
                    row.watchlist_id,
                    row.id,
                    version,
                    review_action(verdict),
                    actor,
                    now,
                    note,
                    before=_fields_json(current.fields, current.approval.status),
                    after=_fields_json(current.fields, verdict),
                )
                return _entry(row)
        except ForbiddenError as refused:
            # Outside the rolled-back edit: an attempt to approve one's own change is on record.
            _record_refusal(self._db, refused, actor, f"entry:{entry_id.strip()}", verdict)
            raise

    def remove_entry(self, entry_id: str, actor: str, reason: str) -> int:
        """Retire an entry (kept, marked removed); returns the list's new version."""
        reason = _text("reason", reason, required=True)
        actor = _actor(actor)
        now = datetime.now(UTC)
        with self._db.write() as session:
            row = _live_entry(session, entry_id, lock=True)
            version = _bump(session, row.watchlist_id)
            row.removed_at, row.removed_by, row.removed_reason = now, actor, reason
            session.flush()
            removed = _entry(row)
            before = _fields_json(removed.fields, removed.approval.status)
            _journal(
                self._db,
                session,
                row.watchlist_id,
                row.id,
                version,
                "remove",
                actor,
                now,
                reason,
                before=before,
            )
            return version

    def list_entries(
        self,
        watchlist: str,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str = "",
        plate_prefix: str = "",
        status: ApprovalStatus | None = None,
    ) -> tuple[list[PlateEntry], str, int]:
        """One page of a list's current entries in plate order, the next page's token, the version.

        Paging is by key (plate, id), so pages neither skip nor repeat entries while others edit.
        ``status`` keeps only entries in that approval state (e.g. those awaiting approval).
        """
        if page_size < 0:
            raise InvalidRequestError("page_size: must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        prefix = normalize_plate(plate_prefix)
        if plate_prefix.strip() and not prefix:
            raise InvalidRequestError(f"plate_prefix: {plate_prefix!r} holds no plate characters")
        with self._db.read() as session:
            wl = _resolve(session, watchlist)
            query = select(EntryRow).where(
                EntryRow.watchlist_id == wl.id, EntryRow.removed_at.is_(None)
            )
            if prefix:
                query = query.where(EntryRow.normalized_plate.startswith(prefix))
            if status is not None:
                query = query.where(EntryRow.status == status.value)
            scope = _scope(prefix, status)
            rows, token = keyset_page(
                session,
                query,
                EntryRow.normalized_plate,
                EntryRow.id,
                wl.id,
                scope,
                page_token,
                size,
            )
            return [_entry(r) for r in rows], token, wl.version

    def import_entries(
        self,
        watchlist: str,
        rows: Sequence[EntryFields],
        actor: str,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[list[str], int]:
        """Add many entries in one transaction and one version bump; ids come back in row order.

        The journal gets one ``import`` row per entry (so each entry's history starts with who
        brought it in and when). High-severity entries arrive pending, like added ones.
        ``progress`` is called with the number of rows stored per batch. An empty ``rows``
        changes nothing and returns the current version.
        """
        checked = []
        for index, fields in enumerate(rows, 1):
            try:
                checked.append(_checked(fields))
            except InvalidRequestError as exc:
                raise InvalidRequestError(f"row {index}: {exc}") from exc
        actor = _actor(actor)
        now = datetime.now(UTC)
        with self._db.write() as session:
            wl = _resolve(session, watchlist)
            if not checked:
                return [], wl.version
            version = _bump(session, wl.id)
            policy = approvals(session, self._policy)
            connection = session.connection()  # Core inserts: several times faster than ORM bulk
            ids: list[str] = []
            for start in range(0, len(checked), _BATCH):
                batch = checked[start : start + _BATCH]
                entries = [
                    _entry_values(wl.id, f, actor, now, policy.status_after_change(f.priority))
                    for f in batch
                ]
                connection.execute(insert(EntryRow), entries)
                changes = [
                    _change_values(
                        wl.id, e["id"], version, "import", actor, now, after=_journal_form(e)
                    )
                    for e in entries
                ]
                connection.execute(insert(ChangeRow), changes)
                self._db.trail.append(session, [trail_event(c) for c in changes])
                ids.extend(e["id"] for e in entries)
                if progress is not None:
                    progress(len(batch))
            return ids, version

    # --- for the matcher -------------------------------------------------------------------------

    def snapshot(self) -> tuple[list[Watchlist], list[PlateEntry]]:
        """Every list and every entry not removed (expired, pending and rejected ones too: the
        matcher leaves out what may not match)."""
        with self._db.read() as session:
            watchlists = _all_watchlists(session)
            # Plain tuples, not ORM objects: a 100k-entry list loads in about half the time.
            rows = session.connection().execute(
                select(*_SNAPSHOT_COLUMNS)
                .where(EntryRow.removed_at.is_(None))
                .order_by(EntryRow.watchlist_id, EntryRow.normalized_plate, EntryRow.id)
            )
            return watchlists, [_snapshot_entry(row) for row in rows]

    def changes_since(self, applied: Mapping[str, int]) -> WatchlistDelta | None:
        """What changed since the lists were at the ``applied`` versions (list id -> version),
        read in one snapshot; None when no list moved. A list whose version went back (a
        restored database) makes a delta with ``reset`` set: reload everything then.

        Cheap when nothing changed (one read of the lists' versions), and proportional to
        what changed otherwise: each list's versions are contiguous, and every change row
        carries the version it made, so nothing committed can be skipped.
        """
        with self._db.read() as session:
            rows = list(session.scalars(select(WatchlistRow).order_by(WatchlistRow.name)))
            moved = {r.id: applied.get(r.id, 0) for r in rows if r.version != applied.get(r.id)}
            if not moved:
                return None
            watchlists = [_watchlist(row, 0) for row in rows]
            versions = {row.id: row.version for row in rows}
            if any(versions[wl_id] < since for wl_id, since in moved.items()):
                return WatchlistDelta(watchlists, versions, [], set(), True, reset=True)
            entries: list[PlateEntry] = []
            removed: set[str] = set()
            faces = False
            for wl_id, since in moved.items():
                changes = ChangeRow.watchlist_id == wl_id, ChangeRow.version > since
                touched = select(ChangeRow.entry_id).where(
                    *changes, ChangeRow.entry_id.is_not(None)
                )
                found = session.connection().execute(
                    select(*_SNAPSHOT_COLUMNS, EntryRow.removed_at).where(EntryRow.id.in_(touched))
                )
                for row in found:
                    if row[-1] is not None:
                        removed.add(row[0])
                    else:
                        entries.append(_snapshot_entry(row[:-1]))
                faces = (
                    faces
                    or session.scalar(
                        select(ChangeRow.id)
                        .where(*changes, ChangeRow.subject_id.is_not(None))
                        .limit(1)
                    )
                    is not None
                )
            return WatchlistDelta(watchlists, versions, entries, removed, faces)


# --- rows and values -----------------------------------------------------------------------------


_ACTIVE = Approval()
_MODES = {mode.value: mode for mode in MatchMode}


def _snapshot_entry(row: Any) -> PlateEntry:
    """A plate entry from a row of :data:`_SNAPSHOT_COLUMNS`."""
    (
        id_, watchlist_id, plate, region, mode, category, action, priority, reason, basis,
        case_number, owner, expires, created_by, created_at, updated_at, updated_by, status,
        reviewed_by, reviewed_at, note,
    ) = row  # fmt: skip
    return PlateEntry(
        id=id_,
        watchlist_id=watchlist_id,
        fields=EntryFields(
            plate=plate,
            region=region,
            match_mode=_MODES[mode],
            category=category,
            action=action,
            priority=priority,
            reason=reason,
            legal_basis=basis,
            case_number=case_number,
            owner=owner,
            expires_at=expires,
        ),
        created_by=created_by,
        created_at=created_at,
        updated_at=updated_at,
        updated_by=updated_by,
        # Most entries are active and never reviewed: share one value.
        approval=_ACTIVE
        if status == "active" and reviewed_by is None
        else _approval(status, reviewed_by, reviewed_at, note),
    )


def _watchlist(row: WatchlistRow, entry_count: int, subject_count: int = 0) -> Watchlist:
    return Watchlist(
        id=row.id,
        name=row.name,
        kind=ListKind(row.kind),
        description=row.description,
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        entry_count=entry_count,
        subject_count=subject_count,
    )


def _entry(row: EntryRow) -> PlateEntry:
    fields = EntryFields(
        plate=row.plate,
        region=row.region,
        match_mode=MatchMode(row.match_mode),
        **governance_columns(row),
    )
    return PlateEntry(
        id=row.id,
        watchlist_id=row.watchlist_id,
        fields=fields,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        approval=_approval(row.status, row.reviewed_by, row.reviewed_at, row.review_note),
    )


def governance_columns(row: Governed) -> dict[str, Any]:
    """A stored entry's or subject's governance columns, named as the domain names its fields."""
    return {name: getattr(row, name) for name in GOVERNANCE_FIELD_NAMES}


def _approval(
    status: str, reviewed_by: str | None, reviewed_at: datetime | None, note: str | None
) -> Approval:
    return Approval(ApprovalStatus(status), reviewed_by or "", reviewed_at, note or "")


def review_action(verdict: ApprovalStatus) -> str:
    """The journal action of a review ending in ``verdict``."""
    return "approve" if verdict is ApprovalStatus.ACTIVE else "reject"


def _record_refusal(
    db: Database, refused: ForbiddenError, actor: str, target: str, verdict: ApprovalStatus
) -> None:
    """Put a review refused by the two-person rule in the audit trail."""
    detail = {"attempted": review_action(verdict), "reason": str(refused)}
    db.record_event("watchlist.review_refused", actor, target, detail)


def _submitted(
    row: EntryRow | FaceSubjectRow, actor: str, now: datetime, status: ApprovalStatus
) -> None:
    """Record a change of an entry or subject: who, when, and the status it now awaits."""
    row.updated_at, row.updated_by, row.status = now, actor, status.value
    row.reviewed_by = row.reviewed_at = row.review_note = None


def _reviewed(
    row: EntryRow | FaceSubjectRow,
    actor: str,
    now: datetime,
    note: str,
    verdict: ApprovalStatus,
) -> None:
    """Record a supervisor's verdict on an entry's or subject's pending change."""
    row.status = verdict.value
    row.reviewed_by, row.reviewed_at, row.review_note = actor, now, note


def _field_values(fields: EntryFields) -> dict[str, Any]:
    return {**fields.as_dict(), "normalized_plate": fields.normalized_plate}


def _entry_values(
    watchlist_id: str, fields: EntryFields, actor: str, now: datetime, status: ApprovalStatus
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "watchlist_id": watchlist_id,
        "created_by": actor,
        "created_at": now,
        "updated_at": now,
        "updated_by": actor,
        "status": status.value,
        **_field_values(fields),
    }


def _assign(row: EntryRow, fields: EntryFields) -> None:
    for name, value in _field_values(fields).items():
        setattr(row, name, value)


def _fields_json(fields: EntryFields, status: ApprovalStatus) -> dict[str, Any]:
    """The journal's form of an entry's fields and its approval status."""
    return _journal_form({**_field_values(fields), "status": status.value})


def _journal_form(values: dict[str, Any]) -> dict[str, Any]:
    """Entry field values and status (or a whole entry row's) as the journal keeps them."""
    expires = values["expires_at"]
    form = {
        name: expires.isoformat() if name == "expires_at" and expires else values[name]
        for name in _JOURNAL_FIELDS
    }
    form["status"] = values["status"]
    return form


def _checked(fields: EntryFields) -> EntryFields:
    """Re-check fields built elsewhere, so no caller can store what validation would refuse.

    Expiry in the past is allowed: setting it is how an officer ends an entry now.
    """
    raw = _field_values(fields)
    del raw["normalized_plate"]
    try:
        checked = validate_entry(raw)
    except ValueError as exc:
        raise InvalidRequestError(str(exc)) from exc
    return checked


# --- queries -------------------------------------------------------------------------------------


def _resolve(session: Session, watchlist: str) -> WatchlistRow:
    key = watchlist.strip()
    if not key:
        raise InvalidRequestError("watchlist: give a watchlist id or name")
    if not storable(key):
        raise NotFoundError(f"watchlist {key!r} does not exist")
    rows = list(
        session.scalars(
            select(WatchlistRow).where(or_(WatchlistRow.id == key, WatchlistRow.name == key))
        )
    )
    if not rows:
        raise NotFoundError(f"watchlist {key!r} does not exist")
    return next((r for r in rows if r.id == key), rows[0])


def _counts(session: Session, watchlist_id: str | None = None) -> dict[str, tuple[int, int]]:
    """Live (plate entries, face subjects) per list id: one list's, or every list's."""
    tallies: list[dict[str, int]] = []
    for list_column, removed_column in (
        (EntryRow.watchlist_id, EntryRow.removed_at),
        (FaceSubjectRow.watchlist_id, FaceSubjectRow.removed_at),
    ):
        query = select(list_column, func.count()).where(removed_column.is_(None))
        if watchlist_id is not None:
            query = query.where(list_column == watchlist_id)
        rows = session.execute(query.group_by(list_column))
        tallies.append({list_id: int(n) for list_id, n in rows})
    entries, subjects = tallies
    return {i: (entries.get(i, 0), subjects.get(i, 0)) for i in entries.keys() | subjects.keys()}


def _with_counts(session: Session, row: WatchlistRow) -> Watchlist:
    return _watchlist(row, *_counts(session, row.id).get(row.id, (0, 0)))


def _all_watchlists(session: Session) -> list[Watchlist]:
    counts = _counts(session)
    rows = session.scalars(select(WatchlistRow).order_by(WatchlistRow.name))
    return [_watchlist(row, *counts.get(row.id, (0, 0))) for row in rows]


def _refuse_listed(
    session: Session, wl: WatchlistRow, fields: EntryFields, entry_id: str = ""
) -> None:
    """ConflictError if the list already has this vehicle (same normalised plate and region)
    in an entry other than ``entry_id``."""
    plate, region = plate_key(fields)
    existing = session.scalar(
        select(EntryRow.id)
        .where(
            EntryRow.watchlist_id == wl.id,
            EntryRow.normalized_plate == plate,
            EntryRow.region == region,
            EntryRow.removed_at.is_(None),
            EntryRow.id != entry_id,
        )
        .limit(1)
    )
    if existing is not None:
        raise ConflictError(
            f"plate {fields.plate!r} is already on {wl.name!r} as entry {existing}; "
            "edit that entry instead"
        )


def _live_entry(session: Session, entry_id: str, *, lock: bool = False) -> EntryRow:
    key = entry_id.strip()
    if not key:
        raise InvalidRequestError("entry_id: is required")
    if not storable(key):
        raise NotFoundError(f"entry {key!r} does not exist")
    row = session.get(EntryRow, key, with_for_update=lock)
    if row is None:
        raise NotFoundError(f"entry {key!r} does not exist")
    if row.removed_at is not None:
        raise NotFoundError(
            f"entry {key!r} was removed on {row.removed_at.isoformat()} "
            f"by {row.removed_by}: {row.removed_reason}"
        )
    return row


WATCHLIST_CHANNEL = "lanescreen_watchlists"
"""PostgreSQL ``NOTIFY`` channel every list edit signals on commit (payload: the list id)."""


def _bump(session: Session, watchlist_id: str) -> int:
    """Increment the list's version and return it; the row lock orders concurrent edits. On
    PostgreSQL the edit also notifies every node when it commits (nothing if it rolls back)."""
    statement = (
        update(WatchlistRow)
        .where(WatchlistRow.id == watchlist_id)
        .values(version=WatchlistRow.version + 1)
        .returning(WatchlistRow.version)
        .execution_options(synchronize_session=False)
    )
    version = int(session.execute(statement).scalar_one())
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(WATCHLIST_CHANNEL, watchlist_id)))
    return version


def _change_values(
    watchlist_id: str,
    entry_id: str | None,
    version: int,
    action: str,
    actor: str,
    at: datetime,
    reason: str = "",
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    subject_id: str | None = None,
) -> dict[str, Any]:
    return {
        "watchlist_id": watchlist_id,
        "entry_id": entry_id,
        "subject_id": subject_id,
        "version": version,
        "action": action,
        "actor": actor,
        "at": at,
        "reason": reason,
        "before": before,
        "after": after,
    }


def trail_event(change: dict[str, Any]) -> TrailEvent:
    """The audit-trail record of one journal row (its values as :func:`_change_values` makes)."""
    if change["subject_id"]:
        target = f"subject:{change['subject_id']}"
    elif change["entry_id"]:
        target = f"entry:{change['entry_id']}"
    else:
        target = f"watchlist:{change['watchlist_id']}"
    detail = {
        "watchlist_id": change["watchlist_id"],
        "version": change["version"],
        "reason": change["reason"],
        "before": change["before"],
        "after": change["after"],
    }
    return TrailEvent(f"watchlist.{change['action']}", change["actor"], target, detail)


def _journal(
    db: Database,
    session: Session,
    watchlist_id: str,
    entry_id: str | None,
    version: int,
    action: str,
    actor: str,
    at: datetime,
    reason: str = "",
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    subject_id: str | None = None,
) -> None:
    """Write one journal row (the entry or subject before and after, who and why) and chain it
    into the audit trail, in the edit's own transaction."""
    values = _change_values(
        watchlist_id,
        entry_id,
        version,
        action,
        actor,
        at,
        reason,
        before=before,
        after=after,
        subject_id=subject_id,
    )
    session.add(ChangeRow(**values))
    session.flush()
    db.trail.append(session, [trail_event(values)])


# --- arguments and page tokens -------------------------------------------------------------------


def _line(name: str, value: str, limit: int, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidRequestError(f"{name}: is required")
    if len(value) > limit:
        raise InvalidRequestError(f"{name}: is longer than {limit} characters")
    problem = text_problem(value, multiline=False)
    if problem is not None:
        raise InvalidRequestError(f"{name}: {problem}; it must be one line of visible text")
    return value


def _text(name: str, value: str, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidRequestError(f"{name}: is required")
    problem = text_problem(value)
    if problem is not None:
        raise InvalidRequestError(f"{name}: {problem}")
    return value


def _actor(actor: str) -> str:
    """Who made the change: required, because every edit must be answerable to someone."""
    return _line("actor", actor, MAX_ACTOR, required=True)


def _scope(prefix: str, status: ApprovalStatus | None) -> str:
    """What a page token is valid for: the plate prefix and status filter it was made with."""
    return prefix if status is None else f"{prefix}/{status.value}"


def keyset_page(
    session: Session,
    query: Select[Row],
    key: InstrumentedAttribute[str],
    ident: InstrumentedAttribute[str],
    watchlist_id: str,
    scope: str,
    page_token: str,
    size: int,
) -> tuple[list[Row], str]:
    """One page of ``query`` in (key, id) order, after the row ``page_token`` names, and the token
    of the next page ("" on the last): keyset paging, stable while rows are added."""
    if page_token:
        last_key, last_id = _decode_token(page_token, watchlist_id, scope)
        query = query.where(or_(key > last_key, and_(key == last_key, ident > last_id)))
    rows = list(session.scalars(query.order_by(key, ident).limit(size + 1)))
    if len(rows) <= size:
        return rows, ""
    rows = rows[:size]
    last = rows[-1]
    return rows, _encode_token(
        watchlist_id, scope, getattr(last, key.key), getattr(last, ident.key)
    )


def _encode_token(watchlist_id: str, prefix: str, plate: str, entry_id: str) -> str:
    payload = json.dumps([watchlist_id, prefix, plate, entry_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _decode_token(token: str, watchlist_id: str, prefix: str) -> tuple[str, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        token_list, token_prefix, plate, entry_id = values
        if not all(isinstance(v, str) and storable(v) for v in values):
            raise ValueError("not strings")
    except (ValueError, TypeError, UnicodeError, binascii.Error) as exc:
        raise InvalidRequestError("page_token: not a token this service handed out") from exc
    if token_list != watchlist_id or token_prefix != prefix:
        raise InvalidRequestError(
            "page_token: belongs to a different list, plate_prefix or status filter"
        )
    return plate, entry_id
