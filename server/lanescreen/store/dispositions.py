"""Officers' dispositions of stored decisions, and the counts that measure the hits.

Each disposition is a new row (a correction never overwrites the first finding) written with its
audit-trail record in one transaction. The officer queue is the hit log filtered to decisions with
no disposition (:class:`~lanescreen.store.decisions.HitFilter` ``disposition="pending"``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased

from ..domain.dispositions import Disposition, Verdict, check_disposition
from ..errors import NotFoundError
from .db import Database
from .decisions import HitFilter, alert_row, hit_query
from .models import DecisionRow, DispositionRow
from .trail import TrailEvent
from .watchlists import _actor


@dataclass(frozen=True)
class DispositionStats:
    """How the stored decisions were found: per outcome, the latest verdict and code counts."""

    by_outcome: dict[str, Counter[str]]
    """Outcome (HIT/REVIEW) -> counts of ``pending``, ``confirmed``, ``dismissed``."""
    by_code: Counter[str]
    """``verdict/code`` -> count (latest dispositions only)."""

    def confirmed_share(self, outcome: str) -> float | None:
        """Confirmed out of disposed-of decisions of this outcome (None: none disposed of)."""
        counts = self.by_outcome.get(outcome, Counter())
        done = counts["confirmed"] + counts["dismissed"]
        return counts["confirmed"] / done if done else None


class DispositionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def dispose(
        self, decision_id: str, verdict: str, code: str, note: str, actor: str
    ) -> Disposition:
        """Record a finding on an alert (named by its id, or by any frame decision that went to
        it), and in the audit trail."""
        checked, code, note = check_disposition(verdict, code, note)
        actor = _actor(actor)
        now = datetime.now(UTC)
        with self._db.write() as session:
            row = alert_row(session, decision_id)
            if row is None:
                raise NotFoundError(f"decision {decision_id!r} is not in the hit log")
            decision_id = row.decision_id  # a frame's decision: its passage's alert
            previous = session.scalar(
                select(DispositionRow.verdict)
                .where(DispositionRow.decision_id == decision_id)
                .order_by(DispositionRow.id.desc())
                .limit(1)
            )
            session.add(
                DispositionRow(
                    decision_id=decision_id,
                    verdict=checked.value,
                    code=code,
                    note=note,
                    actor=actor,
                    at=now,
                )
            )
            detail = {
                "verdict": checked.value,
                "code": code,
                "note": note,
                "outcome": row.outcome,
                "lane_id": row.lane_id,
                "supersedes": previous,
            }
            self._db.trail.append(
                session, [TrailEvent("disposition", actor, f"decision:{decision_id}", detail)]
            )
        return Disposition(decision_id, checked, code, note, actor, now)

    def history(self, decision_id: str) -> list[Disposition]:
        """Every disposition of a decision, oldest first."""
        with self._db.read() as session:
            rows = session.scalars(
                select(DispositionRow)
                .where(DispositionRow.decision_id == decision_id)
                .order_by(DispositionRow.id)
            )
            return [_value(r) for r in rows]

    def latest(self, decision_ids: Sequence[str]) -> dict[str, Disposition]:
        """The latest disposition of each of these decisions that has one."""
        if not decision_ids:
            return {}
        with self._db.read() as session:
            newest = (
                select(func.max(DispositionRow.id))
                .where(DispositionRow.decision_id.in_(decision_ids))
                .group_by(DispositionRow.decision_id)
            )
            rows = session.scalars(select(DispositionRow).where(DispositionRow.id.in_(newest)))
            return {r.decision_id: _value(r) for r in rows}

    def stats(self, filter: HitFilter) -> DispositionStats:
        """Counts over the stored decisions that ``filter`` selects (its disposition ignored)."""
        by_outcome: dict[str, Counter[str]] = {}
        by_code: Counter[str] = Counter()
        base = HitFilter(
            filter.since, filter.until, filter.lane_id, filter.watchlist, filter.outcome
        )
        with self._db.read() as session:
            selected = hit_query(session, base).whereclause
            where = [selected] if selected is not None else []
            # One pass over the selected alerts, each with its latest disposition (if any):
            # the newest disposition is the one no later disposition of the alert follows.
            later = aliased(DispositionRow)
            newest = ~exists().where(
                later.decision_id == DispositionRow.decision_id, later.id > DispositionRow.id
            )
            rows = session.execute(
                select(
                    DecisionRow.outcome, DispositionRow.verdict, DispositionRow.code, func.count()
                )
                .select_from(DecisionRow)
                .outerjoin(
                    DispositionRow,
                    and_(DispositionRow.decision_id == DecisionRow.decision_id, newest),
                )
                .where(*where)
                .group_by(DecisionRow.outcome, DispositionRow.verdict, DispositionRow.code)
            )
            for outcome, verdict, code, n in rows:
                by_outcome.setdefault(outcome, Counter())[verdict or "pending"] += int(n)
                if verdict is not None:
                    by_code[f"{verdict}/{code}"] += int(n)
        return DispositionStats(by_outcome, by_code)


def _value(row: DispositionRow) -> Disposition:
    return Disposition(row.decision_id, Verdict(row.verdict), row.code, row.note, row.actor, row.at)
