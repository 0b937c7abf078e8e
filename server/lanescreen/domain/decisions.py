"""Decisions: the explained outcome of screening one frame, and the rules that produce it.

Nothing is decided silently: every decision carries at least one reason, the reads it rests on,
the entries it matched and the time each stage took.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..vision.types import Box, Candidate, Point
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


@dataclass(frozen=True)
class MatchRecord:
    """A watchlist match as kept in a decision: self-contained, so it survives entry edits."""

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


@dataclass(frozen=True)
class StageTiming:
    stage: str
    ms: float


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

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the stored form and the JSON Lines export form."""
        return {
            "decision_id": self.decision_id,
            "lane_id": self.lane_id,
            "frame_id": self.frame_id,
            "camera": self.camera.value,
            "passage_id": self.passage_id,
            "outcome": self.outcome.value,
            "reasons": [
                {"code": r.code.value, "detail": r.detail, "stage": r.stage} for r in self.reasons
            ],
            "plates": [_plate_json(p) for p in self.plates],
            "matches": [_match_json(m) for m in self.matches],
            "timings": {t.stage: round(t.ms, 3) for t in self.timings},
            "budget_ms": self.budget_ms,
            "budget_met": self.budget_met,
            "total_ms": round(self.total_ms, 3),
            "captured_at": self.captured_at.isoformat(),
            "decided_at": self.decided_at.isoformat(),
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
            reasons=tuple(
                Reason(ReasonCode(r["code"]), r["detail"], r.get("stage", ""))
                for r in data["reasons"]
            ),
            plates=tuple(_plate_from_json(p) for p in data["plates"]),
            matches=tuple(_match_from_json(m) for m in data["matches"]),
            timings=tuple(StageTiming(stage, float(ms)) for stage, ms in data["timings"].items()),
            budget_ms=int(data["budget_ms"]),
            budget_met=bool(data["budget_met"]),
            total_ms=float(data["total_ms"]),
            captured_at=datetime.fromisoformat(data["captured_at"]),
            decided_at=datetime.fromisoformat(data["decided_at"]),
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
    )


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
    }


def _match_from_json(d: dict[str, Any]) -> MatchRecord:
    return MatchRecord(**{**d, "list_kind": ListKind(d["list_kind"])})


@dataclass(frozen=True)
class LanePolicy:
    """What the decision rules need to know about a lane."""

    has_allow_lists: bool
    review_when_no_plate: bool
    min_read_confidence: float


@dataclass
class Verdict:
    """The outcome and its reasons, before timings and ids are attached."""

    outcome: Outcome
    reasons: list[Reason] = field(default_factory=list)
    matches: list[MatchRecord] = field(default_factory=list)


def decide(
    reads: list[PlateRead], deny: list[Match], allow: list[Match], policy: LanePolicy
) -> Verdict:
    """Apply the lane's rules. Deny-list matches win; allow lanes review strangers; doubt reviews."""
    if deny:
        reasons = [
            Reason(
                ReasonCode.DENY_LIST_MATCH,
                f"read {m.read_text} matched {m.watchlist.name!r} entry {m.entry.fields.plate} "
                f"({m.kind.value}; category {m.entry.fields.category or '-'}, "
                f"action {m.entry.fields.action})",
            )
            for m in deny
        ]
        return Verdict(Outcome.HIT, reasons, [MatchRecord.of(m) for m in deny + allow])
    confident = [r for r in reads if r.confidence >= policy.min_read_confidence]
    if policy.has_allow_lists:
        if allow:
            m = allow[0]
            detail = f"read {m.read_text} is on allow list {m.watchlist.name!r} ({m.kind.value})"
            return Verdict(
                Outcome.CLEAR,
                [Reason(ReasonCode.ALLOW_LIST_MATCH, detail)],
                [MatchRecord.of(a) for a in allow],
            )
        if reads:
            texts = ", ".join(r.text or "?" for r in reads)
            return Verdict(
                Outcome.REVIEW,
                [
                    Reason(
                        ReasonCode.NOT_ON_ALLOW_LIST,
                        f"read {texts} is on none of the lane's allow lists",
                    )
                ],
            )
        return Verdict(
            Outcome.REVIEW, [Reason(ReasonCode.NO_PLATE_FOUND, "no plate found in the frame")]
        )
    if not reads:
        outcome = Outcome.REVIEW if policy.review_when_no_plate else Outcome.CLEAR
        return Verdict(outcome, [Reason(ReasonCode.NO_PLATE_FOUND, "no plate found in the frame")])
    if not confident:
        texts = ", ".join(f"{r.text or '?'} ({r.confidence:.2f})" for r in reads)
        return Verdict(
            Outcome.REVIEW,
            [
                Reason(
                    ReasonCode.LOW_CONFIDENCE_READ,
                    f"read {texts} is below the confidence needed to clear "
                    f"({policy.min_read_confidence:.2f}); a misread could hide a listed plate",
                )
            ],
        )
    texts = ", ".join(r.text for r in confident)
    return Verdict(
        Outcome.CLEAR, [Reason(ReasonCode.CLEAR, f"read {texts} matched no watchlist entry")]
    )
