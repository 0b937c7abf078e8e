"""Watchlists and their plate entries: the values officers maintain, and validation of new entries.

Entries carry the governance fields a border service answers for (reason, legal basis, case
number, owner, expiry). An entry is matched in its normalised form; an expired or removed entry
never matches, nor does one awaiting a second person's approval (:mod:`.governance`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ..errors import InvalidRequestError
from .governance import Approval, ApprovalStatus
from .plates import PlateTextError, latin_plate, normalize_plate
from .text import text_problem


class ListKind(StrEnum):
    DENY = "deny"
    """A vehicle on the list is a HIT."""
    ALLOW = "allow"
    """A vehicle *not* on any of the lane's allow lists is a REVIEW."""


class MatchMode(StrEnum):
    EXACT = "exact"
    LENIENT = "lenient"
    """Forgives OCR confusions (O/0, I/1, B/8, S/5, Z/2...) and one missing or extra character."""


class EntryError(InvalidRequestError):
    """An entry field is invalid; ``field`` names it so importers and the API can say which."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class Watchlist:
    id: str
    name: str
    kind: ListKind
    description: str = ""
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    created_by: str = ""
    entry_count: int = 0
    subject_count: int = 0
    """Face subjects on the list (a list may hold plates, faces or both)."""


@dataclass(frozen=True)
class EntryFields:
    """What an officer supplies for a plate entry; validated by :func:`validate_entry`."""

    plate: str
    region: str = ""
    match_mode: MatchMode = MatchMode.EXACT
    category: str = ""
    action: str = "alert"
    priority: int = 50
    reason: str = ""
    legal_basis: str = ""
    owner: str = ""
    expires_at: datetime | None = None
    case_number: str = ""
    """The case, file or report reference (last here so positional construction still works)."""

    @property
    def normalized_plate(self) -> str:
        return normalize_plate(self.plate)

    def as_dict(self) -> dict[str, Any]:
        """The fields by name, in ENTRY_FIELD_NAMES order, as :func:`validate_entry` accepts them."""
        values = {name: getattr(self, name) for name in ENTRY_FIELD_NAMES}
        values["match_mode"] = self.match_mode.value
        return values


@dataclass(frozen=True)
class PlateEntry:
    """A stored entry: the officer's fields plus what the server records about it."""

    id: str
    watchlist_id: str
    fields: EntryFields
    created_by: str
    created_at: datetime
    updated_at: datetime
    updated_by: str = ""
    """Who made the last change of the fields (the one an approval is about)."""
    approval: Approval = field(default_factory=Approval)

    @property
    def normalized_plate(self) -> str:
        return self.fields.normalized_plate

    def active(self, now: datetime) -> bool:
        """Matched now: approved (or never needing it) and not expired."""
        if self.approval.status is not ApprovalStatus.ACTIVE:
            return False
        expires = self.fields.expires_at
        return expires is None or now < expires


GOVERNANCE_FIELD_NAMES = (
    "category",
    "action",
    "priority",
    "reason",
    "legal_basis",
    "case_number",
    "owner",
    "expires_at",
)
"""What every listed thing (plate entry or face subject) answers for: why, on what basis, in which
case, whose."""

ENTRY_FIELD_NAMES = ("plate", "region", "match_mode", *GOVERNANCE_FIELD_NAMES)
"""The fields an officer may set, in the order the CSV format lists them."""

_MAX_TEXT = 500
MAX_PLATE_TEXT = 64
"""Longest plate as written (spaces and dashes included); the normalised form is at most 12."""


def _check_text(name: str, value: str) -> None:
    """EntryError unless ``value`` is text a person may keep here (:mod:`.text`): no control
    or invisible characters (tab and line breaks allowed: a quoted CSV reason may span lines)."""
    problem = text_problem(value)
    if problem is not None:
        raise EntryError(name, problem)


