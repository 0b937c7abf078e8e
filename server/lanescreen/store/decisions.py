"""The hit log: every HIT and REVIEW in full with its evidence; CLEAR reads only minimally.

A CLEAR read of a law-abiding traveller keeps just lane, plate text and time, and only for the
configured retention (:mod:`lanescreen.store.retention`); no image of it is ever stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from ..domain.decisions import Decision, Evidence, Outcome
from ..domain.errors import ConflictError, InvalidRequestError, NotFoundError
from .db import Database, storable, storable_copy
from .models import (
    ClearReadRow,
    DecisionMatchRow,
    DecisionRow,
    DispositionRow,
    TrailRow,
    WatchlistRow,
)
from .trail import TrailEvent

__all__ = ["DecisionStore", "Evidence", "HitFilter"]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class HitFilter:
    """Which stored decisions to list or export; unset fields do not filter."""

    since: datetime | None = None
    """``decided_at >= since``; a naive time is taken as UTC."""
    until: datetime | None = None
    """``decided_at < until``."""
    lane_id: str = ""
    watchlist: str = ""
    """Id or name of a watchlist the decision matched."""
    outcome: Outcome | None = None
    """HIT or REVIEW (CLEAR decisions are not kept)."""
    disposition: str = ""
    """``pending`` (the officer queue), ``confirmed`` or ``dismissed`` (the latest finding)."""

    def fingerprint(self) -> str:
        """Ties a page token to the filter it was issued for."""
        text = "|".join(
            str(v)
            for v in (
                self.since,
                self.until,
                self.lane_id,
                self.watchlist,
                self.outcome,
                self.disposition,
            )
        )
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def record_digest(record: dict[str, Any]) -> str:
    """SHA-256 of a stored decision record's canonical JSON (the trail keeps it)."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class HitLogCheck:
    """Whether every stored HIT/REVIEW is exactly what the audit trail says was recorded."""

    decisions: int
    broken_decision: str | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_decision is None


def decision_event(decision: Decision) -> TrailEvent:
    """A HIT or REVIEW's audit-trail record: enough to tie the stored decision to what was
    shown, matched and decided, so a later edit of the hit log is evident."""
    detail = {
        "lane_id": decision.lane_id,
        "frame_id": decision.frame_id,
        "passage_id": decision.passage_id,
        "outcome": decision.outcome.value,
        "reasons": [r.code.value for r in decision.reasons],
        "plates": [p.text for p in decision.plates],
        "matches": [
            {"kind": m.subject_kind, "entry_id": m.entry_id, "watchlist_id": m.watchlist_id}
            for m in decision.matches
        ],
        "decided_at": decision.decided_at.isoformat(),
        "record_sha256": record_digest(decision.to_json()),
    }
    return TrailEvent(
        f"decision.{decision.outcome.value.lower()}",
        f"lane:{decision.lane_id}",
        f"decision:{decision.decision_id}",
        detail,
    )


class DecisionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, decision: Decision, evidence: Evidence | None = None) -> None:
        """Keep a decision once; committed when this returns. ConflictError if its id is
        already stored (a journal shipped again after a crash).

        HIT and REVIEW go to the hit log with their evidence and matched lists. CLEAR keeps one
        minimal row (lane, first plate text, time) and never its evidence.
        """
        if decision.outcome is Outcome.CLEAR:
            plate = decision.plates[0].text if decision.plates else ""
            try:
                with self._db.write() as session:
                    session.add(
                        ClearReadRow(
                            decision_id=decision.decision_id,
                            lane_id=_column_text(decision.lane_id),
                            plate_text=_column_text(plate),
                            decided_at=decision.decided_at,
                        )
                    )
            except IntegrityError as exc:
                raise ConflictError(f"CLEAR {decision.decision_id!r} is already recorded") from exc
            return
        row = DecisionRow(
            decision_id=decision.decision_id,
            lane_id=_column_text(decision.lane_id),
            frame_id=_column_text(decision.frame_id),
            camera=decision.camera.value,
            passage_id=_column_text(decision.passage_id),
            outcome=decision.outcome.value,
            captured_at=decision.captured_at,
            decided_at=decision.decided_at,
            plate_text=_column_text(decision.plates[0].text if decision.plates else ""),
            record=decision.to_json(),
            budget_met=decision.budget_met,
            total_ms=decision.total_ms,
            plate_crop_jpeg=evidence.plate_crop_jpeg if evidence else None,
            frame_jpeg=evidence.frame_jpeg if evidence else None,
            face_chip_jpeg=evidence.face_chip_jpeg if evidence else None,
        )
        matched = dict.fromkeys((m.watchlist_id, m.entry_id) for m in decision.matches)
        try:
            with self._db.write() as session:
                session.add(row)
                session.flush()
                session.add_all(
                    DecisionMatchRow(decision_id=decision.decision_id, watchlist_id=w, entry_id=e)
                    for w, e in matched
                )
                self._db.trail.append(session, [decision_event(decision)])
        except IntegrityError as exc:
            raise ConflictError(f"decision {decision.decision_id!r} is already recorded") from exc

    def verify_against_trail(self) -> HitLogCheck:
        """Check each stored decision against its trail record (run after the chain verifies).

        A hit-log row edited behind the service's back no longer hashes to what the trail
        recorded; one inserted without the service has no trail record at all.
        """
        with self._db.read() as session:
            expected: dict[str, str] = {}
            for target, detail in session.execute(
                select(TrailRow.target, TrailRow.detail).where(
                    TrailRow.action.in_(("decision.hit", "decision.review"))
                )
            ):
                expected[target.removeprefix("decision:")] = str(detail.get("record_sha256", ""))
            count = 0
            rows = session.execute(
                select(DecisionRow.decision_id, DecisionRow.record).order_by(
                    DecisionRow.decided_at, DecisionRow.decision_id
                )
            )
            for decision_id, record in rows:
                count += 1
                if decision_id not in expected:
                    return HitLogCheck(
                        count,
                        decision_id,
                        f"decision {decision_id} is in the hit log but was never recorded in the "
                        "audit trail (inserted behind the service's back)",
                    )
                if record_digest(record) != expected[decision_id]:
                    chain, seq = session.execute(
                        select(TrailRow.chain, TrailRow.seq).where(
                            TrailRow.target == f"decision:{decision_id}"
                        )
                    ).one()
                    return HitLogCheck(
                        count,
                        decision_id,
                        f"decision {decision_id} was changed after it was recorded: it no longer "
                        f"matches audit-trail record {seq} of chain {chain}",
                    )
            return HitLogCheck(count)

    def record_access(
        self, action: str, actor: str, filter: HitFilter, detail: dict[str, Any]
    ) -> None:
        """Put a search, an export or an evidence view in the audit trail: who, what, why."""
        what = {
            "since": filter.since.isoformat() if filter.since else None,
            "until": filter.until.isoformat() if filter.until else None,
            "lane_id": filter.lane_id,
            "watchlist": filter.watchlist,
            "outcome": filter.outcome.value if filter.outcome else None,
        }
        self._db.record_event(action, actor, "hits", {"filter": what, **detail})

    def list_hits(
        self, filter: HitFilter, page_size: int = DEFAULT_PAGE_SIZE, page_token: str = ""
    ) -> tuple[list[Decision], str]:
        """One page of stored decisions, newest first, and the next page's token ("" at the end)."""
        if page_size < 0:
            raise InvalidRequestError("page_size: must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        with self._db.read() as session:
            query = hit_query(session, filter)
            if page_token:
                decided_at, decision_id = _decode_token(page_token, filter)
                query = query.where(
                    or_(
                        DecisionRow.decided_at < decided_at,
                        and_(
                            DecisionRow.decided_at == decided_at,
                            DecisionRow.decision_id < decision_id,
                        ),
                    )
                )
            query = query.order_by(DecisionRow.decided_at.desc(), DecisionRow.decision_id.desc())
            rows = session.execute(query.limit(size + 1)).all()
        token = ""
        if len(rows) > size:
            rows = rows[:size]
            token = _encode_token(rows[-1][0], rows[-1][1], filter)
        return [Decision.from_json(record) for _, _, record in rows], token

    def iter_hits(self, filter: HitFilter, batch: int = 500) -> Iterator[Decision]:
        """Every matching decision, oldest first, read in batches (for exports of any size).

        Each batch is its own short read, so a slow consumer never holds a transaction open.
        """
        if batch <= 0:
            raise InvalidRequestError("batch: must be positive")
        after: tuple[datetime, str] | None = None
        while True:
            with self._db.read() as session:
                query = hit_query(session, filter)
                if after is not None:
                    query = query.where(
                        or_(
                            DecisionRow.decided_at > after[0],
                            and_(
                                DecisionRow.decided_at == after[0],
                                DecisionRow.decision_id > after[1],
                            ),
                        )
                    )
                query = query.order_by(DecisionRow.decided_at, DecisionRow.decision_id).limit(batch)
                rows = session.execute(query).all()
            for _, _, record in rows:
                yield Decision.from_json(record)
            if len(rows) < batch:
                return
            after = (rows[-1][0], rows[-1][1])

    def get_evidence(self, decision_id: str) -> Evidence:
        """The images kept with a decision. ``NotFoundError`` if there is no such decision."""
        if not storable(decision_id):
            raise NotFoundError(f"decision {decision_id!r} is not in the hit log")
        with self._db.read() as session:
            row = session.execute(
                select(
                    DecisionRow.plate_crop_jpeg, DecisionRow.frame_jpeg, DecisionRow.face_chip_jpeg
                ).where(DecisionRow.decision_id == decision_id)
            ).first()
        if row is None:
            raise NotFoundError(f"decision {decision_id!r} is not in the hit log")
        return Evidence(plate_crop_jpeg=row[0], frame_jpeg=row[1], face_chip_jpeg=row[2])

    def count_clear_reads(self) -> int:
        with self._db.read() as session:
            return int(session.scalar(select(func.count()).select_from(ClearReadRow)) or 0)


def hit_query(session: Session, filter: HitFilter) -> Select[tuple[datetime, str, dict[str, Any]]]:
    """The stored decisions ``filter`` selects, as (decided_at, decision_id, record) rows."""
    conditions: list[ColumnElement[bool]] = []
    if filter.since is not None:
        conditions.append(DecisionRow.decided_at >= _aware(filter.since))
    if filter.until is not None:
        conditions.append(DecisionRow.decided_at < _aware(filter.until))
    if filter.lane_id:
        conditions.append(DecisionRow.lane_id == _column_text(filter.lane_id))
    if filter.outcome is not None:
        if filter.outcome is Outcome.CLEAR:
            raise InvalidRequestError("outcome: only HIT and REVIEW decisions are kept")
        conditions.append(DecisionRow.outcome == filter.outcome.value)
    if filter.watchlist:
        key = filter.watchlist.strip()
        if not storable(key):
            raise NotFoundError(f"watchlist {key!r} does not exist")
        watchlist_id = session.scalar(
            select(WatchlistRow.id)
            .where(or_(WatchlistRow.id == key, WatchlistRow.name == key))
            .order_by((WatchlistRow.id == key).desc())
            .limit(1)
        )
        if watchlist_id is None:
            raise NotFoundError(f"watchlist {key!r} does not exist")
        conditions.append(
            exists().where(
                DecisionMatchRow.decision_id == DecisionRow.decision_id,
                DecisionMatchRow.watchlist_id == watchlist_id,
            )
        )
    if filter.disposition:
        conditions.append(_disposition_condition(filter.disposition))
    return select(DecisionRow.decided_at, DecisionRow.decision_id, DecisionRow.record).where(
        *conditions
    )


def _disposition_condition(wanted: str) -> ColumnElement[bool]:
    """Decisions whose latest disposition is ``wanted`` (``pending``: they have none)."""
    if wanted == "pending":
        return ~exists().where(DispositionRow.decision_id == DecisionRow.decision_id)
    if wanted not in ("confirmed", "dismissed"):
        raise InvalidRequestError(f"disposition: {wanted!r} is not pending, confirmed or dismissed")
    later = aliased(DispositionRow)
    return exists().where(
        DispositionRow.decision_id == DecisionRow.decision_id,
        DispositionRow.verdict == wanted,
        ~exists().where(
            later.decision_id == DispositionRow.decision_id, later.id > DispositionRow.id
        ),
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _column_text(value: str) -> str:
    """Terminal-supplied text as kept in filter columns, which cannot hold NUL or lone surrogates.

    The decision record itself keeps the text exactly as received.
    """
    return storable_copy(value)


def _encode_token(decided_at: datetime, decision_id: str, filter: HitFilter) -> str:
    payload = json.dumps([decided_at.isoformat(), decision_id, filter.fingerprint()])
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _decode_token(token: str, filter: HitFilter) -> tuple[datetime, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        decided_text, decision_id, fingerprint = json.loads(
            base64.urlsafe_b64decode(padded.encode("ascii"))
        )
        decided_at = _aware(datetime.fromisoformat(decided_text))
        if (
            not isinstance(decision_id, str)
            or not isinstance(fingerprint, str)
            or not storable(decision_id)
        ):
            raise ValueError("not strings")
    except (ValueError, TypeError, UnicodeError, binascii.Error) as exc:
        raise InvalidRequestError("page_token: not a token this service handed out") from exc
    if fingerprint != filter.fingerprint():
        raise InvalidRequestError("page_token: was issued for a different filter")
    return decided_at, decision_id
