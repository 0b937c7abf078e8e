"""Passages: the frames of one vehicle going through a lane, from its plate and driver cameras.

A terminal that knows its passages sends a passage id and frames are grouped by it. Without one,
a lane's frames join its latest passage while they keep coming within the window, unless a plate
read confidently in the new frame disagrees with the passage's plate (the next vehicle). The
tracker keeps what a passage has shown (plate reads, faces with their embeddings and chips) only
in memory, and only until the window has passed since its last frame.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..vision.types import Image
from .decisions import FaceRead, PlateRead
from .plates import canonical

MAX_FRAMES = 32
"""Frames one passage combines; a longer run of frames starts a new passage."""
MAX_PASSAGES_PER_LANE = 64
"""Open passages kept per lane (explicit ids from a terminal that never repeats them)."""


@dataclass(frozen=True)
class FaceSighting:
    """A face from a driver-camera frame: what decisions keep, plus what matching needs."""

    read: FaceRead
    embedding: npt.NDArray[np.float32] | None
    """L2-normalised; None when the quality gate refused the face."""
    chip: Image
    """The aligned face, kept in memory for evidence should the passage become a HIT or REVIEW."""


@dataclass(frozen=True)
class PassageView:
    """A consistent copy of a passage's evidence at one moment."""

    id: str
    frame_ids: tuple[str, ...]
    plate_frames: int
    reads: tuple[PlateRead, ...]
    face_frames: int
    faces: tuple[FaceSighting, ...]


@dataclass
class _Passage:
    id: str
    lane_id: str
    explicit: bool
    last_seen: float
    frame_ids: list[str] = field(default_factory=list)
    plate_frames: int = 0
    reads: list[PlateRead] = field(default_factory=list)
    face_frames: int = 0
    faces: list[FaceSighting] = field(default_factory=list)

    def view(self) -> PassageView:
        return PassageView(
            self.id,
            tuple(self.frame_ids),
            self.plate_frames,
            tuple(self.reads),
            self.face_frames,
            tuple(self.faces),
        )

    def plates(self, min_confidence: float) -> set[str]:
        return {canonical(r.text) for r in self.reads if r.confidence >= min_confidence and r.text}


class PassageTracker:
    """Groups each lane's frames into passages. Thread-safe; one per server."""

    def __init__(
        self,
        window_s: float,
        min_confidence: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window_s = window_s
        self._min_confidence = min_confidence
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[str, dict[str, _Passage]] = {}
        """lane id -> passage id -> passage, oldest first."""

    def add(
        self,
        lane_id: str,
        passage_id: str,
        frame_id: str,
        *,
        reads: Sequence[PlateRead] | None = None,
        faces: Sequence[FaceSighting] | None = None,
    ) -> PassageView:
        """Add one screened frame (a plate frame gives ``reads``, a driver frame ``faces``).

        Returns the passage's evidence including this frame.
        """
        now = self._clock()
        with self._lock:
            lane = self._open.setdefault(lane_id, {})
            self._expire(lane, now)
            passage = self._find(lane, lane_id, passage_id, reads or (), now)
            passage.last_seen = now
            passage.frame_ids.append(frame_id)
            if reads is not None:
                passage.plate_frames += 1
                passage.reads.extend(reads)
            if faces is not None:
                passage.face_frames += 1
                passage.faces.extend(faces)
            return passage.view()

    def open_passages(self, lane_id: str) -> int:
        with self._lock:
            lane = self._open.get(lane_id, {})
            self._expire(lane, self._clock())
            return len(lane)

    def _find(
        self,
        lane: dict[str, _Passage],
        lane_id: str,
        passage_id: str,
        reads: Sequence[PlateRead],
        now: float,
    ) -> _Passage:
        if passage_id:
            passage = lane.get(passage_id)
            if passage is None or len(passage.frame_ids) >= MAX_FRAMES:
                passage = self._start(lane, lane_id, passage_id, explicit=True, now=now)
            return passage
        latest = next((p for p in reversed(lane.values()) if not p.explicit), None)
        if latest is not None and len(latest.frame_ids) < MAX_FRAMES:
            seen = latest.plates(self._min_confidence)
            new = {
                canonical(r.text) for r in reads if r.confidence >= self._min_confidence and r.text
            }
            if not (seen and new and not seen & new):
                return latest
        return self._start(lane, lane_id, f"auto-{uuid.uuid4()}", explicit=False, now=now)

    def _start(
        self,
        lane: dict[str, _Passage],
        lane_id: str,
        passage_id: str,
        *,
        explicit: bool,
        now: float,
    ) -> _Passage:
        lane.pop(passage_id, None)
        passage = _Passage(passage_id, lane_id, explicit, now)
        lane[passage_id] = passage
        while len(lane) > MAX_PASSAGES_PER_LANE:
            del lane[next(iter(lane))]
        return passage

    def _expire(self, lane: dict[str, _Passage], now: float) -> None:
        for key in [k for k, p in lane.items() if now - p.last_seen > self._window_s]:
            del lane[key]
