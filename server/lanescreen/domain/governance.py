"""Two-person approval of high-severity plate entries and face subjects.

A listing at or above the site's approval priority (``governance.approval_min_priority``) can
stop a vehicle or a person, so one person alone cannot make it match: a change that creates,
imports or edits one leaves it ``pending``, and it matches only once someone other than the
person who made that change approves it. A rejected listing is kept (never matched) until an edit
submits it again. Lower priorities are ``active`` at once; removal never waits for approval,
because taking a listing off a list cannot wrongly stop anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ..errors import ForbiddenError, PreconditionError

DEFAULT_APPROVAL_MIN_PRIORITY = 80
APPROVAL_OFF = 101
"""An ``approval_min_priority`` no priority reaches: nothing needs a second person."""


class ApprovalStatus(StrEnum):
    ACTIVE = "active"
    """Matched (until it expires)."""
    PENDING = "pending"
    """Waiting for a second person to approve the last change; never matched."""
    REJECTED = "rejected"
    """The last change was refused; kept, never matched, and an edit submits it again."""


@dataclass(frozen=True)
class Approval:
    """Where a listing stands, and who approved or rejected its last change (empty if nobody)."""

    status: ApprovalStatus = ApprovalStatus.ACTIVE
    reviewed_by: str = ""
    reviewed_at: datetime | None = None
    note: str = ""
    """The reviewer's note: why it was rejected, or anything said on approval."""


@dataclass(frozen=True)
class ApprovalPolicy:
    """Which listings need a second person: those with at least ``min_priority``."""

    min_priority: int = DEFAULT_APPROVAL_MIN_PRIORITY

    def __post_init__(self) -> None:
        if not 0 <= self.min_priority <= APPROVAL_OFF:
            raise ValueError(
                f"approval_min_priority must be 0-{APPROVAL_OFF} ({APPROVAL_OFF}: never), "
                f"got {self.min_priority}"
            )

    def needs_approval(self, priority: int) -> bool:
        return priority >= self.min_priority

    def status_after_change(self, priority: int) -> ApprovalStatus:
        """A created, imported or edited listing's status: pending if it is high severity."""
        return ApprovalStatus.PENDING if self.needs_approval(priority) else ApprovalStatus.ACTIVE


def same_person(a: str, b: str) -> bool:
    """Actor names compared as people write them (``Lee`` and ``lee`` are one person)."""
    return a.strip().casefold() == b.strip().casefold()


def check_review(what: str, status: ApprovalStatus, changed_by: str, reviewer: str) -> None:
    """Refuse a review of ``what`` unless it is pending and the reviewer did not make the change.

    Raises :class:`PreconditionError` (not pending) or :class:`ForbiddenError` (same person).
    """
    if status is not ApprovalStatus.PENDING:
        hint = " (edit it to submit it again)" if status is ApprovalStatus.REJECTED else ""
        raise PreconditionError(
            f"{what} is {status.value}, not pending: there is no change to approve or reject{hint}"
        )
    if same_person(changed_by, reviewer):
        raise ForbiddenError(
            f"{reviewer} made the change to {what} that awaits approval; another person must "
            "approve or reject it (two-person rule)"
        )
