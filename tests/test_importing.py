"""Import files: good rows load, each bad row is reported with its line and reason, nothing raises
except a whole-file problem (as InvalidRequestError)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lanescreen.domain.importing import ImportRow, format_export, parse_import
from lanescreen.domain.watchlists import EntryFields, MatchMode
from lanescreen.errors import InvalidRequestError

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
HEADER = "plate,region,match_mode,category,action,priority,reason,legal_basis,owner,expires_at\n"
"""A file written before case numbers: still a valid header (every column but plate is optional)."""
EXPORT_HEADER = (
    "plate,region,match_mode,category,action,priority,reason,legal_basis,case_number,owner,"
    "expires_at\n"
)


def parse(data: str | bytes, fmt: str = "auto") -> list[ImportRow]:
    return parse_import(data.encode() if isinstance(data, str) else data, fmt, now=NOW)


def errors(rows: list[ImportRow]) -> list[str]:
    return [row.describe() for row in rows if not row.ok]


def test_csv_rows_become_entries_and_bad_rows_say_why() -> None:
    rows = parse(
        HEADER
        + "AB-123-CD,eu,lenient,stolen,stop,80,reported stolen,case 2026/118,unit 4,2027-06-30\n"
        "\n"
        "XY 999,,,,,high,,,,\n"
        "ZZ1,,fuzzy,,,,,,,\n"
        "QQ77,,,,,,,,,2020-01-01\n"
        ",,,,,,,,,\n"
        "K9,,,,,,,,,\n"
    )
    good = [r for r in rows if r.ok]
    assert [r.line for r in good] == [2, 8]
    first = good[0].fields
    assert first == EntryFields(
        plate="AB-123-CD",
        region="eu",
        match_mode=MatchMode.LENIENT,
        category="stolen",
        action="stop",
        priority=80,
        reason="reported stolen",
        legal_basis="case 2026/118",
        owner="unit 4",
        expires_at=datetime(2027, 6, 30, tzinfo=UTC),
    )
    assert errors(rows) == [
        "line 4: priority: 'high' is not a whole number",
        "line 5: match_mode: 'fuzzy' is not 'exact' or 'lenient'",
        "line 6: expires_at: 2020-01-01T00:00:00+00:00 is already past",
    ]


def test_only_the_plate_column_is_required_and_columns_may_come_in_any_order() -> None:
    rows = parse("Reason , PLATE\nfound on camera,AB123\n")
    assert rows[0].fields == EntryFields(plate="AB123", reason="found on camera")


def test_semicolon_and_tab_separated_files() -> None:
    assert parse("plate;priority\nAB123;70\n")[0].fields == EntryFields("AB123", priority=70)
    assert parse("plate\tpriority\nAB123\t70\n")[0].fields == EntryFields("AB123", priority=70)


def test_bom_crlf_and_quoted_multiline_fields() -> None:
    data = b'\xef\xbb\xbfplate,reason\r\nAB123,"two\r\nlines"\r\nCD456,x\r\n'
    rows = parse(data)
    assert [(r.line, r.ok) for r in rows] == [(2, True), (4, True)]
    assert rows[0].fields is not None and rows[0].fields.reason == "two\r\nlines"


def test_ragged_rows() -> None:
    rows = parse("plate,category,\nAB123,stolen,\nCD456\nEF789,stolen,,\nGH012,stolen,oops\n")
    assert [r.ok for r in rows] == [True, True, False, False]
    assert errors(rows) == [
        "line 4: 4 columns, but the header has 3 (an unquoted comma?)",
        "line 5: column 3 has no name in the header but holds 'oops'",
    ]


def test_bad_bytes_and_control_characters_refuse_only_their_row() -> None:
    data = HEADER.encode() + b"AB123,,,,,,caf\xe9,,,\nCD456,,,,,,ok,,,\nEF789,,,,,,a\x07b,,,\n"
    rows = parse(data)
    assert errors(rows) == [
        "line 2: reason: is not valid UTF-8 text",
        "line 4: reason: contains the control character U+0007",
    ]
    assert rows[1].ok


def test_broken_quoting_is_reported_and_later_rows_still_load() -> None:
    rows = parse('plate,reason\nAB123,"fine"\nCD456,"broken"x\nEF789,ok\n')
    assert [r.ok for r in rows] == [True, False, True]
    assert rows[1].line == 3 and "not valid CSV" in rows[1].error


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b",,,\n", "no header row"),
        (b"AB123,stolen,stop\n", "expected a header row"),
        (b"plate,colour\nAB123,red\n", "unknown column(s) 'colour'"),
        (b"plate,plate\nAB1,AB2\n", "more than once"),
        (b"region,reason\neu,x\n", "no 'plate' column"),
        (b"\xff\xfep\x00l\x00", "UTF-16"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not text"),
        (b"[1, 2", "not valid JSON"),
        (b'{"plate": "AB1"', "not valid JSON"),
    ],
)
def test_whole_file_problems(data: bytes, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(data)


def test_unknown_format_name() -> None:
    with pytest.raises(InvalidRequestError, match="format"):
        parse("plate\nAB1\n", "xlsx")


def test_json_array_items_are_numbered() -> None:
    data = json.dumps(
        [
            {"plate": "AB123", "priority": 90, "match_mode": "lenient", "expires_at": None},
            "AB999",
            {"plate": "CD456", "colour": "red"},
            {"plate": "EF789", "priority": True},
            {"plate": "GH012", "reason": ["a"]},
            {"plate": "JK345", "priority": "75"},
        ]
    )
    rows = parse(data, "json")
    assert rows[0].fields == EntryFields("AB123", priority=90, match_mode=MatchMode.LENIENT)
    assert rows[5].fields == EntryFields("JK345", priority=75)
    assert errors(rows) == [
        "item 2: expected an entry object, got a string",
        "item 3: colour: unknown field (known: plate, region, match_mode, category, action, "
        "priority, reason, legal_basis, case_number, owner, expires_at)",
        "item 4: priority: expected a whole number or a string, got true/false",
        "item 5: reason: expected a string, got an array",
    ]


def test_json_lines_report_physical_lines() -> None:
    data = '{"plate": "AB123"}\n\n{"plate": \n{"plate": "CD456", "priority": 101}\n[]\n{"plate": "EF789"}\n'
    rows = parse(data)
    assert [r.line for r in rows if r.ok] == [1, 6]
    assert errors(rows) == [
        "line 3: not valid JSON: Expecting value (column 11)",
        "line 4: priority: 101 is outside 0-100",
        "line 5: expected an entry object, got an array",
    ]


def test_a_single_pretty_printed_object() -> None:
    rows = parse('{\n  "plate": "AB123",\n  "category": "wanted"\n}\n')
    assert len(rows) == 1 and rows[0].fields == EntryFields("AB123", category="wanted")


def test_json_that_is_not_entries() -> None:
    with pytest.raises(InvalidRequestError, match="not JSON"):
        parse("plate\nAB1\n", "json")
    assert parse("[]") == []
    assert parse(HEADER) == []


def test_export_round_trips() -> None:
    fields = [
        EntryFields(
            "AB-123, CD",
            "eu",
            MatchMode.LENIENT,
            "stolen",
            "stop",
            80,
            'said "stop"\nthen left',
            "case 1",
            "unit 4",
            datetime(2027, 1, 31, 12, 30, tzinfo=UTC),
            "FR-69-2026-118734",
        ),
        EntryFields("京A12345", region="cn"),
    ]
    for fmt in ("csv", "json"):
        data = format_export(fields, fmt)
        assert [row.fields for row in parse(data, fmt)] == fields
    assert format_export([]).decode() == EXPORT_HEADER


def test_the_case_number_is_an_optional_column_and_field() -> None:
    rows = parse("plate,case_number\nAB123, FR-69-2026-118734 \nCD456,\n")
    assert [row.fields for row in rows] == [
        EntryFields("AB123", case_number="FR-69-2026-118734"),
        EntryFields("CD456"),
    ]
    [row] = parse('[{"plate": "AB123", "case_number": "EAW DE-2026-4471"}]')
    assert row.fields == EntryFields("AB123", case_number="EAW DE-2026-4471")
    [long] = parse(json.dumps([{"plate": "AB123", "case_number": "x" * 501}]))
    assert long.error == "case_number: is longer than 500 characters"
    [control] = parse('[{"plate": "AB123", "case_number": "a\\u0000b"}]')
    assert "case_number: contains the control character U+0000" in control.error


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["auto", "csv", "json"]))
def test_random_bytes_never_raise_anything_but_invalid_request(data: bytes, fmt: str) -> None:
    try:
        rows = parse_import(data, fmt, now=NOW)
    except InvalidRequestError:
        return
    assert all(isinstance(row, ImportRow) and (row.ok != bool(row.error)) for row in rows)


ALPHABET = st.sampled_from(list('plate,region\n"; {}[]:\r\tAB12-\x00\xe9é京') + list(HEADER))


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, max_size=300), st.sampled_from(["auto", "csv", "json"]))
def test_near_miss_text_never_raises_anything_but_invalid_request(text: str, fmt: str) -> None:
    try:
        rows = parse_import(text.encode("utf-8", "surrogatepass"), fmt, now=NOW)
    except InvalidRequestError:
        return
    assert all(row.ok != bool(row.error) for row in rows)
