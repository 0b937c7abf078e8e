"""Decisions: the explained outcome of screening a frame or a passage, and the rules behind it.

Nothing is decided silently: every decision carries at least one reason, the plate reads and faces
it rests on, the entries and subjects it matched (with scores and thresholds) and the time each
stage took. A passage's frames (plate and driver cameras) are decided together, so each answer
carries everything the passage has shown so far.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..vision.types import Box, Candidate, Point
from .face_index import FaceMatch
from .faces import FaceSubject
from .matching import Match
from .watchlists import ListKind


class Outcome(StrEnum):
    HIT = "HIT"
    CLEAR = "CLEAR"
    REVIEW = "REVIEW"


class CameraRole(StrEnum):
    PLATE = "plate"
    DRIVER = "driver"
    OVERVIEW = "overview"


class ReasonCode(StrEnum):
    DENY_LIST_MATCH = "deny_list_match"
    ALLOW_LIST_MATCH = "allow_list_match"
    NOT_ON_ALLOW_LIST = "not_on_allow_list"
    NO_PLATE_FOUND = "no_plate_found"
    LOW_CONFIDENCE_READ = "low_confidence_read"
    BUDGET_EXCEEDED = "budget_exceeded"
    RECOGNITION_FAILED = "recognition_failed"
    FACE_DENY_LIST_MATCH = "face_deny_list_match"
    FACE_ALLOW_LIST_MATCH = "face_allow_list_match"
    FACE_NOT_ON_ALLOW_LIST = "face_not_on_allow_list"
    NO_FACE_FOUND = "no_face_found"
    POOR_FACE_QUALITY = "poor_face_quality"
    PLATE_AND_FACE_AGREE = "plate_and_face_agree"
    FACE_CONTRADICTS_DRIVER = "face_contradicts_enrolled_driver"
    WATCHLIST_STALE = "watchlist_stale"
    FRAME_REPAIRED = "frame_repaired"
    """A note, not a ground: the frame needed mending to decode (a JPEG without its end
    marker whose image data was whole)."""
    CLEAR = "clear"


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    detail: str
    stage: str = ""


@dataclass(frozen=True)
class PlateRead:
    """A plate found in the frame and read, in normalised form."""

    text: str
    confidence: float
    char_confidences: tuple[float, ...]
    candidates: tuple[Candidate, ...]
    box: Box
    corners: tuple[Point, ...] | None
    detection_score: float
    reader: str
    region: str = ""
    format: str = ""
    frame_id: str = ""
    """The passage frame it was read in (empty: the decision's own frame); for a consolidated
    read, the frame of its best view."""
    frames: int = 1
    """How many frames' reads it consolidates (:func:`~lanescreen.domain.fusion.fuse`); 1: one
    frame's own read."""
    track_id: str = ""
    """The plate track it belongs to: one plate followed from frame to frame."""
    carried: bool = False
    """Not read in its frame: detected where its track's plate was expected, and given the
    track's settled consolidated read (:class:`~lanescreen.domain.passages.TrackFocus`)."""


@dataclass(frozen=True)
class FaceRead:
    """A face seen in a driver-camera frame, as a decision keeps it: measurements, never pixels."""

    box: Box
    detection_score: float
    camera_type: str
    """``colour`` or ``grey`` (IR): thresholds are calibrated per camera type."""
    eye_distance_px: float
    sharpness: float
    yaw_deg: float
    quality_ok: bool
    quality_detail: str
    """Why the quality gate refused the face; empty when it passed."""
    embedder: str
    frame_id: str = ""


@dataclass(frozen=True)
class MatchRecord:
    """A watchlist match as kept in a decision: self-contained, so it survives entry edits.

    A face match names the subject in ``entry_id``/``subject_name``, with the similarity
    ``score`` and the ``threshold`` it had to reach; its plate fields are empty.
    """

    entry_id: str
    watchlist_id: str
    watchlist_name: str
    list_kind: ListKind
    category: str
    action: str
    priority: int
    entry_plate: str
    read_text: str
    match_kind: str
    distance: int
    reason: str
    subject_kind: str = "plate"
    """``plate`` (a plate entry) or ``face`` (a face subject)."""
    subject_name: str = ""
    score: float = 0.0
    threshold: float = 0.0

    @classmethod
    def of_face(cls, match: FaceMatch) -> MatchRecord:
        f = match.subject.fields
        return cls(
            entry_id=match.subject.id,
            watchlist_id=match.watchlist.id,
            watchlist_name=match.watchlist.name,
            list_kind=match.watchlist.kind,
            category=f.category,
            action=f.action,
            priority=f.priority,
            entry_plate="",
            read_text="",
            match_kind="face",
            distance=0,
            reason=f.reason,
            subject_kind="face",
            subject_name=f.name,
            score=match.score,
            threshold=match.threshold,
        )

    @classmethod
    def of(cls, match: Match) -> MatchRecord:
        f = match.entry.fields
        return cls(
            entry_id=match.entry.id,
            watchlist_id=match.watchlist.id,
            watchlist_name=match.watchlist.name,
            list_kind=match.watchlist.kind,
            category=f.category,
            action=f.action,
            priority=f.priority,
            entry_plate=f.plate,
            read_text=match.read_text,
            match_kind=match.kind.value,
            distance=match.distance,
            reason=f.reason,
        )


@dataclass(frozen=True)
class Evidence:
    """Images kept with a HIT or REVIEW so an officer can check the read against the picture."""

    plate_crop_jpeg: bytes | None
    frame_jpeg: bytes | None
    face_chip_jpeg: bytes | None = None


@dataclass(frozen=True)
class StageTiming:
    stage: str
    ms: float


@dataclass(frozen=True)
class PassageState:
    """One vehicle's passage as a frame left it: decided on its own, on its consolidated reads."""

    passage_id: str
    outcome: Outcome
    reasons: tuple[Reason, ...]
    plates: tuple[PlateRead, ...]
    """One consolidated read per plate track."""
    frames: int
    closed: bool = False
    """The passage ended with this frame (the next vehicle came, or its plates were gone)."""
    tentative: bool = False
    """Its plate was glimpsed in a frame or two and never read confidently: perhaps no vehicle."""
    matches: tuple[MatchRecord, ...] = ()
    alert_id: str = ""
    """The officers' alert for this passage, once it has one: from its first HIT, or when it
    ends a REVIEW (not a tentative one). The same id for every frame of the passage."""

    def to_json(self) -> dict[str, Any]:
        return {
            "passage_id": self.passage_id,
            "outcome": self.outcome.value,
            "reasons": [_reason_json(r) for r in self.reasons],
            "plates": [_plate_json(p) for p in self.plates],
            "frames": self.frames,
            "closed": self.closed,
            "tentative": self.tentative,
            "matches": [_match_json(m) for m in self.matches],
            "alert_id": self.alert_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PassageState:
        return cls(
            passage_id=data["passage_id"],
            outcome=Outcome(data["outcome"]),
            reasons=tuple(_reason_from_json(r) for r in data["reasons"]),
            plates=tuple(_plate_from_json(p) for p in data["plates"]),
            frames=int(data["frames"]),
            closed=bool(data.get("closed", False)),
            tentative=bool(data.get("tentative", False)),
            matches=tuple(_match_from_json(m) for m in data.get("matches", ())),
            alert_id=data.get("alert_id", ""),
        )


def _reason_json(r: Reason) -> dict[str, str]:
    return {"code": r.code.value, "detail": r.detail, "stage": r.stage}


def _reason_from_json(r: dict[str, str] | str) -> Reason:
    if isinstance(r, str):
        return Reason(ReasonCode(r), "")
    return Reason(ReasonCode(r["code"]), r["detail"], r.get("stage", ""))


@dataclass(frozen=True)
class AlertSummary:
    """What the hit log knows of an alert beyond its latest decision: its passage's frames."""

    frames: int
    first_at: datetime
    last_at: datetime
    closed_at: datetime | None
    history: tuple[dict[str, Any], ...] = ()
    """Each change of its outcome: when, to what, why, from which frame."""

    def to_json(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "first_at": self.first_at.isoformat(),
            "last_at": self.last_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "history": list(self.history),
        }


@dataclass(frozen=True)
class Decision:
    decision_id: str
    lane_id: str
    frame_id: str
    camera: CameraRole
    outcome: Outcome
    reasons: tuple[Reason, ...]
    plates: tuple[PlateRead, ...]
    matches: tuple[MatchRecord, ...]
    timings: tuple[StageTiming, ...]
    budget_ms: int
    budget_met: bool
    total_ms: float
    captured_at: datetime
    decided_at: datetime
    passage_id: str = ""
    faces: tuple[FaceRead, ...] = ()
    frame_ids: tuple[str, ...] = ()
    """Every frame of the passage this decision combines, in arrival order."""
    frame_plates: tuple[PlateRead, ...] = ()
    """This frame's own reads (``plates`` are the passage's consolidated ones)."""
    passages: tuple[PassageState, ...] = ()
    """The passages this frame belongs to (two vehicles in one frame: two), then those it
    closed."""
    alert: AlertSummary | None = None
    """Set on decisions listed from the hit log: the alert they stand for."""
    frame_decision_id: str = ""
    """For an alert (the hit log's record of a passage): the frame decision it was last
    updated from. Empty for a frame's own decision."""
    answered: bool = True
    """False when the node stopped after making the decision durable and before answering it:
    its times are those known then, and the lane may never have had it."""

    @property
    def alert_id(self) -> str:
        """The alert of the decision's passage, if it has one (an alert's own id, for one)."""
        if self.frame_decision_id:
            return self.decision_id
        return next((s.alert_id for s in self.passages if s.passage_id == self.passage_id), "")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the stored form and the JSON Lines export form."""
        unanswered = {} if self.answered else {"answered": False}
        return {
            "decision_id": self.decision_id,
            "lane_id": self.lane_id,
            "frame_id": self.frame_id,
            "camera": self.camera.value,
            "passage_id": self.passage_id,
            "outcome": self.outcome.value,
            "reasons": [_reason_json(r) for r in self.reasons],
            "plates": [_plate_json(p) for p in self.plates],
            "faces": [_face_json(f) for f in self.faces],
            "frame_ids": list(self.frame_ids),
            "frame_plates": [_plate_json(p) for p in self.frame_plates],
            "passages": [p.to_json() for p in self.passages],
            **({"frame_decision_id": self.frame_decision_id} if self.frame_decision_id else {}),
            **({"alert": self.alert.to_json()} if self.alert else {}),
            "matches": [_match_json(m) for m in self.matches],
            "timings": {t.stage: round(t.ms, 3) for t in self.timings},
            "budget_ms": self.budget_ms,
            "budget_met": self.budget_met,
            "total_ms": round(self.total_ms, 3),
            "captured_at": self.captured_at.isoformat(),
            "decided_at": self.decided_at.isoformat(),
            **unanswered,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Decision:
        return cls(
            decision_id=data["decision_id"],
            lane_id=data["lane_id"],
            frame_id=data["frame_id"],
            camera=CameraRole(data["camera"]),
            passage_id=data.get("passage_id", ""),
            outcome=Outcome(data["outcome"]),
            reasons=tuple(_reason_from_json(r) for r in data["reasons"]),
            plates=tuple(_plate_from_json(p) for p in data["plates"]),
            faces=tuple(_face_from_json(f) for f in data.get("faces", ())),
            frame_ids=tuple(data.get("frame_ids", ())),
            frame_plates=tuple(_plate_from_json(p) for p in data.get("frame_plates", ())),
            passages=tuple(PassageState.from_json(p) for p in data.get("passages", ())),
            frame_decision_id=data.get("frame_decision_id", ""),
            matches=tuple(_match_from_json(m) for m in data["matches"]),
            timings=tuple(StageTiming(stage, float(ms)) for stage, ms in data["timings"].items()),
            budget_ms=int(data["budget_ms"]),
            budget_met=bool(data["budget_met"]),
            total_ms=float(data["total_ms"]),
            captured_at=datetime.fromisoformat(data["captured_at"]),
            decided_at=datetime.fromisoformat(data["decided_at"]),
            answered=bool(data.get("answered", True)),
        )


def _plate_json(p: PlateRead) -> dict[str, Any]:
    return {
        "text": p.text,
        "confidence": round(p.confidence, 4),
        "char_confidences": [round(c, 4) for c in p.char_confidences],
        "candidates": [
            {"text": c.text, "confidence": round(c.confidence, 4)} for c in p.candidates
        ],
        "box": [p.box.x, p.box.y, p.box.width, p.box.height],
        "corners": [list(pt) for pt in p.corners] if p.corners else None,
        "detection_score": round(p.detection_score, 4),
        "reader": p.reader,
        "region": p.region,
        "format": p.format,
        "frame_id": p.frame_id,
        "frames": p.frames,
        "track_id": p.track_id,
        "carried": p.carried,
    }


def _plate_from_json(d: dict[str, Any]) -> PlateRead:
    corners = d.get("corners")
    return PlateRead(
        text=d["text"],
        confidence=float(d["confidence"]),
        char_confidences=tuple(float(c) for c in d["char_confidences"]),
        candidates=tuple(Candidate(c["text"], float(c["confidence"])) for c in d["candidates"]),
        box=Box(*(float(v) for v in d["box"])),
        corners=tuple((float(x), float(y)) for x, y in corners) if corners else None,
        detection_score=float(d["detection_score"]),
        reader=d["reader"],
        region=d.get("region", ""),
        format=d.get("format", ""),
        frame_id=d.get("frame_id", ""),
        frames=int(d.get("frames", 1)),
        track_id=d.get("track_id", ""),
        carried=bool(d.get("carried", False)),
    )


def _face_json(f: FaceRead) -> dict[str, Any]:
    return {
        "box": [f.box.x, f.box.y, f.box.width, f.box.height],
        "detection_score": round(f.detection_score, 4),
        "camera_type": f.camera_type,
        "eye_distance_px": round(f.eye_distance_px, 1),
        "sharpness": round(f.sharpness, 1),
        "yaw_deg": round(f.yaw_deg, 1),
        "quality_ok": f.quality_ok,
        "quality_detail": f.quality_detail,
        "embedder": f.embedder,
        "frame_id": f.frame_id,
    }


def _face_from_json(d: dict[str, Any]) -> FaceRead:
    return FaceRead(**{**d, "box": Box(*(float(v) for v in d["box"]))})


def _match_json(m: MatchRecord) -> dict[str, Any]:
    return {
        "entry_id": m.entry_id,
        "watchlist_id": m.watchlist_id,
        "watchlist_name": m.watchlist_name,
        "list_kind": m.list_kind.value,
        "category": m.category,
        "action": m.action,
        "priority": m.priority,
        "entry_plate": m.entry_plate,
        "read_text": m.read_text,
        "match_kind": m.match_kind,
        "distance": m.distance,
        "reason": m.reason,
        "subject_kind": m.subject_kind,
        "subject_name": m.subject_name,
        "score": round(m.score, 4),
        "threshold": round(m.threshold, 4),
    }


def _match_from_json(d: dict[str, Any]) -> MatchRecord:
    return MatchRecord(**{**d, "list_kind": ListKind(d["list_kind"])})


@dataclass(frozen=True)
class LanePolicy:
    """What the decision rules need to know about a lane."""

    has_allow_lists: bool
    review_when_no_plate: bool
    min_read_confidence: float
    face_allow_lists: bool = False
    """Some allow list of the lane holds face subjects: a face on none of them is a stranger."""
    review_when_no_face: bool = True
    max_watchlist_age_s: float = 1.0
    """Watchlists last confirmed longer ago than this decide nothing on their own."""


@dataclass(frozen=True)
class DriverCheck:
    """Whether the face at the wheel is one of the drivers enrolled for a listed plate."""

    plate_match: Match
    drivers: tuple[FaceSubject, ...]
    score: float | None
    """Best score of a usable face against those drivers; None when no usable face was seen."""
    threshold: float

    @property
    def agrees(self) -> bool | None:
        return None if self.score is None else self.score >= self.threshold


@dataclass(frozen=True)
class Findings:
    """Everything a frame (or the passage it belongs to) has shown, matched against the lists."""

    reads: list[PlateRead] = field(default_factory=list)
    deny: list[Match] = field(default_factory=list)
    allow: list[Match] = field(default_factory=list)
    plate_frames: int = 0
    """Plate- or overview-camera frames screened: none means plates were not looked for."""
    faces: list[FaceRead] = field(default_factory=list)
    face_deny: list[FaceMatch] = field(default_factory=list)
    face_allow: list[FaceMatch] = field(default_factory=list)
    face_frames: int = 0
    """Driver-camera frames screened: none means faces were not looked for."""
    nearest_face: float = 0.0
    """Best score of a usable face against any listed subject searched (for CLEAR's reason)."""
    face_threshold: float = 0.0
    drivers: list[DriverCheck] = field(default_factory=list)
    watchlist_age_s: float = 0.0
    """How long ago the watchlists matched against were last confirmed to be the site's."""


@dataclass
class Verdict:
    """The outcome and its reasons, before timings and ids are attached."""

    outcome: Outcome
    reasons: list[Reason] = field(default_factory=list)
    matches: list[MatchRecord] = field(default_factory=list)


def _deny_reason(m: Match) -> Reason:
    f = m.entry.fields
    return Reason(
        ReasonCode.DENY_LIST_MATCH,
        f"read {m.read_text} matched {m.watchlist.name!r} entry {f.plate} ({m.kind.value}; "
        f"category {f.category or '-'}, action {f.action})",
    )


def _face_reason(code: ReasonCode, m: FaceMatch) -> Reason:
    f = m.subject.fields
    return Reason(
        code,
        f"face matched {m.watchlist.name!r} subject {f.name} (score {m.score:.3f} >= threshold "
        f"{m.threshold:.3f}; category {f.category or '-'}, action {f.action})",
    )


def _driver_reason(check: DriverCheck) -> Reason | None:
    names = ", ".join(d.fields.name for d in check.drivers)
    plate = check.plate_match.entry.fields.plate
    if check.agrees is None or check.score is None:
        return None
    if check.agrees:
        return Reason(
            ReasonCode.PLATE_AND_FACE_AGREE,
            f"the driver's face matches {names}, enrolled as driver of listed plate {plate} "
            f"(score {check.score:.3f} >= {check.threshold:.3f})",
        )
    return Reason(
        ReasonCode.FACE_CONTRADICTS_DRIVER,
        f"listed plate {plate} is enrolled with driver {names}, but the driver's face does not "
        f"match (best score {check.score:.3f} < {check.threshold:.3f}): verify who is driving",
    )


def _each_plate(reads: Sequence[PlateRead]) -> list[PlateRead]:
    """One read per text, its most confident: a passage's frames read one plate many times,
    and a reason names it once."""
    best: dict[str, PlateRead] = {}
    for read in reads:
        if read.text not in best or read.confidence > best[read.text].confidence:
            best[read.text] = read
    return list(best.values())


def _plate_doubts(findings: Findings, policy: LanePolicy) -> tuple[list[Reason], list[Reason]]:
    """(reasons to REVIEW, reasons to CLEAR) from the plate side of a lane without allow lists."""
    reads = findings.reads
    if not findings.plate_frames:
        return [], []
    if not reads:
        reason = Reason(ReasonCode.NO_PLATE_FOUND, "no plate found in the frame")
        return ([reason], []) if policy.review_when_no_plate else ([], [reason])
    confident = [r for r in reads if r.confidence >= policy.min_read_confidence]
    if not confident:
        texts = ", ".join(f"{r.text or '?'} ({r.confidence:.2f})" for r in _each_plate(reads))
        detail = (
            f"read {texts} is below the confidence needed to clear "
            f"({policy.min_read_confidence:.2f}); a misread could hide a listed plate"
        )
        return [Reason(ReasonCode.LOW_CONFIDENCE_READ, detail)], []
    texts = ", ".join(r.text for r in _each_plate(confident))
    return [], [Reason(ReasonCode.CLEAR, f"read {texts} matched no watchlist entry")]


def _face_doubts(findings: Findings, policy: LanePolicy) -> list[Reason]:
    """Reasons to REVIEW because no face could be screened (empty when one could)."""
    if not findings.face_frames or any(f.quality_ok for f in findings.faces):
        return []
    if findings.faces:
        details = "; ".join(f.quality_detail for f in findings.faces)
        return [Reason(ReasonCode.POOR_FACE_QUALITY, f"no face good enough to screen: {details}")]
    if policy.review_when_no_face:
        return [Reason(ReasonCode.NO_FACE_FOUND, "no face found in the driver-camera frame")]
    return []


def decide(findings: Findings, policy: LanePolicy) -> Verdict:
    """Apply the lane's rules to what a frame or passage showed (:func:`_verdict`), on
    watchlists confirmed recently enough: otherwise a listing or a removal made since could be
    missing, and the frame is a REVIEW ``watchlist_stale`` showing what the old lists gave."""
    verdict = _verdict(findings, policy)
    age, limit = findings.watchlist_age_s, policy.max_watchlist_age_s
    if age <= limit:
        return verdict
    detail = (
        f"the watchlists here were last confirmed {age * 1000:.0f} ms ago (at most "
        f"{limit * 1000:.0f} ms allowed): the database does not answer, so a listing or removal "
        f"made since may be missing; on the lists as they were, {verdict.outcome.value}"
    )
    stale = Reason(ReasonCode.WATCHLIST_STALE, detail)
    return Verdict(Outcome.REVIEW, [stale, *verdict.reasons], verdict.matches)


def _verdict(findings: Findings, policy: LanePolicy) -> Verdict:
    """Apply the lane's rules to what a frame or passage showed.

    A face on a deny list is a HIT on its own. A listed plate is a HIT, confirmed when the face
    matches the driver enrolled for it, and a REVIEW when a usable face contradicts that driver.
    On allow-list lanes a plate or a face on none of the lists is a REVIEW (a stranger). Anything
    that could not be screened (no plate, a doubtful read, no usable face) is a REVIEW saying so.
    """
    if findings.face_deny:
        reasons = [_face_reason(ReasonCode.FACE_DENY_LIST_MATCH, m) for m in findings.face_deny]
        reasons += [_deny_reason(m) for m in findings.deny]
        reasons += [r for c in findings.drivers if (r := _driver_reason(c))]
        hits = [MatchRecord.of_face(m) for m in findings.face_deny]
        hits += [MatchRecord.of(m) for m in findings.deny]
        return Verdict(Outcome.HIT, reasons, hits)
    if findings.deny:
        reasons = [_deny_reason(m) for m in findings.deny]
        driver_reasons = [r for c in findings.drivers if (r := _driver_reason(c))]
        hits = [MatchRecord.of(m) for m in findings.deny + findings.allow]
        if any(r.code is ReasonCode.FACE_CONTRADICTS_DRIVER for r in driver_reasons) and not any(
            r.code is ReasonCode.PLATE_AND_FACE_AGREE for r in driver_reasons
        ):
            return Verdict(Outcome.REVIEW, driver_reasons + reasons, hits)
        return Verdict(Outcome.HIT, reasons + driver_reasons, hits)

    review: list[Reason] = []
    clear: list[Reason] = []
    matches: list[MatchRecord] = []
    if policy.has_allow_lists and findings.plate_frames:
        if findings.allow:
            m = findings.allow[0]
            detail = f"read {m.read_text} is on allow list {m.watchlist.name!r} ({m.kind.value})"
            clear.append(Reason(ReasonCode.ALLOW_LIST_MATCH, detail))
            matches += [MatchRecord.of(a) for a in findings.allow]
        elif findings.reads:
            texts = ", ".join(r.text or "?" for r in _each_plate(findings.reads))
            detail = f"read {texts} is on none of the lane's allow lists"
            review.append(Reason(ReasonCode.NOT_ON_ALLOW_LIST, detail))
        else:
            review.append(Reason(ReasonCode.NO_PLATE_FOUND, "no plate found in the frame"))
    else:
        doubts, fine = _plate_doubts(findings, policy)
        review += doubts
        clear += fine
    face_doubts = _face_doubts(findings, policy)
    review += face_doubts
    if findings.face_frames and not face_doubts and any(f.quality_ok for f in findings.faces):
        if policy.face_allow_lists:
            if findings.face_allow:
                clear.append(_face_reason(ReasonCode.FACE_ALLOW_LIST_MATCH, findings.face_allow[0]))
                matches += [MatchRecord.of_face(m) for m in findings.face_allow]
            else:
                detail = (
                    f"the driver's face is on none of the lane's allow lists (best score "
                    f"{findings.nearest_face:.3f} < threshold {findings.face_threshold:.3f}): "
                    "a stranger"
                )
                review.append(Reason(ReasonCode.FACE_NOT_ON_ALLOW_LIST, detail))
        else:
            detail = (
                f"the driver's face matched no listed subject (best score "
                f"{findings.nearest_face:.3f} < threshold {findings.face_threshold:.3f})"
            )
            clear.append(Reason(ReasonCode.CLEAR, detail))
    if review:
        return Verdict(Outcome.REVIEW, review, matches)
    if not clear:
        clear.append(Reason(ReasonCode.CLEAR, "nothing in the frame matched a watchlist"))
    return Verdict(Outcome.CLEAR, clear, matches)
