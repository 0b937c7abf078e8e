"""Watchlist files (CSV or JSON) read row by row into checked entries, and written back.

A bad row never stops the others: each row comes back with its line number and either its fields
or the reason it was refused. Only a problem with the file as a whole (not text, not CSV or JSON, a
header naming unknown columns) raises :class:`InvalidRequestError`, because then no row can be
trusted. ``watchlists/README.md`` documents both formats field by field.

CSV files name their columns in a header row. A header column lanescreen does not know refuses the
whole file: a misspelt ``expiry`` column silently dropped would list plates without their expiry.
A JSON object names its own fields, so there an unknown field refuses only that object.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..errors import InvalidRequestError
from .plates import normalize_plate
from .text import csv_cell, from_csv_cell
from .watchlists import ENTRY_FIELD_NAMES, EntryFields, validate_entry

FORMATS = ("auto", "csv", "json")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class ImportRow:
    """One row of an import file: its fields when valid, else why it was refused."""

    line: int
    """1-based line in the file (CSV, JSON Lines) or 1-based item number in a JSON array."""
    fields: EntryFields | None
    error: str = ""
    unit: str = "line"
    """``line``, or ``item`` for JSON arrays, so messages point at the right thing."""

    @property
    def ok(self) -> bool:
        return self.fields is not None

    def describe(self) -> str:
        """``line 7: priority: 'high' is not a whole number``."""
        return f"{self.unit} {self.line}: {self.error or 'ok'}"


def parse_import(data: bytes, fmt: str = "auto", *, now: datetime | None = None) -> list[ImportRow]:
    """Read an import file into one :class:`ImportRow` per entry row, in file order.

    ``fmt`` is ``csv``, ``json`` (array or JSON Lines) or ``auto`` (JSON when the text starts with
    ``[`` or ``{``, else CSV). Entries whose ``expires_at`` is before ``now`` (default: the current
    time) are refused. Raises :class:`InvalidRequestError` only for whole-file problems.
    """
    if fmt not in FORMATS:
        raise InvalidRequestError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    text = _decode(data)
    start = text.lstrip()
    if not start:
        raise InvalidRequestError("the file is empty")
    if fmt == "auto":
        fmt = "json" if start[0] in "[{" else "csv"
    when = now or datetime.now(UTC)
    return _parse_json(text, when) if fmt == "json" else _parse_csv(text, when)


PlateKey = tuple[str, str]
"""What makes two entries of one list the same vehicle: normalised plate and region."""


def plate_key(fields: EntryFields) -> PlateKey:
    return normalize_plate(fields.plate), fields.region


def refuse_duplicates(
    rows: Sequence[ImportRow], listed: Mapping[PlateKey, str] | None = None
) -> list[ImportRow]:
    """``rows`` with each plate refused that an earlier row of the file already has, or that is
    already on the list (``listed``: the key of each entry on it, to its id): the same vehicle
    twice on one list is a mistake, and the second copy's governance fields would go unseen."""
    listed = listed or {}
    first_line: dict[PlateKey, ImportRow] = {}
    out = []
    for row in rows:
        if row.fields is None:
            out.append(row)
            continue
        key = plate_key(row.fields)
        earlier = first_line.setdefault(key, row)
        if key in listed:
            problem = f"is already on the list as entry {listed[key]}; edit that entry instead"
        elif earlier is not row:
            problem = f"is already on {earlier.unit} {earlier.line} of this file"
        else:
            out.append(row)
            continue
        out.append(ImportRow(row.line, None, f"plate: {row.fields.plate!r} {problem}", row.unit))
    return out


def format_export(entries: Iterable[EntryFields], fmt: str = "csv") -> bytes:
    """Entries' fields as an import file (``csv`` or ``json``): an export loads back as it was."""
    records = [_entry_record(fields) for fields in entries]
    if fmt == "json":
        body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)
        return (f"[\n{body}\n]\n" if records else "[]\n").encode()
    if fmt != "csv":
        raise InvalidRequestError(f"format: {fmt!r} is not csv or json")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ENTRY_FIELD_NAMES)
    writer.writerows([csv_cell(str(r[name])) for name in ENTRY_FIELD_NAMES] for r in records)
    return out.getvalue().encode()


def _entry_record(fields: EntryFields) -> dict[str, Any]:
    record = fields.as_dict()
    expires = fields.expires_at
    record["expires_at"] = expires.isoformat() if expires else ""
    return record


