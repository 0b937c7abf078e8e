"""What the console's templates show of the API's messages: names for enum numbers, times,
confidences, images as data URIs, and the form fields of an entry.

Templates read the protobuf messages themselves; these are the few conversions they need.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from ..api.mapping import from_timestamp
from ..errors import InvalidRequestError
from ..v1 import common_pb2, screening_pb2, watchlist_pb2

OUTCOMES: dict[str, common_pb2.Outcome] = {
    "HIT": common_pb2.OUTCOME_HIT,
    "REVIEW": common_pb2.OUTCOME_REVIEW,
}
KINDS: dict[str, common_pb2.ListKind] = {
    "deny": common_pb2.LIST_KIND_DENY,
    "allow": common_pb2.LIST_KIND_ALLOW,
}
STATUSES: dict[str, watchlist_pb2.ApprovalStatus] = {
    "active": watchlist_pb2.APPROVAL_STATUS_ACTIVE,
    "pending": watchlist_pb2.APPROVAL_STATUS_PENDING,
    "rejected": watchlist_pb2.APPROVAL_STATUS_REJECTED,
}
_STATUS_NAMES: dict[int, str] = {number: name for name, number in STATUSES.items()}
_KIND_NAMES: dict[int, str] = {number: name for name, number in KINDS.items()}


def when(ts: Timestamp) -> str:
    """``2026-12-02 10:15:03 UTC``; empty for an unset time."""
    moment = from_timestamp(ts) if ts.seconds or ts.nanos else None
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def outcome_name(number: int) -> str:
    return str(common_pb2.Outcome.Name(number)).removeprefix("OUTCOME_") if number else ""


def status_name(number: int) -> str:
    return _STATUS_NAMES.get(number, "")


def kind_name(number: int) -> str:
    return _KIND_NAMES.get(number, "")


def percent(value: float) -> str:
    return "<1%" if 0 < value < 0.005 else f"{100 * value:.0f}%"


def jpeg_uri(data: bytes) -> str:
    """An image the page carries itself: one trailed evidence call serves every picture of the
    alert view, and nothing of it is left in a cache or under a URL to fetch again."""
    return "data:image/jpeg;base64," + base64.b64encode(data).decode() if data else ""


def best_plate(decision: screening_pb2.Decision) -> screening_pb2.PlateRead | None:
    plates = list(decision.plates) or list(decision.frame_plates)
    return max(plates, key=lambda p: p.confidence) if plates else None


def characters(read: screening_pb2.PlateRead) -> list[tuple[str, float]]:
    """Each character of a read with its confidence (the mean where the reader gave none)."""
    confidences = list(read.char_confidences)
    if len(confidences) != len(read.text):
        confidences = [read.confidence] * len(read.text)
    return list(zip(read.text, confidences, strict=True))


def entry_form(entry: watchlist_pb2.PlateEntry | None) -> dict[str, Any]:
    """An entry's fields as its edit form shows them (defaults for a new entry)."""
    if entry is None:
        return {"match_mode": "exact", "action": "alert", "priority": 50}
    expires = from_timestamp(entry.expires_at) if entry.HasField("expires_at") else None
    return {
        "plate": entry.plate,
        "region": entry.region,
        "match_mode": "lenient" if entry.match_mode == common_pb2.MATCH_MODE_LENIENT else "exact",
        "category": entry.category,
        "action": entry.action,
        "priority": entry.priority,
        "reason": entry.reason,
        "legal_basis": entry.legal_basis,
        "owner": entry.owner,
        "case_number": entry.case_number,
        "expires_at": expires.strftime("%Y-%m-%d") if expires else "",
    }


def entry_from_form(form: dict[str, str]) -> watchlist_pb2.PlateEntry:
    """The entry a form describes; the server checks every field and names a bad one."""
    entry = watchlist_pb2.PlateEntry(
        plate=form.get("plate", ""),
        region=form.get("region", ""),
        match_mode=common_pb2.MATCH_MODE_LENIENT
        if form.get("match_mode") == "lenient"
        else common_pb2.MATCH_MODE_EXACT,
        category=form.get("category", ""),
        action=form.get("action", ""),
        reason=form.get("reason", ""),
        legal_basis=form.get("legal_basis", ""),
        owner=form.get("owner", ""),
        case_number=form.get("case_number", ""),
    )
    priority = form.get("priority", "").strip()
    if priority:
        if not priority.isdigit():
            raise InvalidRequestError(f"priority: {priority!r} is not a whole number 0-100")
        entry.priority = int(priority)
    expires = form.get("expires_at", "").strip()
    if expires:
        entry.expires_at.FromDatetime(_day_end(expires))
    return entry


def _day_end(day: str) -> datetime:
    """``2027-01-31`` as the end of that day (UTC): an entry listed "until the 31st" matches on
    the 31st."""
    try:
        date = datetime.strptime(day, "%Y-%m-%d")
    except ValueError:
        raise InvalidRequestError(f"expires_at: {day!r} is not a date (YYYY-MM-DD)") from None
    return date.replace(hour=23, minute=59, second=59, tzinfo=UTC)


FILTERS = {
    "when": when,
    "outcome_name": outcome_name,
    "status_name": status_name,
    "kind_name": kind_name,
    "percent": percent,
    "jpeg_uri": jpeg_uri,
    "best_plate": best_plate,
    "characters": characters,
}
"""Jinja filters of the console's templates."""