def parse_timestamp(value: Any, field_name: str = "expires_at") -> datetime | None:
    """ISO 8601 date or date-time; naive values are taken as UTC. Empty means none."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise EntryError(
                field_name,
                f"{text!r} is not an ISO 8601 date or date-time (e.g. 2027-01-31T00:00:00Z)",
            ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def validate_entry(raw: dict[str, Any], *, now: datetime | None = None) -> EntryFields:
    """Turn loosely typed input (CSV row, JSON object, API message) into checked entry fields.

    Raises :class:`EntryError` naming the first bad field.
    """
    unknown = set(raw) - set(ENTRY_FIELD_NAMES)
    if unknown:
        raise EntryError(
            sorted(unknown)[0], f"unknown field (known: {', '.join(ENTRY_FIELD_NAMES)})"
        )
    plate = str(raw.get("plate") or "").strip()
    if not plate:
        raise EntryError("plate", "is required")
    _check_text("plate", plate)
    plate = written_plate("plate", plate)
    if len(plate) > MAX_PLATE_TEXT:
        raise EntryError("plate", f"is longer than {MAX_PLATE_TEXT} characters")
    normalized = normalize_plate(plate)
    if len(normalized) < 2:
        raise EntryError(
            "plate", f"{plate!r} has fewer than 2 plate characters (A-Z, 0-9, CN province)"
        )
    if len(normalized) > 12:
        raise EntryError("plate", f"{plate!r} is longer than 12 plate characters")
    mode_text = str(raw.get("match_mode") or MatchMode.EXACT.value).strip().lower()
    try:
        mode = MatchMode(mode_text)
    except ValueError as exc:
        raise EntryError("match_mode", f"{mode_text!r} is not 'exact' or 'lenient'") from exc
    region = check_line("region", raw.get("region"))
    return EntryFields(
        plate=plate, region=region.lower(), match_mode=mode, **validate_governance(raw, now=now)
    )


def written_plate(name: str, text: str) -> str:
    """A plate as a person wrote it, lookalike letters made Latin (:func:`latin_plate`), or
    :class:`EntryError` naming the letter that is no plate character."""
    try:
        return latin_plate(text)
    except PlateTextError as exc:
        raise EntryError(name, f"{text!r}: {exc}") from exc


def check_line(name: str, value: Any) -> str:
    """A short free-text field: stripped, storable, at most 500 characters."""
    text = str(value or "").strip()
    _check_text(name, text)
    if len(text) > _MAX_TEXT:
        raise EntryError(name, f"is longer than {_MAX_TEXT} characters")
    return text


def validate_governance(raw: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """The governance fields of ``raw`` checked, by name (defaults filled in).

    Raises :class:`EntryError` naming the first bad field. ``now`` refuses an expiry already past.
    """
    priority_raw = raw.get("priority")
    if priority_raw in (None, ""):
        priority = 50
    else:
        try:
            priority = int(str(priority_raw).strip())
        except ValueError as exc:
            raise EntryError("priority", f"{priority_raw!r} is not a whole number") from exc
        if not 0 <= priority <= 100:
            raise EntryError("priority", f"{priority} is outside 0-100")
    texts = {
        name: check_line(name, raw.get(name))
        for name in ("category", "action", "reason", "legal_basis", "case_number", "owner")
    }
    expires_at = parse_timestamp(raw.get("expires_at"))
    if expires_at is not None and now is not None and expires_at <= now:
        raise EntryError("expires_at", f"{expires_at.isoformat()} is already past")
    return {
        **texts,
        "action": texts["action"] or "alert",
        "priority": priority,
        "expires_at": expires_at,
    }


@dataclass(frozen=True)
class WatchlistDelta:
    """What changed in the lists since some versions: enough to update a matcher in place."""

    watchlists: list[Watchlist]
    """Every list as it is now (entry counts are not filled in)."""
    versions: dict[str, int]
    """Each list's version this delta brings the reader to."""
    entries: list[PlateEntry]
    """Changed entries still listed, in any approval state."""
    removed: set[str]
    """Ids of changed entries that were removed."""
    faces_changed: bool
    """Some face subject changed (the face gallery is reloaded whole)."""
    reset: bool = False
    """A list went back to an earlier version: reload everything."""
