"""The tables. Watchlist edits are soft and journalled; CLEAR reads are kept only minimally.

Free text that officers or terminals supply is ``Text`` (validation bounds it; a column limit would
only turn a long value into a database error). Times are UTC-aware on every backend.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .db import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Stable constraint names, so later migrations (SQLite batch mode included) can refer to them."""

ID = String(36)
ACTOR = String(200)
STATUS_CHECK = "status IN ('active', 'pending', 'rejected')"
"""Approval states of plate entries and face subjects (``domain.governance.ApprovalStatus``)."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class WatchlistRow(Base):
    __tablename__ = "watchlists"
    __table_args__ = (CheckConstraint("kind IN ('deny', 'allow')", name="kind"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    """Bumped by every edit of the list or its entries (the change journal records each)."""
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(ACTOR)


class Governed:
    """The columns every listed thing (plate entry, face subject) carries: its governance fields,
    who made and changed it, the two-person approval of the last change, and soft removal."""

    category: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    case_number: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(ACTOR)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(ACTOR)
    """Who made the last change of the fields: the person an approval must not be."""
    status: Mapped[str] = mapped_column(String(8))
    """``active`` (matched), ``pending`` (awaiting a second person) or ``rejected``."""
    reviewed_by: Mapped[str | None] = mapped_column(ACTOR)
    """Who approved or rejected the last change (cleared when a change is submitted)."""
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]
    """Removal is soft: the row stays so every decision's entry id still leads somewhere."""
    removed_by: Mapped[str | None] = mapped_column(ACTOR)
    removed_reason: Mapped[str | None] = mapped_column(Text)


