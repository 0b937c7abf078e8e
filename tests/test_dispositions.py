"""Officer confirmation: the queue, dispositions with codes, corrections, counts and the trail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lanescreen.cli.main import main
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


def test_cli_queue_dispose_and_stats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from lanescreen.config import StorageConfig
    from lanescreen.store.db import open_configured

    monkeypatch.setenv("LANESCREEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANESCREEN_ACTOR", "officer.kim")
    monkeypatch.delenv("LANESCREEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("LANESCREEN_CONFIG", raising=False)
    with open_configured(StorageConfig(data_dir=tmp_path / "data")) as db:
        first, second = make_decision(Outcome.HIT), make_decision(Outcome.REVIEW)
        DecisionStore(db).record(first, None)
        DecisionStore(db).record(second, None)

    def run(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    status, out, _ = run("audit", "queue", "--json")
    assert status == 0 and {h["decision_id"] for h in json.loads(out)["hits"]} == {
        first.decision_id,
        second.decision_id,
    }
    status, out, _ = run("audit", "dispose", first.decision_id, "confirmed", "vehicle_stopped")
    assert status == 0 and "confirmed (vehicle_stopped) by officer.kim" in out
    status, _, err = run("audit", "dispose", second.decision_id, "dismissed", "other")
    assert status == 2 and "needs a note" in err
    status, out, _ = run("audit", "queue", "--json")
    assert [h["decision_id"] for h in json.loads(out)["hits"]] == [second.decision_id]
    status, out, _ = run("audit", "stats", "--json")
    report = json.loads(out)
    assert report["by_outcome"]["HIT"]["confirmed_share"] == 1.0
    assert report["by_outcome"]["REVIEW"]["pending"] == 1
    status, out, _ = run("audit", "verify")
    assert status == 0 and "intact" in out
