"""Hit-log exports for auditors: CSV (one row per decision) or JSON Lines (the stored records).

The AuditService RPC and ``lanescreen audit export`` both stream through :func:`export_hits`, so
a file fetched either way is byte for byte the same.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import InvalidRequestError
from .decisions import Decision, MatchRecord, PlateRead
from .text import csv_cell

EXPORT_FORMATS = ("csv", "jsonl")
CSV_COLUMNS = (
    "decision_id",
    "decided_at",
    "captured_at",
    "lane_id",
    "frame_id",
    "camera",
    "outcome",
    "reasons",
    "reason_details",
    "plate_text",
    "plate_confidence",
    "entry_id",
    "watchlist",
    "category",
    "action",
    "match_kind",
    "distance",
    "matches",
    "timings",
    "budget_ms",
    "budget_met",
    "total_ms",
    "frames",
    "last_frame_at",
    "closed_at",
)
"""The CSV header: one row per alert (a passage). ``entry_id`` to ``distance`` describe the best
match (the decision's first); ``frames`` to ``closed_at`` the passage's frames."""


def export_hits(decisions: Iterable[Decision], fmt: str) -> Iterator[bytes]:
    """The export file in pieces (header first for CSV), one decision per piece; UTF-8.

    An unknown ``fmt`` raises here, before anything is streamed.
    """
    if fmt not in EXPORT_FORMATS:
        raise InvalidRequestError(f"format: {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    return _pieces(decisions, fmt)


def _pieces(decisions: Iterable[Decision], fmt: str) -> Iterator[bytes]:
    if fmt == "jsonl":
        for decision in decisions:
            yield (_json(decision.to_json()) + "\n").encode()
        return
    yield _csv_line(CSV_COLUMNS)
    for decision in decisions:
        yield _csv_line(csv_row(decision))


TRAIL_COLUMNS = ("at", "chain", "seq", "actor", "action", "target", "detail", "hash")
"""The CSV header of a trail export: one row per record, its particulars as JSON."""


def export_trail(records: Iterable[dict[str, Any]], fmt: str) -> Iterator[bytes]:
    """Trail records (as :data:`TRAIL_COLUMNS` by name) as an export file in pieces; UTF-8.
    CSV cells are neutralised like the hit log's: an actor or target is people's text."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidRequestError(f"format: {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    return _trail_pieces(records, fmt)


def _trail_pieces(records: Iterable[dict[str, Any]], fmt: str) -> Iterator[bytes]:
    if fmt == "jsonl":
        for record in records:
            yield (_json(record) + "\n").encode()
        return
    yield _csv_line(TRAIL_COLUMNS)
    for record in records:
        yield _csv_line(
            [_json(record[c]) if c == "detail" else str(record[c]) for c in TRAIL_COLUMNS]
        )


def csv_row(decision: Decision) -> list[str]:
    """One decision as CSV cells, in :data:`CSV_COLUMNS` order."""
    record = decision.to_json()
    best: MatchRecord | None = decision.matches[0] if decision.matches else None
    plate = _plate_for(decision, best)
    return [
        decision.decision_id,
        record["decided_at"],
        record["captured_at"],
        decision.lane_id,
        decision.frame_id,
        record["camera"],
        record["outcome"],
        ";".join(r.code.value for r in decision.reasons),
        " | ".join(r.detail for r in decision.reasons),
        plate.text if plate else "",
        f"{plate.confidence:.4f}" if plate else "",
        best.entry_id if best else "",
        best.watchlist_name if best else "",
        best.category if best else "",
        best.action if best else "",
        best.match_kind if best else "",
        str(best.distance) if best else "",
        _json(record["matches"]),
        _json(record["timings"]),
        str(decision.budget_ms),
        "true" if decision.budget_met else "false",
        str(record["total_ms"]),
        str(decision.alert.frames) if decision.alert else "1",
        decision.alert.last_at.isoformat() if decision.alert else record["decided_at"],
        decision.alert.closed_at.isoformat() if decision.alert and decision.alert.closed_at else "",
    ]


def _plate_for(decision: Decision, best: MatchRecord | None) -> PlateRead | None:
    """The read the best match came from (its text or one of its alternatives), else the first."""
    if best is not None:
        for plate in decision.plates:
            if plate.text == best.read_text or any(
                c.text == best.read_text for c in plate.candidates
            ):
                return plate
    return decision.plates[0] if decision.plates else None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _csv_line(cells: Iterable[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(csv_cell(cell) for cell in cells)
    return out.getvalue().encode()