class EntryRow(Governed, Base):
    __tablename__ = "plate_entries"
    __table_args__ = (
        CheckConstraint("match_mode IN ('exact', 'lenient')", name="match_mode"),
        CheckConstraint("priority BETWEEN 0 AND 100", name="priority"),
        CheckConstraint(STATUS_CHECK, name="status"),
        # Keyset paging of one list by plate: WHERE watchlist_id = ? AND (plate, id) > (?, ?).
        Index("ix_plate_entries_watchlist_plate", "watchlist_id", "normalized_plate", "id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    watchlist_id: Mapped[str] = mapped_column(ID, ForeignKey("watchlists.id"))
    plate: Mapped[str] = mapped_column(Text)
    normalized_plate: Mapped[str] = mapped_column(String(32), index=True)
    region: Mapped[str] = mapped_column(Text)
    match_mode: Mapped[str] = mapped_column(String(8))


class FaceSubjectRow(Governed, Base):
    """A person on a watchlist; soft-removed like plate entries, with the same governance."""

    __tablename__ = "face_subjects"
    __table_args__ = (
        CheckConstraint("priority BETWEEN 0 AND 100", name="priority"),
        CheckConstraint(STATUS_CHECK, name="status"),
        Index("ix_face_subjects_watchlist_name", "watchlist_id", "name", "id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    watchlist_id: Mapped[str] = mapped_column(ID, ForeignKey("watchlists.id"))
    name: Mapped[str] = mapped_column(Text)
    plates: Mapped[list[str]] = mapped_column(JSON)
    """Normalised plates of the vehicles the subject is known to drive."""


class FaceTemplateRow(Base):
    """One enrolment photo of a subject: its embedding and the aligned chip it was made from."""

    __tablename__ = "face_templates"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    subject_id: Mapped[str] = mapped_column(ID, ForeignKey("face_subjects.id"), index=True)
    embedder: Mapped[str] = mapped_column(String(64))
    camera_type: Mapped[str] = mapped_column(String(16))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    """``dim`` little-endian float32 values, L2-normalised."""
    eye_distance_px: Mapped[float] = mapped_column(Float)
    sharpness: Mapped[float] = mapped_column(Float)
    chip_jpeg: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_by: Mapped[str] = mapped_column(ACTOR)
    created_at: Mapped[datetime]


class ChangeRow(Base):
    """The journal: one row per edit, with the entry (or subject) before and after, who and why."""

    __tablename__ = "watchlist_changes"
    __table_args__ = (
        CheckConstraint(
            "action IN ('create', 'add', 'update', 'remove', 'import', 'enrol', 'approve', "
            "'reject')",
            name="action",
        ),
        Index("ix_watchlist_changes_watchlist", "watchlist_id", "id"),
        Index("ix_watchlist_changes_version", "watchlist_id", "version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    watchlist_id: Mapped[str] = mapped_column(ID, ForeignKey("watchlists.id"))
    entry_id: Mapped[str | None] = mapped_column(ID, ForeignKey("plate_entries.id"), index=True)
    subject_id: Mapped[str | None] = mapped_column(ID, ForeignKey("face_subjects.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    """The list's version once this change was made: ties decisions to the list state they saw."""
    action: Mapped[str] = mapped_column(String(8))
    actor: Mapped[str] = mapped_column(ACTOR)
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class DecisionRow(Base):
    """An alert: one per passage that became a HIT or ended a REVIEW (its id is the alert id),
    kept up to date as the passage's frames come; the passage's latest decision as JSON plus
    the columns audits filter on. (Before alerts, one per HIT or REVIEW frame.)"""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint("outcome IN ('HIT', 'REVIEW')", name="outcome"),
        Index("ix_decisions_lane_decided", "lane_id", "decided_at"),
    )

    decision_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lane_id: Mapped[str] = mapped_column(Text)
    frame_id: Mapped[str] = mapped_column(Text)
    camera: Mapped[str] = mapped_column(String(16))
    passage_id: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(8))
    captured_at: Mapped[datetime]
    decided_at: Mapped[datetime] = mapped_column(index=True)
    plate_text: Mapped[str] = mapped_column(Text)
    record: Mapped[dict[str, Any]]
    """``Decision.to_json()``: self-contained, so it survives later edits of the lists."""
    budget_met: Mapped[bool] = mapped_column(Boolean)
    total_ms: Mapped[float] = mapped_column(Float)
    plate_crop_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    frame_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    face_chip_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    """The aligned face of a HIT or REVIEW; a CLEAR keeps no face image at all."""
    frame_count: Mapped[int] = mapped_column(Integer, server_default="1")
    """Frames of the passage that reached the alert."""
    last_frame_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    """When the passage ended (None: still going on, or it never said)."""
    evidence_score: Mapped[float] = mapped_column(Float, server_default="0")
    """How good the kept evidence is (its plate's read confidence): better frames replace it."""


class DecisionMatchRow(Base):
    """Which lists and entries a decision matched, for filtering the hit log by list."""

    __tablename__ = "decision_matches"

    decision_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("decisions.decision_id", ondelete="CASCADE"), primary_key=True
    )
    watchlist_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    entry_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)


class DispositionRow(Base):
    """An officer's finding on a stored HIT or REVIEW; the latest per decision counts."""

    __tablename__ = "dispositions"
    __table_args__ = (
        CheckConstraint("verdict IN ('confirmed', 'dismissed')", name="verdict"),
        Index("ix_dispositions_decision", "decision_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("decisions.decision_id", ondelete="CASCADE")
    )
    verdict: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(ACTOR)
    at: Mapped[datetime]


class FrameLogRow(Base):
    """Every frame's decision, minimally: lane, frame, outcome, plate text, time and the alert it
    went to; purged after ``clear_retention_hours``. A CLEAR read is kept only here. (The table
    keeps its first name, from when it held only CLEAR reads.)"""

    __tablename__ = "clear_reads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    decision_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    """Unique, so a decision shipped twice from a node's journal is stored once (null: before 0007)."""
    lane_id: Mapped[str] = mapped_column(Text)
    plate_text: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(8), server_default="CLEAR")
    frame_id: Mapped[str] = mapped_column(Text, server_default="")
    alert_id: Mapped[str | None] = mapped_column(String(64), index=True)
    """The alert (``decisions`` row) the frame's passage went to, if any."""


class TrailRow(Base):
    """The tamper-evident audit trail: append-only, each record keyed to the one before.

    ``hash`` is an HMAC-SHA256 (keyed with the site's trail key, kept outside the database) of the
    previous record's hash and this record's canonical JSON, so changing, removing or inserting a
    record anywhere breaks every hash after it; ``lanescreen audit verify`` names the first.
    """

    __tablename__ = "audit_trail"

    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    """Whose chain: a node's (``storage.node_id``), or ``site``, where nodes anchor theirs."""
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(ACTOR)
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class TrailHeadRow(Base):
    """A chain's last sequence number and hash, one row per chain: locking it orders that
    chain's appends (nodes never wait on each other's), and a verifier can tell a truncated
    tail from a complete one."""

    __tablename__ = "audit_trail_heads"

    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class CredentialRow(Base):
    """An issued bearer token or client certificate: never the secret, only its SHA-256.

    Certificates are recorded so a person or lane can be revoked by name; tokens so they can be
    checked at all. Rows are never deleted: a revoked one keeps who revoked it and when.
    """

    __tablename__ = "credentials"
    __table_args__ = (CheckConstraint("kind IN ('token', 'lane', 'user', 'console')", name="kind"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON)
    lanes: Mapped[list[str]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 (hex) of the token, or of the certificate's DER (its fingerprint)."""
    serial: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(ACTOR)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None] = mapped_column(index=True)
    revoked_by: Mapped[str | None] = mapped_column(ACTOR)


class SiteSettingRow(Base):
    """What every node of a site must agree on, recorded by the first node to open the
    database: the trail key's check value and the client CA's fingerprint. A node whose own
    differ refuses to start instead of writing records nobody can verify."""

    __tablename__ = "site_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(ACTOR)
    set_at: Mapped[datetime]


class LaneRow(Base):
    """A lane of the site's registry: its columns are :class:`~lanescreen.config.LaneConfig`'s
    fields, one for one, so every node serves the same lane the same way."""

    __tablename__ = "site_lanes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    budget_ms: Mapped[int] = mapped_column(Integer)
    deny_lists: Mapped[list[str] | None] = mapped_column(JSON)
    """None: every deny list."""
    allow_lists: Mapped[list[str]] = mapped_column(JSON)
    region: Mapped[str] = mapped_column(String(16))
    review_when_no_plate: Mapped[bool] = mapped_column(Boolean)
    reader: Mapped[str] = mapped_column(String(64))
    review_when_no_face: Mapped[bool] = mapped_column(Boolean)
    set_by: Mapped[str] = mapped_column(ACTOR)
    set_at: Mapped[datetime]
