"""Translation between protobuf messages and domain values; the only place that knows both."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from ..domain.decisions import CameraRole, Decision, Outcome, PlateRead
from ..domain.enrolment import PhotoResult
from ..domain.faces import FaceSubject, SubjectFields
from ..domain.governance import Approval, ApprovalStatus
from ..domain.screening import FrameInput
from ..domain.watchlists import (
    GOVERNANCE_FIELD_NAMES,
    EntryFields,
    ListKind,
    MatchMode,
    PlateEntry,
    Watchlist,
)
from ..v1 import common_pb2, screening_pb2, watchlist_pb2
from ..vision.types import Box

CAMERA_TO_PB = {
    CameraRole.PLATE: common_pb2.CAMERA_ROLE_PLATE,
    CameraRole.DRIVER: common_pb2.CAMERA_ROLE_DRIVER,
    CameraRole.OVERVIEW: common_pb2.CAMERA_ROLE_OVERVIEW,
}
CAMERA_FROM_PB = {v: k for k, v in CAMERA_TO_PB.items()} | {
    common_pb2.CAMERA_ROLE_UNSPECIFIED: CameraRole.PLATE
}
OUTCOME_TO_PB = {
    Outcome.HIT: common_pb2.OUTCOME_HIT,
    Outcome.CLEAR: common_pb2.OUTCOME_CLEAR,
    Outcome.REVIEW: common_pb2.OUTCOME_REVIEW,
}
OUTCOME_FROM_PB = {v: k for k, v in OUTCOME_TO_PB.items()}
KIND_TO_PB = {ListKind.DENY: common_pb2.LIST_KIND_DENY, ListKind.ALLOW: common_pb2.LIST_KIND_ALLOW}
KIND_FROM_PB = {v: k for k, v in KIND_TO_PB.items()}
MODE_TO_PB = {
    MatchMode.EXACT: common_pb2.MATCH_MODE_EXACT,
    MatchMode.LENIENT: common_pb2.MATCH_MODE_LENIENT,
}
MODE_FROM_PB = {v: k for k, v in MODE_TO_PB.items()} | {
    common_pb2.MATCH_MODE_UNSPECIFIED: MatchMode.EXACT
}
STATUS_TO_PB = {
    ApprovalStatus.ACTIVE: watchlist_pb2.APPROVAL_STATUS_ACTIVE,
    ApprovalStatus.PENDING: watchlist_pb2.APPROVAL_STATUS_PENDING,
    ApprovalStatus.REJECTED: watchlist_pb2.APPROVAL_STATUS_REJECTED,
}
STATUS_FROM_PB: dict[int, ApprovalStatus | None] = {v: k for k, v in STATUS_TO_PB.items()} | {
    watchlist_pb2.APPROVAL_STATUS_UNSPECIFIED: None
}
"""A list filter's status; unspecified means any."""
MATCH_KIND_TO_PB = {
    "exact": common_pb2.MATCH_KIND_EXACT,
    "candidate": common_pb2.MATCH_KIND_CANDIDATE,
    "confusable": common_pb2.MATCH_KIND_CONFUSABLE,
    "one_edit": common_pb2.MATCH_KIND_ONE_EDIT,
    "face": common_pb2.MATCH_KIND_FACE,
}


def timestamp(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value.astimezone(UTC))
    return ts


def from_timestamp(ts: Timestamp) -> datetime | None:
    """A set timestamp as an aware UTC datetime; an unset (zero) one as None."""
    if ts.seconds == 0 and ts.nanos == 0:
        return None
    return ts.ToDatetime(tzinfo=UTC)


def frame_from_pb(msg: screening_pb2.Frame) -> FrameInput:
    hint = None
    if msg.HasField("region_hint"):
        r = msg.region_hint
        hint = Box(r.x, r.y, r.width, r.height)
    return FrameInput(
        lane_id=msg.lane_id,
        camera=CAMERA_FROM_PB.get(msg.camera, CameraRole.PLATE),
        frame_id=msg.frame_id,
        image=msg.image,
        captured_at=from_timestamp(msg.captured_at) if msg.HasField("captured_at") else None,
        region_hint=hint,
        plate_region=msg.plate_region.strip().lower(),
        passage_id=msg.passage_id,
    )


