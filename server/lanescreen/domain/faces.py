"""Face subjects: people on watchlists, enrolled from photos, answerable like plate entries.

A subject carries the same governance fields as a plate entry (category, action, priority, reason,
legal basis, case number, owner, expiry), needs the same two-person approval when high severity,
and adds the plates of the vehicles they are known to drive, which is what lets a passage say
whether the driver at the wheel is the one the plate's entry expects. Their face
is kept as templates (embeddings of enrolment photos, one per photo) and the aligned face chip each
came from, so an officer can check a hit against the enrolled face.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from .governance import Approval, ApprovalStatus
from .plates import normalize_plate
from .watchlists import (
    GOVERNANCE_FIELD_NAMES,
    EntryError,
    check_line,
    validate_governance,
    written_plate,
)

MAX_SUBJECT_PLATES = 20
"""Vehicles one subject can be tied to."""
MAX_NAME = 200

SUBJECT_FIELD_NAMES = ("name", "plates", *GOVERNANCE_FIELD_NAMES)
"""The fields an officer may set on a subject."""


@dataclass(frozen=True)
class SubjectFields:
    """What an officer supplies for a face subject; validated by :func:`validate_subject`."""

    name: str
    """How officers refer to the person (a name, alias or case reference)."""
    plates: tuple[str, ...] = ()
    """Normalised plates of the vehicles the subject is known to drive."""
    category: str = ""
    action: str = "alert"
    priority: int = 50
    reason: str = ""
    legal_basis: str = ""
    owner: str = ""
    expires_at: datetime | None = None
    case_number: str = ""
    """The case, file or report reference (last here so positional construction still works)."""

    def as_dict(self) -> dict[str, Any]:
        """The fields by name, as :func:`validate_subject` accepts them (JSON-ready but expiry)."""
        values = {name: getattr(self, name) for name in SUBJECT_FIELD_NAMES}
        values["plates"] = list(self.plates)
        return values


def validate_subject(raw: dict[str, Any], *, now: datetime | None = None) -> SubjectFields:
    """Turn loosely typed input (API message, CLI flags) into checked subject fields.

    Raises :class:`~lanescreen.domain.watchlists.EntryError` naming the first bad field.
    """
    unknown = set(raw) - set(SUBJECT_FIELD_NAMES)
    if unknown:
        raise EntryError(
            sorted(unknown)[0], f"unknown field (known: {', '.join(SUBJECT_FIELD_NAMES)})"
        )
    name = check_line("name", raw.get("name"))
    if not name:
        raise EntryError("name", "is required")
    if len(name) > MAX_NAME:
        raise EntryError("name", f"is longer than {MAX_NAME} characters")
    plates_raw = raw.get("plates") or ()
    if isinstance(plates_raw, str):
        plates_raw = plates_raw.split(",")
    if not isinstance(plates_raw, list | tuple):
        raise EntryError("plates", f"must be a list of plates, got {type(plates_raw).__name__}")
    plates: list[str] = []
    for written in plates_raw:
        text = check_line("plates", written)
        if not text:
            continue
        plate = normalize_plate(written_plate("plates", text))
        if not 2 <= len(plate) <= 12:
            raise EntryError("plates", f"{text!r} is not a plate of 2 to 12 plate characters")
        if plate not in plates:
            plates.append(plate)
    if len(plates) > MAX_SUBJECT_PLATES:
        raise EntryError("plates", f"at most {MAX_SUBJECT_PLATES} plates per subject")
    return SubjectFields(name=name, plates=tuple(plates), **validate_governance(raw, now=now))


@dataclass(frozen=True)
class NewTemplate:
    """An accepted enrolment photo, ready to store."""

    embedder: str
    camera_type: str
    vector: npt.NDArray[np.float32]
    eye_distance_px: float
    sharpness: float
    chip_jpeg: bytes


@dataclass(frozen=True)
class FaceTemplate:
    """One enrolment photo's embedding, with what the quality gate measured of it."""

    id: str
    subject_id: str
    embedder: str
    camera_type: str
    vector: npt.NDArray[np.float32]
    eye_distance_px: float
    sharpness: float


@dataclass(frozen=True)
class FaceSubject:
    """A stored subject: the officer's fields plus what the server records about it."""

    id: str
    watchlist_id: str
    fields: SubjectFields
    created_by: str
    created_at: datetime
    updated_at: datetime
    template_count: int = 0
    updated_by: str = ""
    """Who made the last change (fields or photos): the one an approval is about."""
    approval: Approval = field(default_factory=Approval)

    def active(self, now: datetime) -> bool:
        """Matched now: approved (or never needing it) and not expired."""
        if self.approval.status is not ApprovalStatus.ACTIVE:
            return False
        expires = self.fields.expires_at
        return expires is None or now < expires