def _decode(data: bytes) -> str:
    """UTF-8 text (BOM dropped). Undecodable bytes survive as surrogates, refused per row."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidRequestError(
            "the file is UTF-16 text; save it as UTF-8 (in Excel: 'CSV UTF-8')"
        )
    data = data.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in data[:4096]:
        raise InvalidRequestError(
            "the file is not text (it holds NUL bytes); expected UTF-8 CSV or JSON"
        )
    return data.decode("utf-8", errors="surrogateescape")


def _validated(line: int, raw: dict[str, Any], when: datetime, unit: str = "line") -> ImportRow:
    try:
        fields = validate_entry(raw, now=when)
    except (ValueError, TypeError, OverflowError) as exc:  # EntryError is a ValueError
        return ImportRow(line, None, str(exc), unit)
    return ImportRow(line, fields, "", unit)


def _parse_csv(text: str, when: datetime) -> list[ImportRow]:
    first_line = next((line for line in _LINE_BREAK.split(text) if line.strip()), "")
    delimiter = max(_DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    except csv.Error as exc:
        raise InvalidRequestError(
            f"line {reader.line_num}: the header is not valid CSV: {exc}"
        ) from exc
    if header is None:
        raise InvalidRequestError("the file has no header row (and no entries)")
    names = _header_names(header, reader.line_num)
    rows: list[ImportRow] = []
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            end = reader.line_num
            span = f"lines {start}-{end}" if end > start else f"line {start}"
            rows.append(ImportRow(start, None, f"not valid CSV ({span}): {exc}"))
            if end < start:
                break
            continue
        if any(cell.strip() for cell in record):
            rows.append(_csv_row(start, names, [from_csv_cell(c) for c in record], when))
    return rows


def _header_names(header: list[str], line: int) -> list[str]:
    names = [cell.strip().lower() for cell in header]
    known = ", ".join(ENTRY_FIELD_NAMES)
    if any(_SURROGATE.search(name) for name in names):
        raise InvalidRequestError(f"line {line}: the header is not valid UTF-8 text")
    unknown = [name for name in names if name and name not in ENTRY_FIELD_NAMES]
    if unknown and len(unknown) == len([n for n in names if n]):
        shown = _LINE_BREAK.sub(" ", ",".join(header))[:80]
        raise InvalidRequestError(
            f"line {line}: expected a header row naming the columns ({known}), got {shown!r}; "
            "not a watchlist CSV file"
        )
    if unknown:
        listed = ", ".join(repr(n) for n in unknown)
        raise InvalidRequestError(
            f"line {line}: unknown column(s) {listed} in the header (known: {known})"
        )
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        raise InvalidRequestError(
            f"line {line}: column(s) {', '.join(duplicates)} appear more than once"
        )
    if "plate" not in names:
        raise InvalidRequestError(f"line {line}: the header has no 'plate' column (known: {known})")
    return names


def _csv_row(line: int, names: list[str], record: list[str], when: datetime) -> ImportRow:
    if len(record) > len(names):
        # Even if the extra cells are empty: an unquoted comma has shifted every later value.
        return ImportRow(
            line,
            None,
            f"{len(record)} columns, but the header has {len(names)} (an unquoted comma?)",
        )
    for index, cell in enumerate(record):
        if cell.strip() and not names[index]:
            return ImportRow(
                line, None, f"column {index + 1} has no name in the header but holds {cell!r}"
            )
    raw = {name: cell for name, cell in zip(names, record, strict=False) if name}
    return _validated(line, raw, when)


def _parse_json(text: str, when: datetime) -> list[ImportRow]:
    start = text.lstrip()[:1]
    if start == "[":
        items = _load_json(text)
        if not isinstance(items, list):
            raise InvalidRequestError(
                "a JSON import file must be an array of entry objects or JSON Lines"
            )
        return [_json_row(index, item, when, "item") for index, item in enumerate(items, 1)]
    if start != "{":
        raise InvalidRequestError(
            "not JSON: expected an array of entry objects ('[...]') "
            "or JSON Lines (one object per line)"
        )
    rows: list[ImportRow] = []
    for number, line in enumerate(_LINE_BREAK.split(text), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append(ImportRow(number, None, f"not valid JSON: {exc.msg} (column {exc.colno})"))
            continue
        except (ValueError, RecursionError) as exc:
            rows.append(ImportRow(number, None, f"not valid JSON: {exc}"))
            continue
        rows.append(_json_row(number, item, when, "line"))
    if rows and not any(row.ok or not row.error.startswith("not valid JSON") for row in rows):
        # No line stood alone: perhaps one pretty-printed object rather than JSON Lines.
        whole = _load_json(text)
        if isinstance(whole, dict):
            return [_json_row(1, whole, when, "line")]
    return rows


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise InvalidRequestError(f"not valid JSON: {exc}") from exc


def _json_row(line: int, item: Any, when: datetime, unit: str) -> ImportRow:
    if not isinstance(item, dict):
        return ImportRow(line, None, f"expected an entry object, got {_json_type(item)}", unit)
    for name, value in item.items():
        allowed_number = (
            name == "priority" and isinstance(value, int) and not isinstance(value, bool)
        )
        if value is not None and not isinstance(value, str) and not allowed_number:
            expected = "a whole number or a string" if name == "priority" else "a string"
            return ImportRow(
                line, None, f"{name}: expected {expected}, got {_json_type(value)}", unit
            )
    return _validated(line, item, when, unit)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
    }
    return names.get(type(value), "null")
