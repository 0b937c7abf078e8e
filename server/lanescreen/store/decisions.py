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
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from ..domain.decisions import AlertSummary, Decision, Evidence, Outcome, PassageState
from ..errors import ConflictError, InvalidRequestError, NotFoundError
from .db import Database, storable, storable_copy
from .models import (
    DecisionMatchRow,
    DecisionRow,
    DispositionRow,
    FrameLogRow,
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


def decision_event(decision: Decision, record: dict[str, Any] | None = None) -> TrailEvent:
    """A HIT or REVIEW alert's audit-trail record, at its opening and at each change: enough to
    tie the stored record (``record``; default the decision's JSON) to what was shown, matched
    and decided, so a later edit of the hit log is evident."""
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
        "record_sha256": record_digest(record if record is not None else _first_record(decision)),
    }
    return TrailEvent(
        f"decision.{decision.outcome.value.lower()}",
        f"lane:{decision.lane_id}",
        f"decision:{decision.decision_id}",
        detail,
    )


def _first_record(alert: Decision) -> dict[str, Any]:
    return {**alert.to_json(), "history": [_history_entry(alert)]}


def _history_entry(alert: Decision) -> dict[str, Any]:
    return {
        "at": alert.decided_at.isoformat(),
        "outcome": alert.outcome.value,
        "reasons": [r.code.value for r in alert.reasons],
        "frame_id": alert.frame_id,
        "decision_id": alert.frame_decision_id or alert.decision_id,
        "closed": bool(alert.passages and alert.passages[0].closed),
    }


def _substance(alert: Decision) -> tuple[Any, ...]:
    """What makes an alert's record worth rewriting (and trailing) when it changes."""
    return (
        alert.outcome,
        tuple(r.code for r in alert.reasons),
        tuple((p.text, p.track_id) for p in alert.plates),
        tuple((m.watchlist_id, m.entry_id) for m in alert.matches),
    )


def _frame_log_row(decision: Decision) -> FrameLogRow:
    plates = decision.frame_plates or decision.plates
    return FrameLogRow(
        decision_id=decision.decision_id,
        lane_id=_column_text(decision.lane_id),
        plate_text=_column_text(plates[0].text if plates else ""),
        decided_at=decision.decided_at,
        outcome=decision.outcome.value,
        frame_id=_column_text(decision.frame_id),
        alert_id=decision.alert_id or None,
    )


def _alerts_of(decision: Decision) -> list[tuple[PassageState | None, Decision]]:
    """Each alert ``decision`` reaches, as the alert's own decision (its passage's outcome,
    reasons, reads and matches, under the alert's id)."""
    if not decision.passages:  # decided before passages were (an older node's journal)
        if decision.outcome is Outcome.CLEAR:
            return []
        return [(None, decision)]
    return [
        (
            state,
            replace(
                decision,
                decision_id=state.alert_id,
                frame_decision_id=decision.decision_id,
                outcome=state.outcome,
                reasons=state.reasons,
                plates=state.plates,
                matches=state.matches,
                passage_id=state.passage_id,
                passages=(state,),
            ),
        )
        for state in decision.passages
        if state.alert_id
    ]


def _alert_row(alert: Decision, evidence: Evidence | None, score: float) -> DecisionRow:
    return DecisionRow(
        decision_id=alert.decision_id,
        lane_id=_column_text(alert.lane_id),
        frame_id=_column_text(alert.frame_id),
        camera=alert.camera.value,
        passage_id=_column_text(alert.passage_id),
        outcome=alert.outcome.value,
        captured_at=alert.captured_at,
        decided_at=alert.decided_at,
        plate_text=_column_text(alert.plates[0].text if alert.plates else ""),
        record=_first_record(alert),
        budget_met=alert.budget_met,
        total_ms=alert.total_ms,
        plate_crop_jpeg=evidence.plate_crop_jpeg if evidence else None,
        frame_jpeg=evidence.frame_jpeg if evidence else None,
        face_chip_jpeg=evidence.face_chip_jpeg if evidence else None,
        frame_count=1,
        last_frame_at=alert.decided_at,
        closed_at=alert.decided_at if alert.passages and alert.passages[0].closed else None,
        evidence_score=score if evidence else 0.0,
    )


