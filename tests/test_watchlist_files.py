"""The documented formats: the examples load as described and the JSON Schema agrees with them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lanescreen.domain.importing import parse_import
from lanescreen.domain.watchlists import ENTRY_FIELD_NAMES

WATCHLISTS = Path(__file__).resolve().parents[1] / "watchlists"
EXAMPLES = WATCHLISTS / "examples"
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def schema_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((WATCHLISTS / "plate-entry.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("name", ["stolen-vehicles.csv", "residents-allow.csv", "wanted.json"])
def test_good_examples_load_without_errors(name: str) -> None:
    rows = parse_import((EXAMPLES / name).read_bytes(), now=NOW)
    assert rows and [row.describe() for row in rows if not row.ok] == []


def test_bad_rows_example_gives_the_errors_the_readme_shows() -> None:
    readme = (WATCHLISTS / "README.md").read_text()
    block = readme.split("$ lanescreen watchlist import stolen examples/bad-rows.csv --dry-run\n")[
        1
    ]
    documented = [
        line.removeprefix("examples/bad-rows.csv: ")
        for line in block.split("```")[0].splitlines()
        if line.startswith("examples/bad-rows.csv: ")
    ]
    rows = parse_import((EXAMPLES / "bad-rows.csv").read_bytes(), now=NOW)
    assert [row.describe() for row in rows if not row.ok] == documented
    assert [row.line for row in rows if row.ok] == [2, 12]


def test_the_schema_and_the_readme_name_every_field_the_importer_knows() -> None:
    schema = json.loads((WATCHLISTS / "plate-entry.schema.json").read_text())
    assert list(schema["properties"]) == list(ENTRY_FIELD_NAMES)
    readme = (WATCHLISTS / "README.md").read_text()
    assert [name for name in ENTRY_FIELD_NAMES if f"| `{name}` |" not in readme] == []


def test_examples_carry_case_numbers_apart_from_the_legal_basis() -> None:
    stolen = parse_import((EXAMPLES / "stolen-vehicles.csv").read_bytes(), now=NOW)
    first = stolen[0].fields
    assert first is not None
    assert (first.legal_basis, first.case_number) == ("Theft report", "FR-69-2026-118734")
    wanted = parse_import((EXAMPLES / "wanted.json").read_bytes(), now=NOW)
    assert [row.fields.case_number for row in wanted if row.fields] == [
        "DE-2026-4471",
        "",
        "2026/331",
    ]


def test_json_example_is_valid_against_the_schema() -> None:
    validator = schema_validator()
    for item in json.loads((EXAMPLES / "wanted.json").read_text()):
        validator.validate(item)


def test_csv_examples_are_valid_against_the_schema_too() -> None:
    import csv

    validator = schema_validator()
    for name in ("stolen-vehicles.csv", "residents-allow.csv"):
        with (EXAMPLES / name).open(newline="", encoding="utf-8") as f:
            for record in csv.DictReader(f):
                validator.validate(record)


@pytest.mark.parametrize(
    "item",
    [
        {"category": "stolen"},
        {"plate": "AB123", "colour": "red"},
        {"plate": "AB123", "priority": 150},
        {"plate": "AB123", "priority": True},
        {"plate": "AB123", "match_mode": "fuzzy"},
        {"plate": "AB123", "expires_at": "31/12/2030"},
        {"plate": "AB123", "reason": ["a"]},
        {"plate": "AB123", "case_number": 2026},
        {"plate": "AB123", "case_number": "x" * 501},
    ],
)
def test_schema_and_importer_refuse_the_same_mistakes(item: dict[str, Any]) -> None:
    assert not schema_validator().is_valid(item)
    rows = parse_import(json.dumps([item]).encode(), now=NOW)
    assert not rows[0].ok
