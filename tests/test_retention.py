"""Retention by data class: each class purged at its own age, every purge in the audit trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lanescreen.cli.main import main
from lanescreen.config import StorageConfig
from lanescreen.domain.decisions import Evidence, Outcome
from lanescreen.store.db import Database, open_configured
from lanescreen.store.decisions import DecisionStore
from lanescreen.store.dispositions import DispositionStore
from lanescreen.store.models import DecisionRow, DispositionRow, TrailRow
from lanescreen.store.retention import Retention
from sqlalchemy import func, select

from tests.store_fixtures import make_decision

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
EVIDENCE = Evidence(b"\xff\xd8crop", b"\xff\xd8frame", b"\xff\xd8face")


def at(**ago: float) -> datetime:
    return NOW - timedelta(**ago)


def test_each_class_goes_at_its_own_age_and_the_purge_is_trailed(database: Database) -> None:
    store = DecisionStore(database)
    kept_hit = make_decision(Outcome.HIT, decided_at=at(days=200))
    old_hit = make_decision(Outcome.HIT, decided_at=at(days=800))
    old_review = make_decision(Outcome.REVIEW, decided_at=at(days=100))
    new_review = make_decision(Outcome.REVIEW, decided_at=at(days=10))
    for decision in (kept_hit, old_hit, old_review, new_review):
        store.record(decision, EVIDENCE)
    for hours in (1, 30):
        store.record(make_decision(Outcome.CLEAR, decided_at=at(hours=hours)), None)
    DispositionStore(database).dispose(
        old_review.decision_id, "dismissed", "misread", "", "officer.kim"
    )
    retention = Retention(database, StorageConfig(), clock=lambda: NOW)
    due = {s.data_class.name: s.due for s in retention.report()}
    assert due == {
        "frame_log": 5,  # every frame older than a day: the CLEAR one and the four alerted
        "evidence": 2,  # the 200-day hit keeps its record but not its images
        "review_decisions": 1,
        "hit_decisions": 1,
        "audit_trail": 0,
    }
    removed = retention.purge()
    assert removed == {"frame_log": 5, "evidence": 2, "review_decisions": 1, "hit_decisions": 1}
    assert store.count_clear_reads() == 1
    with database.read() as session:
        left = {
            d: (crop is not None)
            for d, crop in session.execute(select(DecisionRow.decision_id, DecisionRow.frame_jpeg))
        }
        dispositions = session.scalar(select(func.count()).select_from(DispositionRow))
        purges = list(session.scalars(select(TrailRow).where(TrailRow.action == "retention.purge")))
    assert left == {kept_hit.decision_id: False, new_review.decision_id: True}
    assert dispositions == 0
    assert {p.target: p.detail["removed"] for p in purges} == {
        "frame_log": 5,
        "evidence": 2,
        "review_decisions": 1,
        "hit_decisions": 1,
    }
    assert retention.purge() == dict.fromkeys(removed, 0)
    with database.read() as session:
        assert database.trail.verify(session).ok
    assert store.verify_against_trail().ok  # blanking images leaves the trailed record intact


def test_cli_shows_the_policy_and_what_is_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LANESCREEN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LANESCREEN_REVIEW_RETENTION_DAYS", "7")
    monkeypatch.delenv("LANESCREEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("LANESCREEN_CONFIG", raising=False)
    with open_configured(StorageConfig(data_dir=tmp_path)) as db:
        DecisionStore(db).record(
            make_decision(Outcome.REVIEW, decided_at=datetime.now(UTC) - timedelta(days=8)), None
        )
    assert main(["audit", "retention", "--json"]) == 0
    report = {c["name"]: c for c in json.loads(capsys.readouterr().out)["classes"]}
    assert report["review_decisions"]["keep_s"] == 7 * 86400
    assert (report["review_decisions"]["count"], report["review_decisions"]["due"]) == (1, 1)
    assert report["audit_trail"]["keep_s"] is None and report["audit_trail"]["count"] == 1
    assert main(["audit", "retention"]) == 0
    assert "never for people who matched nothing" in capsys.readouterr().out
