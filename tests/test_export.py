"""Hit-log exports: JSON Lines are the stored records; CSV has one explained row per decision."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from lanescreen.domain.decisions import Decision, Outcome
from lanescreen.domain.export import CSV_COLUMNS, export_hits
from lanescreen.errors import InvalidRequestError

from tests.store_fixtures import make_decision

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def export(decisions: list[Decision], fmt: str) -> bytes:
    return b"".join(export_hits(iter(decisions), fmt))


def test_jsonl_is_one_record_per_line_and_round_trips() -> None:
    decisions = [
        make_decision(Outcome.HIT, decided_at=T0),
        make_decision(Outcome.REVIEW, decided_at=T0),
    ]
    lines = export(decisions, "jsonl").decode().splitlines()
    assert [Decision.from_json(json.loads(line)) for line in lines] == decisions


def test_csv_row_explains_the_decision_and_its_best_match() -> None:
    decision = make_decision(Outcome.HIT, decided_at=T0, frame_id='frame "7", lane\n1')
    rows = list(csv.DictReader(io.StringIO(export([decision], "csv").decode(), newline="")))
    assert list(rows[0]) == list(CSV_COLUMNS)
    row = rows[0]
    assert row["decision_id"] == decision.decision_id
    assert row["decided_at"] == T0.isoformat() and row["frame_id"] == 'frame "7", lane\n1'
    assert (row["outcome"], row["reasons"], row["camera"]) == ("HIT", "deny_list_match", "plate")
    assert (row["plate_text"], row["plate_confidence"]) == ("ABC123", "0.9100")
    assert (row["entry_id"], row["watchlist"], row["category"], row["action"]) == (
        "entry-ABC123",
        "stolen",
        "stolen",
        "stop",
    )
    assert (row["match_kind"], row["distance"]) == ("exact", "0")
    assert json.loads(row["matches"]) == decision.to_json()["matches"]
    assert json.loads(row["timings"]) == {"detect": 31.5, "read": 12.25, "match": 0.1}
    assert (row["budget_ms"], row["budget_met"], row["total_ms"]) == ("250", "true", "48.0")


def test_csv_row_without_plate_or_match() -> None:
    decision = replace(make_decision(Outcome.REVIEW, decided_at=T0), plates=())
    row = next(csv.DictReader(io.StringIO(export([decision], "csv").decode())))
    assert row["plate_text"] == row["entry_id"] == row["distance"] == "" and row["matches"] == "[]"


def test_empty_exports() -> None:
    assert export([], "jsonl") == b""
    assert export([], "csv").decode() == ",".join(CSV_COLUMNS) + "\n"


def test_unknown_format() -> None:
    with pytest.raises(InvalidRequestError, match="format"):
        export_hits([], "xml")  # at the call, before a stream starts