def _listed(row: Any) -> Decision:
    """A hit-log row as the decision it stands for, with its alert's summary."""
    decided_at, _, record, frames, last_at, closed_at = row
    decision = Decision.from_json(record)
    summary = AlertSummary(
        frames=frames,
        first_at=decided_at,
        last_at=last_at or decided_at,
        closed_at=closed_at,
        history=tuple(record.get("history", ())),
    )
    return replace(decision, alert=summary)


def alert_row(session: Session, key: str) -> DecisionRow | None:
    """The hit log's alert called ``key``, or the one the frame decision ``key`` went to."""
    if not storable(key):
        return None
    row = session.get(DecisionRow, key)
    if row is None:
        alert = session.scalar(select(FrameLogRow.alert_id).where(FrameLogRow.decision_id == key))
        row = session.get(DecisionRow, alert) if alert else None
    return row


class DecisionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, decision: Decision, evidence: Evidence | None = None) -> None:
        """Keep a decision once; committed when this returns. ConflictError if its id is
        already stored (a journal shipped again after a crash).

        Every decision goes to the frame log (lane, frame, outcome, plate text, time, never an
        image). Each of its passages that has an alert updates that alert in the hit log: the
        first HIT (or final REVIEW) opens it, later frames count into it and replace its record
        when its outcome, reads or matches change (trailed), and better evidence replaces its
        images. A HIT or REVIEW decided outside any passage (an older journal) is an alert of
        its own.
        """
        try:
            with self._db.write() as session:
                session.add(_frame_log_row(decision))
                session.flush()
                for state, alert in _alerts_of(decision):
                    self._keep_alert(session, decision, state, alert, evidence)
        except IntegrityError as exc:
            raise ConflictError(f"decision {decision.decision_id!r} is already recorded") from exc

    def _keep_alert(
        self,
        session: Session,
        decision: Decision,
        state: PassageState | None,
        alert: Decision,
        evidence: Evidence | None,
    ) -> None:
        row = session.get(DecisionRow, alert.decision_id, with_for_update=True)
        score = alert.plates[0].confidence if alert.plates else 0.0
        primary = state is None or state.passage_id == decision.passage_id
        kept = evidence if primary and evidence is not None else None
        if row is None:
            row = _alert_row(alert, kept, score)
            session.add(row)
            session.flush()
            self._add_matches(session, alert)
            self._db.trail.append(session, [decision_event(alert)])
            return
        ended = state is not None and state.closed
        if ended and row.closed_at is not None:
            return  # its end, told again to its lane's next frame: recorded when it happened
        reopened = row.closed_at is not None  # its plate seen again soon after its end
        if decision.frame_id:
            row.frame_count += 1
        row.last_frame_at = decision.decided_at
        row.closed_at = decision.decided_at if ended else None
        if kept is not None and score > row.evidence_score:
            row.plate_crop_jpeg, row.frame_jpeg = kept.plate_crop_jpeg, kept.frame_jpeg
            row.face_chip_jpeg = kept.face_chip_jpeg or row.face_chip_jpeg
            row.evidence_score = score
        before = Decision.from_json(row.record)
        if _substance(before) == _substance(alert) and not ended and not reopened:
            return
        history = [*row.record.get("history", []), _history_entry(alert)]
        row.record = {**alert.to_json(), "history": history}
        row.outcome = alert.outcome.value
        row.plate_text = _column_text(alert.plates[0].text if alert.plates else "")
        row.frame_id, row.total_ms, row.budget_met = (
            _column_text(alert.frame_id) or row.frame_id,
            alert.total_ms,
            alert.budget_met,
        )
        self._add_matches(session, alert)
        self._db.trail.append(session, [decision_event(alert, row.record)])

    def _add_matches(self, session: Session, alert: Decision) -> None:
        known = set(
            session.execute(
                select(DecisionMatchRow.watchlist_id, DecisionMatchRow.entry_id).where(
                    DecisionMatchRow.decision_id == alert.decision_id
                )
            ).all()
        )
        for w, e in dict.fromkeys((m.watchlist_id, m.entry_id) for m in alert.matches):
            if (w, e) not in known:
                session.add(
                    DecisionMatchRow(decision_id=alert.decision_id, watchlist_id=w, entry_id=e)
                )

    def verify_against_trail(self) -> HitLogCheck:
        """Check each stored decision against its trail record (run after the chain verifies).

        A hit-log row edited behind the service's back no longer hashes to what the trail
        recorded; one inserted without the service has no trail record at all.
        """
        with self._db.read() as session:
            expected: dict[str, str] = {}
            for target, detail in session.execute(  # an alert's latest record counts
                select(TrailRow.target, TrailRow.detail)
                .where(TrailRow.action.in_(("decision.hit", "decision.review")))
                .order_by(TrailRow.at, TrailRow.seq)
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
                        select(TrailRow.chain, TrailRow.seq)
                        .where(TrailRow.target == f"decision:{decision_id}")
                        .order_by(TrailRow.at.desc(), TrailRow.seq.desc())
                        .limit(1)
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
        return [_listed(row) for row in rows], token

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
            for row in rows:
                yield _listed(row)
            if len(rows) < batch:
                return
            after = (rows[-1][0], rows[-1][1])

    def get_hit(self, decision_id: str) -> Decision:
        """One alert of the hit log (or the alert a frame decision went to), with its summary.
        ``NotFoundError`` if there is no such alert."""
        with self._db.read() as session:
            row = alert_row(session, decision_id)
            if row is None:
                raise NotFoundError(f"decision {decision_id!r} is not in the hit log")
            return _listed(
                (
                    row.decided_at,
                    row.decision_id,
                    row.record,
                    row.frame_count,
                    row.last_frame_at,
                    row.closed_at,
                )
            )

    def get_evidence(self, decision_id: str) -> Evidence:
        """The images kept with an alert (or with the alert a frame decision went to: the
        passage's best). ``NotFoundError`` if there is no such alert."""
        with self._db.read() as session:
            row = alert_row(session, decision_id)
            if row is None:
                raise NotFoundError(f"decision {decision_id!r} is not in the hit log")
            return Evidence(row.plate_crop_jpeg, row.frame_jpeg, row.face_chip_jpeg)

    def logged_frames(self, outcome: Outcome | None = None) -> list[tuple[str, str | None]]:
        """(decision id, alert id) of every frame decision in the frame log, oldest first."""
        query = select(FrameLogRow.decision_id, FrameLogRow.alert_id).order_by(FrameLogRow.id)
        if outcome is not None:
            query = query.where(FrameLogRow.outcome == outcome.value)
        with self._db.read() as session:
            return [(str(d), a) for d, a in session.execute(query).all()]

    def count_clear_reads(self) -> int:
        with self._db.read() as session:
            count = select(func.count()).select_from(FrameLogRow)
            return int(session.scalar(count.where(FrameLogRow.outcome == "CLEAR")) or 0)


def hit_query(session: Session, filter: HitFilter) -> Select[tuple[Any, ...]]:
    """The stored alerts ``filter`` selects, as (decided_at, decision_id, record, frame_count,
    last_frame_at, closed_at) rows (:func:`_listed` makes them decisions)."""
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
    return select(
        DecisionRow.decided_at,
        DecisionRow.decision_id,
        DecisionRow.record,
        DecisionRow.frame_count,
        DecisionRow.last_frame_at,
        DecisionRow.closed_at,
    ).where(*conditions)


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