def box_to_pb(box: Box) -> common_pb2.Box:
    return common_pb2.Box(x=box.x, y=box.y, width=box.width, height=box.height)


def plate_to_pb(p: PlateRead, plate: screening_pb2.PlateRead) -> None:
    """Fill ``plate`` (a field's new element) from ``p``."""
    plate.text, plate.region, plate.format = p.text, p.region, p.format
    plate.confidence, plate.detection_score = p.confidence, p.detection_score
    plate.char_confidences.extend(p.char_confidences)
    plate.reader, plate.frame_id = p.reader, p.frame_id
    plate.frames, plate.track_id, plate.carried = p.frames, p.track_id, p.carried
    plate.box.CopyFrom(box_to_pb(p.box))
    for x, y in p.corners or ():
        plate.corners.add(x=x, y=y)
    for c in p.candidates:
        plate.candidates.add(text=c.text, confidence=c.confidence)


def decision_to_pb(d: Decision) -> screening_pb2.Decision:
    msg = screening_pb2.Decision(
        decision_id=d.decision_id,
        lane_id=d.lane_id,
        frame_id=d.frame_id,
        camera=CAMERA_TO_PB[d.camera],
        outcome=OUTCOME_TO_PB[d.outcome],
        budget_ms=d.budget_ms,
        budget_met=d.budget_met,
        total_ms=d.total_ms,
        passage_id=d.passage_id,
        frame_ids=list(d.frame_ids),
        alert_id=d.alert_id,
    )
    msg.captured_at.CopyFrom(timestamp(d.captured_at))
    msg.decided_at.CopyFrom(timestamp(d.decided_at))
    if d.alert is not None:
        msg.alert.frames = d.alert.frames
        msg.alert.first_at.CopyFrom(timestamp(d.alert.first_at))
        msg.alert.last_at.CopyFrom(timestamp(d.alert.last_at))
        if d.alert.closed_at is not None:
            msg.alert.closed_at.CopyFrom(timestamp(d.alert.closed_at))
        msg.alert.history.extend(
            f"{h['at']} {h['outcome']} {','.join(h['reasons'])}{' (ended)' if h.get('closed') else ''}"
            for h in d.alert.history
        )
    for r in d.reasons:
        msg.reasons.add(code=r.code.value, detail=r.detail, stage=r.stage)
    for p in d.plates:
        plate_to_pb(p, msg.plates.add())
    for p in d.frame_plates:
        plate_to_pb(p, msg.frame_plates.add())
    for state in d.passages:
        passage = msg.passages.add(
            passage_id=state.passage_id,
            outcome=OUTCOME_TO_PB[state.outcome],
            reasons=[r.code.value for r in state.reasons],
            frames=state.frames,
            closed=state.closed,
            tentative=state.tentative,
            alert_id=state.alert_id,
        )
        for p in state.plates:
            plate_to_pb(p, passage.plates.add())
    for f in d.faces:
        face = msg.faces.add(
            detection_score=f.detection_score,
            camera_type=f.camera_type,
            eye_distance_px=f.eye_distance_px,
            sharpness=f.sharpness,
            yaw_deg=f.yaw_deg,
            quality_ok=f.quality_ok,
            quality_detail=f.quality_detail,
            embedder=f.embedder,
            frame_id=f.frame_id,
        )
        face.box.CopyFrom(box_to_pb(f.box))
    for m in d.matches:
        msg.matches.add(
            entry_id=m.entry_id,
            watchlist_id=m.watchlist_id,
            watchlist_name=m.watchlist_name,
            list_kind=KIND_TO_PB[m.list_kind],
            category=m.category,
            action=m.action,
            priority=m.priority,
            entry_plate=m.entry_plate,
            read_text=m.read_text,
            match_kind=MATCH_KIND_TO_PB.get(m.match_kind, common_pb2.MATCH_KIND_UNSPECIFIED),
            distance=m.distance,
            reason=m.reason,
            subject_kind=m.subject_kind,
            subject_name=m.subject_name,
            score=m.score,
            threshold=m.threshold,
        )
    for t in d.timings:
        msg.timings.add(stage=t.stage, ms=t.ms)
    return msg


