"""WatchlistService: officers' edits, validated in the domain and kept by the store.

Supervisors' approvals go through here too; who may call them is the policy table's business
(security/policy.py), the two-person rule the store's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import grpc

from ..domain.enrolment import Enroller, PhotoResult, refusals
from ..domain.faces import validate_subject
from ..domain.governance import ApprovalStatus
from ..domain.importing import ImportRow, PlateKey, parse_import, plate_key, refuse_duplicates
from ..domain.watchlist_cache import WatchlistCache
from ..domain.watchlists import validate_entry
from ..errors import (
    InvalidRequestError,
    PreconditionError,
)
from ..store.faces import FaceStore
from ..store.watchlists import WatchlistStore
from ..v1 import watchlist_pb2, watchlist_pb2_grpc
from .auth import actor_of as actor_of  # re-exported: servicers take the actor from here
from .errors import errors_to_status
from .mapping import (
    KIND_FROM_PB,
    STATUS_FROM_PB,
    STATUS_TO_PB,
    entry_fields_raw,
    entry_to_pb,
    photo_result_to_pb,
    subject_fields_raw,
    subject_to_pb,
    watchlist_to_pb,
)

_FORMATS = {
    watchlist_pb2.IMPORT_FORMAT_UNSPECIFIED: "auto",
    watchlist_pb2.IMPORT_FORMAT_CSV: "csv",
    watchlist_pb2.IMPORT_FORMAT_JSON: "json",
}


class FacesOffError(PreconditionError):
    """Face enrolment was asked of a server that does not screen faces."""


def status_filter(value: int) -> ApprovalStatus | None:
    """A list request's status filter; an unknown enum number is the caller's mistake."""
    if value not in STATUS_FROM_PB:
        raise InvalidRequestError(f"status: {value} is not an ApprovalStatus")
    return STATUS_FROM_PB[value]


def masked_update(
    current: dict[str, Any], incoming: dict[str, Any], paths: Iterable[str]
) -> dict[str, Any]:
    """``current`` with the fields an update mask names taken from ``incoming``."""
    merged = dict(current)
    named = list(paths)
    if not named:
        raise InvalidRequestError("update_mask: name the fields to change, e.g. 'expires_at'")
    for path in named:
        if path not in incoming:
            raise InvalidRequestError(f"update_mask: {path!r} is not an updatable field")
        merged[path] = incoming[path]
    return merged


class WatchlistServicer(watchlist_pb2_grpc.WatchlistServiceServicer):
    def __init__(
        self,
        store: WatchlistStore,
        cache: WatchlistCache,
        faces: FaceStore,
        enroller: Enroller | None = None,
    ) -> None:
        self._store = store
        self._cache = cache
        self._faces = faces
        self._enroller = enroller

    def _assess(self, photos: list[bytes]) -> list[PhotoResult]:
        if self._enroller is None:
            raise FacesOffError(
                "this server does not screen faces (faces.face_enabled = false): enrol on one "
                "that does"
            )
        results = self._enroller.assess(photos)
        if not any(r.ok for r in results):
            raise InvalidRequestError(f"no photo could be enrolled: {refusals(results)}")
        return results

    @errors_to_status
    def CreateWatchlist(
        self, request: watchlist_pb2.CreateWatchlistRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.Watchlist:
        name = request.name.strip()
        if not name:
            raise InvalidRequestError("name: is required")
        if request.kind not in KIND_FROM_PB:
            raise InvalidRequestError("kind: must be LIST_KIND_DENY or LIST_KIND_ALLOW")
        wl = self._store.create_watchlist(
            name, KIND_FROM_PB[request.kind], request.description, actor_of(context)
        )
        self._cache.refresh()
        return watchlist_to_pb(wl)

    @errors_to_status
    def GetWatchlist(
        self, request: watchlist_pb2.GetWatchlistRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.Watchlist:
        return watchlist_to_pb(self._store.get_watchlist(request.watchlist))

    @errors_to_status
    def ListWatchlists(
        self, request: watchlist_pb2.ListWatchlistsRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.ListWatchlistsResponse:
        return watchlist_pb2.ListWatchlistsResponse(
            watchlists=[watchlist_to_pb(wl) for wl in self._store.list_watchlists()]
        )

    @errors_to_status
    def AddPlateEntry(
        self, request: watchlist_pb2.AddPlateEntryRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.PlateEntry:
        fields = validate_entry(entry_fields_raw(request.entry), now=datetime.now(UTC))
        entry = self._store.add_entry(request.watchlist, fields, actor_of(context))
        self._cache.refresh()
        return entry_to_pb(entry)

    @errors_to_status
    def GetPlateEntry(
        self, request: watchlist_pb2.GetPlateEntryRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.PlateEntry:
        return entry_to_pb(self._store.get_entry(request.entry_id))

    @errors_to_status
    def UpdatePlateEntry(
        self, request: watchlist_pb2.UpdatePlateEntryRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.PlateEntry:
        current = self._store.get_entry(request.entry.id)
        merged = masked_update(
            current.fields.as_dict(), entry_fields_raw(request.entry), request.update_mask.paths
        )
        # Setting expires_at in the past is allowed here: it is how an officer ends an entry now.
        fields = validate_entry(merged)
        entry = self._store.update_entry(current.id, fields, actor_of(context))
        self._cache.refresh()
        return entry_to_pb(entry)

    @errors_to_status
    def RemovePlateEntry(
        self, request: watchlist_pb2.RemovePlateEntryRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.RemovePlateEntryResponse:
        if not request.reason.strip():
            raise InvalidRequestError("reason: say why the entry is removed")
        version = self._store.remove_entry(
            request.entry_id, actor_of(context), request.reason.strip()
        )
        self._cache.refresh()
        return watchlist_pb2.RemovePlateEntryResponse(watchlist_version=version)

    @errors_to_status
    def ListPlateEntries(
        self, request: watchlist_pb2.ListPlateEntriesRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.ListPlateEntriesResponse:
        entries, token, version = self._store.list_entries(
            request.watchlist,
            page_size=request.page_size or 100,
            page_token=request.page_token,
            plate_prefix=request.plate_prefix,
            status=status_filter(request.status),
        )
        return watchlist_pb2.ListPlateEntriesResponse(
            entries=[entry_to_pb(e) for e in entries],
            next_page_token=token,
            watchlist_version=version,
        )

    @errors_to_status
    def ImportPlateEntries(
        self, request: watchlist_pb2.ImportPlateEntriesRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.ImportPlateEntriesResponse:
        watchlist = self._store.get_watchlist(request.watchlist)
        rows = parse_import(request.data, _FORMATS.get(request.format, "auto"))
        rows = refuse_duplicates(rows, self._store.listed_plates(watchlist.id, _keys(rows)))
        good = [row for row in rows if row.fields is not None]
        ids: list[str] = []
        version = watchlist.version
        if good and not request.dry_run:
            ids, version = self._store.import_entries(
                watchlist.id,
                [row.fields for row in good if row.fields is not None],
                actor_of(context),
            )
            self._cache.refresh()
        id_by_line = dict(zip((row.line for row in good), ids, strict=False))
        policy = self._store.policy
        results = [
            watchlist_pb2.ImportRowResult(
                line=row.line,
                ok=row.fields is not None,
                entry_id=id_by_line.get(row.line, ""),
                error=row.error,
                status=STATUS_TO_PB[policy.status_after_change(row.fields.priority)]
                if row.fields is not None
                else watchlist_pb2.APPROVAL_STATUS_UNSPECIFIED,
            )
            for row in rows
        ]
        return watchlist_pb2.ImportPlateEntriesResponse(
            imported=len(ids),
            rejected=sum(1 for row in rows if row.fields is None),
            rows=results,
            watchlist_version=version,
        )

    @errors_to_status
    def EnrolSubject(
        self, request: watchlist_pb2.EnrolSubjectRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.EnrolSubjectResponse:
        fields = validate_subject(subject_fields_raw(request.subject), now=datetime.now(UTC))
        watchlist = self._store.get_watchlist(request.watchlist)
        results = self._assess(list(request.photos))
        templates = [r.template for r in results if r.template is not None]
        subject = self._faces.enrol(watchlist.id, fields, templates, actor_of(context))
        self._cache.refresh()
        return watchlist_pb2.EnrolSubjectResponse(
            subject=subject_to_pb(subject),
            photos=[photo_result_to_pb(r) for r in results],
            watchlist_version=self._store.get_watchlist(watchlist.id).version,
        )

    @errors_to_status
    def AddSubjectPhotos(
        self, request: watchlist_pb2.AddSubjectPhotosRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.EnrolSubjectResponse:
        current = self._faces.get_subject(request.subject_id)
        results = self._assess(list(request.photos))
        templates = [r.template for r in results if r.template is not None]
        subject = self._faces.add_templates(current.id, templates, actor_of(context))
        self._cache.refresh()
        return watchlist_pb2.EnrolSubjectResponse(
            subject=subject_to_pb(subject),
            photos=[photo_result_to_pb(r) for r in results],
            watchlist_version=self._store.get_watchlist(subject.watchlist_id).version,
        )

    @errors_to_status
    def GetSubject(
        self, request: watchlist_pb2.GetSubjectRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.FaceSubject:
        return subject_to_pb(self._faces.get_subject(request.subject_id))

    @errors_to_status
    def GetSubjectChips(
        self, request: watchlist_pb2.GetSubjectRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.SubjectChips:
        chips = self._faces.template_chips(request.subject_id, viewer=actor_of(context))
        return watchlist_pb2.SubjectChips(subject_id=request.subject_id, chips_jpeg=chips)

    @errors_to_status
    def UpdateSubject(
        self, request: watchlist_pb2.UpdateSubjectRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.FaceSubject:
        current = self._faces.get_subject(request.subject.id)
        merged = masked_update(
            current.fields.as_dict(), subject_fields_raw(request.subject), request.update_mask.paths
        )
        fields = validate_subject(merged)
        subject = self._faces.update_subject(current.id, fields, actor_of(context))
        self._cache.refresh()
        return subject_to_pb(subject)

    @errors_to_status
    def RemoveSubject(
        self, request: watchlist_pb2.RemoveSubjectRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.RemovePlateEntryResponse:
        if not request.reason.strip():
            raise InvalidRequestError("reason: say why the subject is removed")
        version = self._faces.remove_subject(
            request.subject_id, actor_of(context), request.reason.strip()
        )
        self._cache.refresh()
        return watchlist_pb2.RemovePlateEntryResponse(watchlist_version=version)

    @errors_to_status
    def ListSubjects(
        self, request: watchlist_pb2.ListSubjectsRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.ListSubjectsResponse:
        subjects, token, version = self._faces.list_subjects(
            request.watchlist,
            page_size=request.page_size or 100,
            page_token=request.page_token,
            status=status_filter(request.status),
        )
        return watchlist_pb2.ListSubjectsResponse(
            subjects=[subject_to_pb(s) for s in subjects],
            next_page_token=token,
            watchlist_version=version,
        )

    @errors_to_status
    def ApprovePlateEntry(
        self, request: watchlist_pb2.ApprovePlateEntryRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.PlateEntry:
        entry = self._store.approve_entry(request.entry_id, actor_of(context), request.note)
        self._cache.refresh()
        return entry_to_pb(entry)

    @errors_to_status
    def RejectPlateEntry(
        self, request: watchlist_pb2.RejectPlateEntryRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.PlateEntry:
        entry = self._store.reject_entry(request.entry_id, actor_of(context), request.note)
        self._cache.refresh()
        return entry_to_pb(entry)

    @errors_to_status
    def ApproveSubject(
        self, request: watchlist_pb2.ApproveSubjectRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.FaceSubject:
        subject = self._faces.approve_subject(request.subject_id, actor_of(context), request.note)
        self._cache.refresh()
        return subject_to_pb(subject)

    @errors_to_status
    def RejectSubject(
        self, request: watchlist_pb2.RejectSubjectRequest, context: grpc.ServicerContext
    ) -> watchlist_pb2.FaceSubject:
        subject = self._faces.reject_subject(request.subject_id, actor_of(context), request.note)
        self._cache.refresh()
        return subject_to_pb(subject)


def _keys(rows: list[ImportRow]) -> list[PlateKey]:
    return [plate_key(row.fields) for row in rows if row.fields is not None]
