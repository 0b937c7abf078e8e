"""Officer confirmation: every HIT and REVIEW waits in a queue until a person disposes of it.

A machine's hit is a lead, not a finding (US ALPR policies require an officer to check the plate
and region against the pictures before acting). The officer records what they found with a
verdict and a code from a fixed vocabulary, so the outcomes can be counted: how many hits were
real, how many were misreads, wrong people or stale entries. A later disposition of the same
decision (a supervisor correcting an officer) supersedes the earlier one; both stay on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ..errors import InvalidRequestError


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    """The hit was right (or the review found a real problem)."""
    DISMISSED = "dismissed"
    """The hit was wrong or needed no action."""


CODES: dict[Verdict, dict[str, str]] = {
    Verdict.CONFIRMED: {
        "vehicle_stopped": "the listed vehicle was stopped as the entry asks",
        "person_identified": "the listed person was identified",
        "verified_no_action": "the match was real; no action was needed or possible",
        "review_resolved": "a REVIEW was checked and resolved",
    },
    Verdict.DISMISSED: {
        "misread": "the plate was misread (the characters or region differ)",
        "wrong_person": "the face belongs to someone else",
        "entry_outdated": "the entry should no longer be listed",
        "duplicate": "the same vehicle was already dealt with",
        "other": "another reason, given in the note",
    },
}
"""Disposition codes per verdict: stable identifiers, counted by ``lanescreen audit stats``."""

MAX_NOTE = 2000


@dataclass(frozen=True)
class Disposition:
    """An officer's finding on one stored decision."""

    decision_id: str
    verdict: Verdict
    code: str
    note: str
    actor: str
    at: datetime


def check_disposition(verdict: str, code: str, note: str) -> tuple[Verdict, str, str]:
    """The verdict, code and note checked; ``InvalidRequestError`` names what is wrong."""
    try:
        checked = Verdict(verdict.strip().lower())
    except ValueError:
        raise InvalidRequestError(
            f"verdict: {verdict!r} is not one of {', '.join(v.value for v in Verdict)}"
        ) from None
    code = code.strip().lower()
    if code not in CODES[checked]:
        known = ", ".join(CODES[checked])
        raise InvalidRequestError(f"code: {code!r} is not a {checked.value} code ({known})")
    note = note.strip()
    if code == "other" and not note:
        raise InvalidRequestError("note: code 'other' needs a note saying what happened")
    if len(note) > MAX_NOTE:
        raise InvalidRequestError(f"note: is longer than {MAX_NOTE} characters")
    return checked, code, note