def watchlist_to_pb(wl: Watchlist) -> watchlist_pb2.Watchlist:
    msg = watchlist_pb2.Watchlist(
        id=wl.id,
        name=wl.name,
        kind=KIND_TO_PB[wl.kind],
        description=wl.description,
        version=wl.version,
        entry_count=wl.entry_count,
        subject_count=wl.subject_count,
        created_by=wl.created_by,
    )
    msg.created_at.CopyFrom(timestamp(wl.created_at))
    return msg


def entry_to_pb(entry: PlateEntry) -> watchlist_pb2.PlateEntry:
    f = entry.fields
    msg = watchlist_pb2.PlateEntry(
        id=entry.id,
        watchlist_id=entry.watchlist_id,
        plate=f.plate,
        region=f.region,
        match_mode=MODE_TO_PB[f.match_mode],
        created_by=entry.created_by,
        normalized_plate=entry.normalized_plate,
        updated_by=entry.updated_by,
    )
    msg.created_at.CopyFrom(timestamp(entry.created_at))
    msg.updated_at.CopyFrom(timestamp(entry.updated_at))
    _set_governance(msg, f, entry.approval)
    return msg


def _set_governance(
    msg: watchlist_pb2.PlateEntry | watchlist_pb2.FaceSubject,
    fields: EntryFields | SubjectFields,
    approval: Approval,
) -> None:
    """The governance fields and approval, which entries and subjects share by name."""
    for name in GOVERNANCE_FIELD_NAMES:
        if name != "expires_at":
            setattr(msg, name, getattr(fields, name))
    if fields.expires_at is not None:
        msg.expires_at.CopyFrom(timestamp(fields.expires_at))
    msg.status = STATUS_TO_PB[approval.status]
    msg.reviewed_by = approval.reviewed_by
    msg.review_note = approval.note
    if approval.reviewed_at is not None:
        msg.reviewed_at.CopyFrom(timestamp(approval.reviewed_at))


def _governance_raw(msg: watchlist_pb2.PlateEntry | watchlist_pb2.FaceSubject) -> dict[str, Any]:
    raw = {name: getattr(msg, name) for name in GOVERNANCE_FIELD_NAMES if name != "expires_at"}
    raw["priority"] = msg.priority or None  # unset: the default priority
    raw["expires_at"] = from_timestamp(msg.expires_at) if msg.HasField("expires_at") else None
    return raw


def entry_fields_raw(msg: watchlist_pb2.PlateEntry) -> dict[str, Any]:
    """The officer-settable fields of a message, loosely typed, for ``validate_entry``."""
    return {
        "plate": msg.plate,
        "region": msg.region,
        "match_mode": MODE_FROM_PB.get(msg.match_mode, MatchMode.EXACT).value,
        **_governance_raw(msg),
    }


def subject_to_pb(subject: FaceSubject) -> watchlist_pb2.FaceSubject:
    f = subject.fields
    msg = watchlist_pb2.FaceSubject(
        id=subject.id,
        watchlist_id=subject.watchlist_id,
        name=f.name,
        plates=list(f.plates),
        created_by=subject.created_by,
        photo_count=subject.template_count,
        updated_by=subject.updated_by,
    )
    msg.created_at.CopyFrom(timestamp(subject.created_at))
    msg.updated_at.CopyFrom(timestamp(subject.updated_at))
    _set_governance(msg, f, subject.approval)
    return msg


def subject_fields_raw(msg: watchlist_pb2.FaceSubject) -> dict[str, Any]:
    """The officer-settable fields of a message, loosely typed, for ``validate_subject``."""
    return {
        "name": msg.name,
        "plates": list(msg.plates),
        **_governance_raw(msg),
    }


def photo_result_to_pb(result: PhotoResult) -> watchlist_pb2.PhotoResult:
    return watchlist_pb2.PhotoResult(
        index=result.index,
        ok=result.ok,
        error=result.error,
        eye_distance_px=result.eye_distance_px,
        sharpness=result.sharpness,
        camera_type=result.camera_type,
    )
