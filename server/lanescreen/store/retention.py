"""Retention by data class: each kind of record is kept only as long as policy allows.

| class | what | default |
|---|---|---|
| ``frame_log`` | every frame's minimal record (lane, frame, outcome, plate, time): all a CLEAR read leaves | 24 hours |
| ``evidence`` | the images kept with a HIT or REVIEW (plate crop, frame, face) | 180 days |
| ``review_decisions`` | REVIEW decisions with their matches and dispositions | 90 days |
| ``hit_decisions`` | HIT decisions with their matches and dispositions | 730 days |
| ``audit_trail`` | who did what: never purged here (its retention is the site's archive policy) | forever |

Face images of people who matched nothing are never stored at all (screening keeps a face image
only with a HIT unless ``storage.keep_review_face_images``). Every purge that removes anything is
recorded in the audit trail with its class, cutoff and count, in the purge's own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from ..config import StorageConfig
from .db import Database
from .models import DecisionRow, FrameLogRow, TrailRow
from .trail import TrailEvent

ACTOR = "system:retention"


@dataclass(frozen=True)
class DataClass:
    """One kind of record, how long it is kept, and how to find and purge what is too old."""

    name: str
    what: str
    keep: timedelta | None
    """None: kept forever."""


@dataclass(frozen=True)
class DataClassState:
    """What a data class holds now (for ``lanescreen audit retention``)."""

    data_class: DataClass
    count: int
    oldest: datetime | None
    due: int
    """Records older than the retention, which the next purge removes."""


def classes(storage: StorageConfig) -> list[DataClass]:
    return [
        DataClass(
            "frame_log",
            "every frame's lane, outcome, plate text and time (all a CLEAR read leaves)",
            timedelta(hours=storage.clear_retention_hours),
        ),
        DataClass(
            "evidence",
            "images kept with HITs and REVIEWs",
            timedelta(days=storage.evidence_retention_days),
        ),
        DataClass(
            "review_decisions",
            "REVIEW decisions, their matches and dispositions",
            timedelta(days=storage.review_retention_days),
        ),
        DataClass(
            "hit_decisions",
            "HIT decisions, their matches and dispositions",
            timedelta(days=storage.hit_retention_days),
        ),
        DataClass("audit_trail", "who did what: the tamper-evident trail", None),
    ]


_HAS_EVIDENCE = or_(
    DecisionRow.plate_crop_jpeg.is_not(None),
    DecisionRow.frame_jpeg.is_not(None),
    DecisionRow.face_chip_jpeg.is_not(None),
)


def _scope(name: str) -> tuple[type[FrameLogRow] | type[DecisionRow], ColumnElement[bool] | None]:
    """The table a class lives in and the condition that picks its records."""
    if name == "frame_log":
        return FrameLogRow, None
    if name == "evidence":
        return DecisionRow, _HAS_EVIDENCE
    outcome = "REVIEW" if name == "review_decisions" else "HIT"
    return DecisionRow, DecisionRow.outcome == outcome


class Retention:
    """Reports on and purges the data classes of one database, per the configured policy."""

    def __init__(
        self,
        db: Database,
        storage: StorageConfig,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._storage = storage
        """Read at every report and purge: the site's policy may have changed it since."""
        self._clock = clock

    @property
    def _classes(self) -> list[DataClass]:
        return classes(self._storage)

    def report(self) -> list[DataClassState]:
        now = self._clock()
        states = []
        with self._db.read() as session:
            for data_class in self._classes:
                if data_class.keep is None:
                    count = int(session.scalar(select(func.count()).select_from(TrailRow)) or 0)
                    oldest = session.scalar(select(func.min(TrailRow.at)))
                    states.append(DataClassState(data_class, count, oldest, 0))
                    continue
                table, condition = _scope(data_class.name)
                where = [] if condition is None else [condition]
                count = int(
                    session.scalar(select(func.count()).select_from(table).where(*where)) or 0
                )
                oldest = session.scalar(select(func.min(table.decided_at)).where(*where))
                due = int(
                    session.scalar(
                        select(func.count())
                        .select_from(table)
                        .where(*where, table.decided_at < now - data_class.keep)
                    )
                    or 0
                )
                states.append(DataClassState(data_class, count, oldest, due))
        return states

    def purge(self, actor: str = ACTOR) -> dict[str, int]:
        """Remove what each class keeps too long; returns counts by class (trailed if any)."""
        now = self._clock()
        removed = {}
        for data_class in self._classes:
            if data_class.keep is None:
                continue
            cutoff = now - data_class.keep
            with self._db.write() as session:
                count = _purge(session, data_class.name, cutoff)
                if count:
                    detail = {
                        "data_class": data_class.name,
                        "removed": count,
                        "older_than": cutoff.isoformat(),
                        "retention_s": data_class.keep.total_seconds(),
                    }
                    self._db.trail.append(
                        session,
                        [TrailEvent("retention.purge", actor, data_class.name, detail)],
                    )
            removed[data_class.name] = count
        return removed


def _purge(session: Session, name: str, cutoff: datetime) -> int:
    table, condition = _scope(name)
    where = [table.decided_at < cutoff, *([] if condition is None else [condition])]
    options = {"synchronize_session": False}
    if name == "evidence":
        blank = update(DecisionRow).values(
            plate_crop_jpeg=None, frame_jpeg=None, face_chip_jpeg=None
        )
        result = session.execute(blank.where(*where).execution_options(**options))
    else:
        result = session.execute(delete(table).where(*where).execution_options(**options))
    return int(getattr(result, "rowcount", 0) or 0)
