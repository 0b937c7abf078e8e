"""Face subjects and their templates in the database, journalled like plate entries.

Every edit bumps the subject's list version and writes a journal row naming the subject, so the
matcher's cache reloads and an auditor can see who enrolled, changed or removed whom, when and why.
Removing a subject keeps its row (decisions still lead to it) but deletes its templates and
enrolment chips: once a person is off the list, their biometric data has no purpose here. A
high-severity subject is ``pending`` after every enrolment, new photo or edit, and matches once
another person approves it (:mod:`lanescreen.domain.governance`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..domain.faces import (
    FaceSubject,
    FaceTemplate,
    NewTemplate,
    SubjectFields,
    validate_subject,
)
from ..domain.governance import ApprovalPolicy, ApprovalStatus, check_review
from ..errors import ForbiddenError, InvalidRequestError, NotFoundError
from .db import Database, storable
from .models import FaceSubjectRow, FaceTemplateRow
from .site import approvals
from .watchlists import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    _actor,
    _approval,
    _bump,
    _journal,
    _record_refusal,
    _resolve,
    _reviewed,
    _submitted,
    _text,
    governance_columns,
    keyset_page,
    review_action,
)

MAX_TEMPLATES_PER_SUBJECT = 20
"""More photos add little to a 1:N search and cost every search a little."""


class FaceStore:
    """Officers' face subjects; the matcher reads them via :meth:`snapshot`.

    ``policy`` says which subjects need a second person's approval (as for plate entries).
    """

    def __init__(self, db: Database, policy: ApprovalPolicy | None = None) -> None:
        self._db = db
        self._policy = policy or ApprovalPolicy()

    def enrol(
        self,
        watchlist: str,
        fields: SubjectFields,
        templates: Sequence[NewTemplate],
        actor: str,
    ) -> FaceSubject:
        """A new subject with at least one template, in one transaction and one version bump."""
        fields = _checked(fields)
        actor = _actor(actor)
        if not templates:
            raise InvalidRequestError("photos: enrolment needs at least one accepted photo")
        _check_count(len(templates))
        now = datetime.now(UTC)
        with self._db.write() as session:
            status = approvals(session, self._policy).status_after_change(fields.priority)
            wl = _resolve(session, watchlist)
            version = _bump(session, wl.id)
            row = FaceSubjectRow(
                id=str(uuid.uuid4()),
                watchlist_id=wl.id,
                created_by=actor,
                created_at=now,
                updated_at=now,
                updated_by=actor,
                status=status.value,
                **_columns(fields),
            )
            session.add(row)
            session.flush()
            _add_templates(session, row.id, templates, actor, now)
            after = {**_subject_json(fields, status), "templates_added": len(templates)}
            _journal(
                self._db,
                session,
                wl.id,
                None,
                version,
                "enrol",
                actor,
                now,
                after=after,
                subject_id=row.id,
            )
            return _subject(row, len(templates))

    def add_templates(
        self, subject_id: str, templates: Sequence[NewTemplate], actor: str
    ) -> FaceSubject:
        """More photos of an enrolled subject (journalled as an enrolment).

        New photos change who matches, so a high-severity subject awaits approval again.
        """
        actor = _actor(actor)
        if not templates:
            raise InvalidRequestError("photos: no accepted photo to add")
        now = datetime.now(UTC)
        with self._db.write() as session:
            row = _live_subject(session, subject_id, lock=True)
            count = _template_count(session, row.id)
            _check_count(count + len(templates))
            version = _bump(session, row.watchlist_id)
            _add_templates(session, row.id, templates, actor, now)
            before = ApprovalStatus(row.status)
            status = approvals(session, self._policy).status_after_change(row.priority)
            _submitted(row, actor, now, status)
            _journal(
                self._db,
                session,
                row.watchlist_id,
                None,
                version,
                "enrol",
                actor,
                now,
                before={"status": before.value},
                after={"templates_added": len(templates), "status": status.value},
                subject_id=row.id,
            )
            return _subject(row, count + len(templates))

    def get_subject(self, subject_id: str) -> FaceSubject:
        """A current subject. ``NotFoundError`` if unknown or removed (the message says which)."""
        with self._db.read() as session:
            row = _live_subject(session, subject_id)
            return _subject(row, _template_count(session, row.id))

    def update_subject(self, subject_id: str, fields: SubjectFields, actor: str) -> FaceSubject:
        """Replace a subject's fields (not its photos); if nothing differs, nothing changes.

        Submitted for approval like an enrolment; a rejected subject is submitted again even
        when its fields are unchanged.
        """
        fields = _checked(fields)
        actor = _actor(actor)
        now = datetime.now(UTC)
        with self._db.write() as session:
            status = approvals(session, self._policy).status_after_change(fields.priority)
            row = _live_subject(session, subject_id, lock=True)
            count = _template_count(session, row.id)
            before = _subject(row, count)
            if before.fields == fields and before.approval.status is not ApprovalStatus.REJECTED:
                return before
            version = _bump(session, row.watchlist_id)
            for name, value in _columns(fields).items():
                setattr(row, name, value)
            _submitted(row, actor, now, status)
            session.flush()
            _journal(
                self._db,
                session,
                row.watchlist_id,
                None,
                version,
                "update",
                actor,
                now,
                before=_subject_json(before.fields, before.approval.status),
                after=_subject_json(fields, status),
                subject_id=row.id,
            )
            return _subject(row, count)

    def approve_subject(self, subject_id: str, actor: str, note: str = "") -> FaceSubject:
        """Make a pending subject active. ``ForbiddenError`` if ``actor`` made the pending
        change; ``PreconditionError`` if it is not pending."""
        return self._review(subject_id, actor, _text("note", note), ApprovalStatus.ACTIVE)

    def reject_subject(self, subject_id: str, actor: str, note: str) -> FaceSubject:
        """Refuse a pending subject's change (kept with their photos, never matched)."""
        note = _text("note", note, required=True)
        return self._review(subject_id, actor, note, ApprovalStatus.REJECTED)

    def _review(
        self, subject_id: str, actor: str, note: str, verdict: ApprovalStatus
    ) -> FaceSubject:
        actor = _actor(actor)
        now = datetime.now(UTC)
        try:
            with self._db.write() as session:
                row = _live_subject(session, subject_id, lock=True)
                count = _template_count(session, row.id)
                current = _subject(row, count)
                check_review(
                    f"subject {row.id}", current.approval.status, current.updated_by, actor
                )
                version = _bump(session, row.watchlist_id)
                _reviewed(row, actor, now, note, verdict)
                session.flush()
                _journal(
                    self._db,
                    session,
                    row.watchlist_id,
                    None,
                    version,
                    review_action(verdict),
                    actor,
                    now,
                    note,
                    before=_subject_json(current.fields, current.approval.status),
                    after=_subject_json(current.fields, verdict),
                    subject_id=row.id,
                )
                return _subject(row, count)
        except ForbiddenError as refused:
            # Outside the rolled-back edit: an attempt to approve one's own change is on record.
            _record_refusal(self._db, refused, actor, f"subject:{subject_id.strip()}", verdict)
            raise

    def remove_subject(self, subject_id: str, actor: str, reason: str) -> int:
        """Retire a subject and delete their templates; returns the list's new version."""
        reason = _text("reason", reason, required=True)
        actor = _actor(actor)
        now = datetime.now(UTC)
        with self._db.write() as session:
            row = _live_subject(session, subject_id, lock=True)
            version = _bump(session, row.watchlist_id)
            deleted = _template_count(session, row.id)
            session.execute(delete(FaceTemplateRow).where(FaceTemplateRow.subject_id == row.id))
            row.removed_at, row.removed_by, row.removed_reason = now, actor, reason
            session.flush()
            removed = _subject(row)
            before = {
                **_subject_json(removed.fields, removed.approval.status),
                "templates_deleted": deleted,
            }
            _journal(
                self._db,
                session,
                row.watchlist_id,
                None,
                version,
                "remove",
                actor,
                now,
                reason,
                before=before,
                subject_id=row.id,
            )
            return version

    def list_subjects(
        self,
        watchlist: str,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str = "",
        status: ApprovalStatus | None = None,
    ) -> tuple[list[FaceSubject], str, int]:
        """One page of a list's current subjects by name, the next page's token, the version.

        ``status`` keeps only subjects in that approval state.
        """
        if page_size < 0:
            raise InvalidRequestError("page_size: must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        with self._db.read() as session:
            wl = _resolve(session, watchlist)
            query = select(FaceSubjectRow).where(
                FaceSubjectRow.watchlist_id == wl.id, FaceSubjectRow.removed_at.is_(None)
            )
            scope = "faces"
            if status is not None:
                query = query.where(FaceSubjectRow.status == status.value)
                scope = f"faces/{status.value}"
            rows, token = keyset_page(
                session,
                query,
                FaceSubjectRow.name,
                FaceSubjectRow.id,
                wl.id,
                scope,
                page_token,
                size,
            )
            counts = _template_counts(session, [r.id for r in rows])
            return [_subject(r, counts.get(r.id, 0)) for r in rows], token, wl.version

    def template_chips(self, subject_id: str, viewer: str = "") -> list[bytes]:
        """The aligned enrolment chips (JPEG) of a current subject, oldest first; a ``viewer``
        (a person looking at them) is recorded in the audit trail: they are biometric data."""
        with self._db.read() as session:
            row = _live_subject(session, subject_id)
            query = (
                select(FaceTemplateRow.chip_jpeg)
                .where(FaceTemplateRow.subject_id == row.id)
                .order_by(FaceTemplateRow.created_at, FaceTemplateRow.id)
            )
            chips = list(session.scalars(query))
        if viewer:
            self._db.record_event(
                "watchlist.chips_view", viewer, f"subject:{row.id}", {"chips": len(chips)}
            )
        return chips

    def snapshot(self) -> tuple[list[FaceSubject], list[FaceTemplate]]:
        """Every subject not removed (expired, pending and rejected ones too: the matcher leaves
        out what may not match) and their templates."""
        with self._db.read() as session:
            rows = list(
                session.scalars(
                    select(FaceSubjectRow)
                    .where(FaceSubjectRow.removed_at.is_(None))
                    .order_by(FaceSubjectRow.id)
                )
            )
            templates = [
                FaceTemplate(
                    id=id_,
                    subject_id=subject,
                    embedder=embedder,
                    camera_type=camera,
                    vector=np.frombuffer(blob, dtype="<f4", count=dim).astype(np.float32),
                    eye_distance_px=eyes,
                    sharpness=sharp,
                )
                for id_, subject, embedder, camera, dim, blob, eyes, sharp in session.execute(
                    select(
                        FaceTemplateRow.id,
                        FaceTemplateRow.subject_id,
                        FaceTemplateRow.embedder,
                        FaceTemplateRow.camera_type,
                        FaceTemplateRow.dim,
                        FaceTemplateRow.vector,
                        FaceTemplateRow.eye_distance_px,
                        FaceTemplateRow.sharpness,
                    ).order_by(FaceTemplateRow.subject_id, FaceTemplateRow.id)
                )
            ]
            counts: dict[str, int] = {}
            for template in templates:
                counts[template.subject_id] = counts.get(template.subject_id, 0) + 1
            return [_subject(r, counts.get(r.id, 0)) for r in rows], templates


# --- rows and values -----------------------------------------------------------------------------


def _checked(fields: SubjectFields) -> SubjectFields:
    """Re-check fields built elsewhere (an expiry in the past is how a subject is ended now)."""
    try:
        return validate_subject(fields.as_dict())
    except ValueError as exc:
        raise InvalidRequestError(str(exc)) from exc


def _check_count(count: int) -> None:
    if count > MAX_TEMPLATES_PER_SUBJECT:
        raise InvalidRequestError(
            f"photos: a subject holds at most {MAX_TEMPLATES_PER_SUBJECT} photos ({count} given)"
        )


def _columns(fields: SubjectFields) -> dict[str, Any]:
    return fields.as_dict()


def _subject_json(fields: SubjectFields, status: ApprovalStatus) -> dict[str, Any]:
    """The journal's form of a subject's fields and approval status."""
    values = _columns(fields)
    expires = values["expires_at"]
    values["expires_at"] = expires.isoformat() if expires else None
    values["status"] = status.value
    return values


def _subject(row: FaceSubjectRow, template_count: int = 0) -> FaceSubject:
    fields = SubjectFields(name=row.name, plates=tuple(row.plates), **governance_columns(row))
    return FaceSubject(
        id=row.id,
        watchlist_id=row.watchlist_id,
        fields=fields,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        template_count=template_count,
        updated_by=row.updated_by,
        approval=_approval(row.status, row.reviewed_by, row.reviewed_at, row.review_note),
    )


def _add_templates(
    session: Session,
    subject_id: str,
    templates: Sequence[NewTemplate],
    actor: str,
    now: datetime,
) -> None:
    for template in templates:
        vector = np.ascontiguousarray(template.vector, dtype="<f4").ravel()
        session.add(
            FaceTemplateRow(
                id=str(uuid.uuid4()),
                subject_id=subject_id,
                embedder=template.embedder,
                camera_type=template.camera_type,
                dim=int(vector.size),
                vector=vector.tobytes(),
                eye_distance_px=float(template.eye_distance_px),
                sharpness=float(template.sharpness),
                chip_jpeg=template.chip_jpeg,
                created_by=actor,
                created_at=now,
            )
        )


def _template_count(session: Session, subject_id: str) -> int:
    return _template_counts(session, [subject_id]).get(subject_id, 0)


def _template_counts(session: Session, subject_ids: Sequence[str]) -> dict[str, int]:
    if not subject_ids:
        return {}
    query = (
        select(FaceTemplateRow.subject_id, func.count())
        .where(FaceTemplateRow.subject_id.in_(subject_ids))
        .group_by(FaceTemplateRow.subject_id)
    )
    return {subject: int(n) for subject, n in session.execute(query)}


def _live_subject(session: Session, subject_id: str, *, lock: bool = False) -> FaceSubjectRow:
    key = subject_id.strip()
    if not key:
        raise InvalidRequestError("subject_id: is required")
    if not storable(key):
        raise NotFoundError(f"subject {key!r} does not exist")
    row = session.get(FaceSubjectRow, key, with_for_update=lock)
    if row is None:
        raise NotFoundError(f"subject {key!r} does not exist")
    if row.removed_at is not None:
        raise NotFoundError(
            f"subject {key!r} was removed on {row.removed_at.isoformat()} "
            f"by {row.removed_by}: {row.removed_reason}"
        )
    return row
