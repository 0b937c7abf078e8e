"""Officer confirmation: the queue, dispositions with codes, corrections, counts and the trail."""

from __future__ import annotations

import pytest
from lanescreen.domain.decisions import Outcome
from lanescreen.domain.dispositions import Verdict
from lanescreen.errors import InvalidRequestError, NotFoundError
from lanescreen.store.db import Database
from lanescreen.store.decisions import DecisionStore, HitFilter
from lanescreen.store.dispositions import DispositionStore
from lanescreen.store.models import TrailRow
from sqlalchemy import select

from tests.store_fixtures import make_decision


@pytest.fixture
def stored(database: Database) -> list[str]:
    store = DecisionStore(database)
    decisions = [
        make_decision(Outcome.HIT),
        make_decision(Outcome.HIT),
        make_decision(Outcome.REVIEW),
        make_decision(Outcome.HIT),
    ]
    for d in decisions:
        store.record(d, None)
    return [d.decision_id for d in decisions]


def pending(database: Database) -> set[str]:
    hits, _ = DecisionStore(database).list_hits(HitFilter(disposition="pending"))
    return {d.decision_id for d in hits}


def test_the_queue_empties_as_officers_dispose(database: Database, stored: list[str]) -> None:
    store = DispositionStore(database)
    assert pending(database) == set(stored)
    store.dispose(stored[0], "confirmed", "vehicle_stopped", "", "officer.kim")
    store.dispose(stored[1], "dismissed", "misread", "plate reads AB128CD", "officer.kim")
    assert pending(database) == {stored[2], stored[3]}
    confirmed, _ = DecisionStore(database).list_hits(HitFilter(disposition="confirmed"))
    assert [d.decision_id for d in confirmed] == [stored[0]]
    latest = store.latest(stored)
    assert set(latest) == {stored[0], stored[1]}
    assert latest[stored[1]].code == "misread" and latest[stored[1]].note == "plate reads AB128CD"


def test_a_correction_supersedes_and_both_stay_on_record(
    database: Database, stored: list[str]
) -> None:
    store = DispositionStore(database)
    store.dispose(stored[0], "dismissed", "misread", "", "officer.kim")
    store.dispose(stored[0], "confirmed", "vehicle_stopped", "checked again", "supervisor.ali")
    assert [d.verdict for d in store.history(stored[0])] == [Verdict.DISMISSED, Verdict.CONFIRMED]
    assert store.latest([stored[0]])[stored[0]].actor == "supervisor.ali"
    dismissed, _ = DecisionStore(database).list_hits(HitFilter(disposition="dismissed"))
    assert stored[0] not in {d.decision_id for d in dismissed}
    with database.read() as session:
        trail = list(session.scalars(select(TrailRow).where(TrailRow.action == "disposition")))
    assert [(t.actor, t.detail["verdict"], t.detail["supersedes"]) for t in trail] == [
        ("officer.kim", "dismissed", None),
        ("supervisor.ali", "confirmed", "dismissed"),
    ]
    with database.read() as session:
        assert database.trail.verify(session).ok


def test_bad_dispositions_are_refused_with_the_reason(
    database: Database, stored: list[str]
) -> None:
    store = DispositionStore(database)
    with pytest.raises(InvalidRequestError, match="verdict"):
        store.dispose(stored[0], "maybe", "misread", "", "officer.kim")
    with pytest.raises(InvalidRequestError, match="not a confirmed code"):
        store.dispose(stored[0], "confirmed", "misread", "", "officer.kim")
    with pytest.raises(InvalidRequestError, match="needs a note"):
        store.dispose(stored[0], "dismissed", "other", " ", "officer.kim")
    with pytest.raises(NotFoundError):
        store.dispose("no-such-decision", "confirmed", "vehicle_stopped", "", "officer.kim")
    assert pending(database) == set(stored)


def test_stats_count_the_latest_findings(database: Database, stored: list[str]) -> None:
    store = DispositionStore(database)
    store.dispose(stored[0], "confirmed", "vehicle_stopped", "", "officer.kim")
    store.dispose(stored[1], "dismissed", "misread", "", "officer.kim")
    store.dispose(stored[1], "dismissed", "duplicate", "", "officer.kim")
    store.dispose(stored[2], "confirmed", "review_resolved", "", "officer.kim")
    stats = store.stats(HitFilter())
    assert dict(stats.by_outcome["HIT"]) == {"confirmed": 1, "dismissed": 1, "pending": 1}
    assert dict(stats.by_outcome["REVIEW"]) == {"confirmed": 1}
    assert stats.confirmed_share("HIT") == 0.5
    assert dict(stats.by_code) == {
        "confirmed/vehicle_stopped": 1,
        "dismissed/duplicate": 1,
        "confirmed/review_resolved": 1,
    }
    only_hits = store.stats(HitFilter(outcome=Outcome.HIT))
    assert set(only_hits.by_outcome) == {"HIT"}
