"""Passages: one vehicle going through a lane, followed over the frames its cameras send.

Lane cameras send video: a vehicle is in 20-40 consecutive frames. Each plate seen is a
**track**: a detection joins the track whose predicted box it is near (constant velocity from
its last two boxes; within 1.5 plate widths, of like size) and whose reading it does not
contradict, so a plate entering or leaving the
picture (a partial read) stays on its track, and two plates in one frame are two tracks. Each
track's read is consolidated over its frames (:func:`~lanescreen.domain.fusion.fuse`).

A **passage** is one vehicle: the first track that a frame cannot join opens one, unless the lane
has a passage open without a plate yet (the vehicle's first frames: it adopts it). A confident
plate that contradicts the lane's open passage starts another passage: beside it when the open
passage's plate is still in the same frame (two vehicles side by side), and in its place when it
is not (the next vehicle: the open passage closes). Frames without a plate and driver-camera
frames join the lane's latest open passage. A passage closes when none of its plates has been
seen for ``gap_s`` seconds or ``gap_frames`` plate frames of its lane (or, without plates, when
no frame came for ``window_s``); a plate read again on the lane within ``window_s`` of its
passage's close reopens that passage rather than count the vehicle twice.

The tracks also say where the lane's next frame should be searched (:meth:`PassageTracker.focus`):
around each plate's predicted box, the whole frame on a schedule or when a plate is lost, and
which settled reads need not be read again.

A terminal that knows its passages sends a passage id; frames are then grouped by it (and still
tracked within it). What a passage has shown (reads, faces with embeddings and chips) is kept in
memory only, and only until it closes.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from ..vision.types import Box, Image
from .decisions import FaceRead, PlateRead
from .fusion import distance, fuse

MAX_READS_PER_TRACK = 32
"""Reads a track keeps for its consolidated read: its most confident ones."""
MAX_FACES = 16
"""Face sightings a passage keeps: its best ones."""
MAX_PASSAGES_PER_LANE = 64
"""Open passages kept per lane (explicit ids from a terminal that never repeats them)."""
MAX_STEP = 1.5
"""How far from its predicted place, in plate widths, a detection may be and still join a track."""
SETTLED_FRAMES = 3
"""Frames a plate must be seen in (unless read confidently) for its passage to count."""
MISSED_FRAMES = 3
"""Plate frames in a row a passage's plate may go undetected and the frames still be its own."""
CONTRADICTS = 3
"""Edits at which two confident reads are two plates (fewer: a misread of one)."""
SETTLED_CONFIDENCE = 0.9
"""Least confidence of a consolidated read that later frames need not read again."""
AGREEING_READS = 3
"""A settled track's latest reads that must all be its consolidated read."""
CARRIED_IN_A_ROW = 2
"""Frames in a row a settled track's read may be carried; the next is read, to check it."""


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
    lane_id: str
    key: str
    """Unique to this passage (a terminal's passage ids may repeat some day): its alert's id."""
    frame_ids: tuple[str, ...]
    plate_frames: int
    reads: tuple[PlateRead, ...]
    """One consolidated read per track (its frames' reads fused), strongest track first."""
    face_frames: int
    faces: tuple[FaceSighting, ...]
    first_seen: float
    last_seen: float
    closed: bool = False
    unscreened: int = 0
    """Frames of it whose recognition overran its budget or failed (never looked at)."""
    tentative: bool = False
    """Its plates were seen in fewer than :data:`SETTLED_FRAMES` frames and never read
    confidently: perhaps no vehicle at all (a sign, a glare), so it does not speak for a frame
    beside another passage, and is not worth an officer's look when it ends so."""


@dataclass(frozen=True)
class TrackFocus:
    """A tracked plate as the lane's next frame should show it."""

    track_id: str
    box: Box
    """Where the plate should be (its last box moved as it last moved)."""
    settled: PlateRead | None = None
    """Its consolidated read, when that is settled (confident, over enough frames, agreeing
    with the latest reads) and need not be read again in this frame."""


@dataclass(frozen=True)
class LaneFocus:
    """Where a lane's next plate frame should be searched."""

    tracks: tuple[TrackFocus, ...] = ()
    """The plates seen in the lane's latest plate frames, each expected near its box."""
    whole_frame: bool = True
    """Search the whole frame: no plate tracked, or it is the schedule's turn (new vehicles)."""

    def settled_read(self, box: Box) -> PlateRead | None:
        """The settled read of the tracked plate a detection at ``box`` is plainly the one
        expected there (within half of :data:`MAX_STEP` of its predicted box), if it has one."""
        near = [(_nearness(t.box, box), t) for t in self.tracks if t.settled is not None]
        best = max(near, key=lambda pair: pair[0], default=None)
        return best[1].settled if best is not None and best[0] >= 0.5 else None


@dataclass(frozen=True)
class FrameUpdate:
    """What one frame did to its lane's passages."""

    passages: tuple[PassageView, ...]
    """The passages the frame belongs to (two when two vehicles are in it), first the one it
    was mostly about."""
    closed: tuple[PassageView, ...] = ()
    """Passages of the lane this frame closed (the next vehicle came, or the gap passed)."""


def _apart(seen: Box, box: Box) -> float | None:
    """How far ``box`` is from ``seen``, centre to centre, in plate widths; None when its width
    is off by more than half or double (another plate: one leaving near, one coming far)."""
    if not 0.5 <= box.width / max(seen.width, 1.0) <= 2.0:
        return None
    (bx, by), (sx, sy) = box.centre, seen.centre
    return math.hypot(bx - sx, by - sy) / max(seen.width, box.width, 1.0)


def _nearness(predicted: Box, box: Box) -> float:
    """1 where ``box`` is where the plate was predicted, falling to 0 at :data:`MAX_STEP`
    plate widths away, or when its width is off by more than half or double."""
    apart = _apart(predicted, box)
    return 0.0 if apart is None else max(0.0, 1 - apart / MAX_STEP)


@dataclass
class _Track:
    id: str
    reads: list[PlateRead] = field(default_factory=list)
    seen: list[tuple[float, Box]] = field(default_factory=list)
    fused: PlateRead | None = None
    carried: int = 0
    """Frames in a row given its settled read instead of being read."""

    @property
    def last_seen(self) -> float:
        return self.seen[-1][0]

    def predict(self, at: float) -> Box:
        """Where the plate should be at ``at``: its last box moved (and scaled) as it last did."""
        t1, b1 = self.seen[-1]
        if len(self.seen) < 2 or at <= t1:
            return b1
        t0, b0 = self.seen[-2]
        if t1 <= t0:
            return b1
        k = min((at - t1) / (t1 - t0), 3.0)  # no further than three steps ahead
        width = max(1.0, b1.width + (b1.width - b0.width) * k)
        height = max(1.0, b1.height + (b1.height - b0.height) * k)
        (x1, y1), (x0, y0) = b1.centre, b0.centre
        cx, cy = x1 + (x1 - x0) * k, y1 + (y1 - y0) * k
        return Box(cx - width / 2, cy - height / 2, width, height)

    def add(self, read: PlateRead, at: float) -> None:
        """One more frame of the plate; a carried read moves it without counting as a read."""
        self.seen.append((at, read.box))
        del self.seen[:-2]
        if read.carried and self.reads:
            self.carried += 1
            return
        self.carried = 0
        self.reads.append(replace(read, track_id=self.id, carried=False))
        if len(self.reads) > MAX_READS_PER_TRACK:
            self.reads.remove(min(self.reads, key=lambda r: r.confidence))
        self.fused = fuse(self.reads)

    def settled(self, min_frames: int) -> PlateRead | None:
        """Its consolidated read, if later frames need not read it again: confident, over at
        least ``min_frames`` reads, the latest :data:`AGREEING_READS` of them saying the same,
        and not carried :data:`CARRIED_IN_A_ROW` frames already."""
        fused = self.fused
        if (
            min_frames <= 0
            or fused is None
            or fused.confidence < SETTLED_CONFIDENCE
            or len(self.reads) < max(min_frames, AGREEING_READS)
            or self.carried >= CARRIED_IN_A_ROW
        ):
            return None
        latest = self.reads[-AGREEING_READS:]
        return fused if all(r.text == fused.text for r in latest) else None


@dataclass
class _Passage:
    id: str
    lane_id: str
    explicit: bool
    first_seen: float
    last_seen: float
    tracks: list[_Track] = field(default_factory=list)
    frame_ids: list[str] = field(default_factory=list)
    plate_frames: int = 0
    frames_without_plate: int = 0
    """Plate frames of the lane in a row that none of this passage's tracks was seen in."""
    face_frames: int = 0
    faces: list[FaceSighting] = field(default_factory=list)
    unscreened: int = 0
    closed_at: float | None = None
    key: str = field(default_factory=lambda: str(uuid.uuid4()))

    def plate_last_seen(self) -> float | None:
        return max((t.last_seen for t in self.tracks), default=None)

    def confident_texts(self, min_confidence: float) -> list[str]:
        return [
            t.fused.text
            for t in self.tracks
            if t.fused is not None and t.fused.text and t.fused.confidence >= min_confidence
        ]

    def view(self, min_confidence: float) -> PassageView:
        fused = [t.fused for t in self.tracks if t.fused is not None]
        fused.sort(key=lambda r: (r.frames, r.confidence), reverse=True)
        return PassageView(
            id=self.id,
            lane_id=self.lane_id,
            key=self.key,
            frame_ids=tuple(self.frame_ids),
            plate_frames=self.plate_frames,
            reads=tuple(fused),
            face_frames=self.face_frames,
            faces=tuple(self.faces),
            first_seen=self.first_seen,
            last_seen=self.last_seen,
            closed=self.closed_at is not None,
            unscreened=self.unscreened,
            tentative=bool(self.tracks)
            and not self.confident_texts(min_confidence)
            and max(len(t.reads) for t in self.tracks) < SETTLED_FRAMES,
        )


@dataclass
class _Lane:
    open: dict[str, _Passage] = field(default_factory=dict)
    """Open passages, oldest first."""
    recent: list[_Passage] = field(default_factory=list)
    """Passages closed within the window, for a plate read again to reopen."""
    plate_frames: int = 0
    frame_times: list[float] = field(default_factory=list)
    """When its latest two plate frames came."""
    unannounced: list[_Passage] = field(default_factory=list)
    """Passages the sweep closed while the lane was quiet: its next frame tells of them."""


def _near_its_plates(
    passage: _Passage, read: PlateRead, now: float, *, predicted: bool = False
) -> bool:
    """Whether ``read`` is within two plate widths of a plate ``passage`` shows in this frame
    (``predicted``: within three of where its recent plates should be now), and of its size."""
    for track in passage.tracks:
        if predicted:
            box, reach = track.predict(now), 3.0
        elif track.last_seen == now:
            box, reach = track.seen[-1][1], 2.0
        else:
            continue
        apart = _apart(box, read.box)
        if apart is not None and apart <= reach:
            return True
    return False


def _resembles(passage: _Passage, read: PlateRead) -> bool:
    """Whether ``read`` is plainly ``passage``'s plate: four characters or more, at most one
    off its consolidated read (a short partial read proves nothing)."""
    return len(read.text) >= 4 and any(
        distance(text, read.text) <= 1 for text in passage.confident_texts(0.0)
    )


class PassageTracker:
    """Groups each lane's frames into passages of one vehicle each. Thread-safe; one per server."""

    def __init__(
        self,
        window_s: float,
        min_confidence: float,
        *,
        gap_s: float = 3.0,
        gap_frames: int = 24,
        full_frame_every: int = 6,
        settled_frames: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``full_frame_every``, ``settled_frames``: see :meth:`focus`."""
        self._window_s = window_s
        self._full_frame_every = full_frame_every
        self._settled_frames = settled_frames
        self._gap_s = gap_s
        self._gap_frames = gap_frames
        self._min_confidence = min_confidence
        self._clock = clock
        self._lock = threading.Lock()
        self._lanes: dict[str, _Lane] = {}

    def add(
        self,
        lane_id: str,
        passage_id: str,
        frame_id: str,
        *,
        reads: Sequence[PlateRead] | None = None,
        faces: Sequence[FaceSighting] | None = None,
    ) -> FrameUpdate:
        """Add one frame: a plate frame gives ``reads``, a driver frame ``faces``, a frame whose
        recognition overran or failed neither."""
        now = self._clock()
        with self._lock:
            lane = self._lanes.setdefault(lane_id, _Lane())
            closed = [*lane.unannounced, *self._close_gone(lane, now)]
            lane.unannounced = []
            if passage_id:
                passages = [self._explicit(lane, lane_id, passage_id, now)]
                if reads:
                    self._track(passages[0], reads, now)
            elif reads:
                passages, closed_now = self._place(lane, lane_id, reads, now)
                closed += closed_now
            else:
                passages = [self._latest(lane, lane_id, now, plate_frame=reads is not None)]
            for passage in passages:
                self._note_frame(passage, frame_id, now, reads=reads, faces=faces)
            if reads is not None:
                self._count_plate_frame(lane, now)
            return FrameUpdate(
                tuple(p.view(self._min_confidence) for p in passages),
                tuple(p.view(self._min_confidence) for p in closed if p.closed_at is not None),
            )  # (a passage this frame reopened is among its passages, not its closed ones)

    def sweep(self) -> list[PassageView]:
        """Close the passages whose gap has passed with no frame to notice it (a lane gone
        quiet); each is returned once, closed, and is among the ``closed`` of the lane's next
        frame (its terminal hears of the end)."""
        now = self._clock()
        with self._lock:
            closed = []
            for lane in self._lanes.values():
                ended = self._close_gone(lane, now)
                lane.unannounced = [*lane.unannounced, *ended][-MAX_PASSAGES_PER_LANE:]
                closed += ended
            return [p.view(self._min_confidence) for p in closed]

    def focus(self, lane_id: str) -> LaneFocus:
        """Where the lane's next plate frame should be searched: near each plate seen in its
        latest two plate frames, with the settled ones' reads to carry; and whole when none is,
        or on every ``full_frame_every``-th plate frame (a vehicle coming in beside them)."""
        with self._lock:
            lane = self._lanes.get(lane_id)
            if lane is None or not lane.frame_times:
                return LaneFocus()
            now, since = self._clock(), lane.frame_times[0]
            tracks = tuple(
                TrackFocus(t.id, t.predict(now), t.settled(self._settled_frames))
                for p in lane.open.values()
                for t in p.tracks
                if t.last_seen >= since
            )
            turn = self._full_frame_every <= 1 or lane.plate_frames % self._full_frame_every == 0
            return LaneFocus(tracks, whole_frame=not tracks or turn)

    def open_passages(self, lane_id: str) -> int:
        with self._lock:
            lane = self._lanes.get(lane_id)
            return len(lane.open) if lane else 0

    # --- grouping -----------------------------------------------------------------------------

    def _explicit(self, lane: _Lane, lane_id: str, passage_id: str, now: float) -> _Passage:
        passage = lane.open.get(passage_id)
        if passage is None:
            passage = self._start(lane, lane_id, passage_id, explicit=True, now=now)
        return passage

    def _latest(self, lane: _Lane, lane_id: str, now: float, *, plate_frame: bool) -> _Passage:
        """Where a frame that shows no plate goes: a driver frame, or a plate frame just after
        the latest passage's plate was seen (a detection missed), joins that passage; a plate
        frame of a lane whose plates have been gone a while starts a passage without plates
        (the road between vehicles, or the next one still too far to see its plate)."""
        latest = next((p for p in reversed(lane.open.values()) if not p.explicit), None)
        if latest is not None and (not plate_frame or self._still_here(latest)):
            return latest
        return self._new(lane, lane_id, now)

    def _still_here(self, passage: _Passage) -> bool:
        """Whether a passage's vehicle is likely still in the picture: its plate was seen in
        the last few plate frames, or, never read confidently yet (far away, detected now and
        then), within the gap."""
        if not passage.tracks or passage.frames_without_plate < MISSED_FRAMES:
            return True
        read = bool(passage.confident_texts(self._min_confidence))
        return not read and passage.frames_without_plate <= self._gap_frames

    def _place(
        self, lane: _Lane, lane_id: str, reads: Sequence[PlateRead], now: float
    ) -> tuple[list[_Passage], list[_Passage]]:
        """Put a frame's reads on tracks of the lane's open passages, or on new ones."""
        auto = [p for p in lane.open.values() if not p.explicit]
        unmatched = self._associate(auto, reads, now)
        touched = [p for p in auto if any(t.last_seen == now for t in p.tracks)]
        closed: list[_Passage] = []
        for read in unmatched:
            home = self._home(lane, lane_id, read, touched, now)
            if home is None:  # the next vehicle: what was open and not in this frame is done
                for passage in [p for p in auto if p not in touched and p.tracks]:
                    closed.append(self._close(lane, passage, now))
                    auto.remove(passage)
                home = self._new(lane, lane_id, now)
                auto.append(home)
            track = _Track(f"track-{uuid.uuid4().hex[:12]}")
            track.add(read, now)
            home.tracks.append(track)
            if home not in touched:
                touched.append(home)
        return touched, closed

    def _home(
        self, lane: _Lane, lane_id: str, read: PlateRead, touched: list[_Passage], now: float
    ) -> _Passage | None:
        """Which passage a plate that no track took belongs to; None: a new passage, in place
        of the open ones (the next vehicle)."""
        confident = read.confidence >= self._min_confidence and bool(read.text)
        if confident and (again := self._reopen(lane, read.text, now)) is not None:
            return again
        auto = [p for p in lane.open.values() if not p.explicit]
        plateless = next((p for p in reversed(auto) if not p.tracks), None)
        if plateless is not None:
            return plateless  # the vehicle's first frames showed no plate yet
        if touched:  # another plate in a frame showing the lane's: elsewhere, a second vehicle
            beside = [p for p in touched if _near_its_plates(p, read, now)]
            if beside and not (confident and self._contradicts(beside[0], read)):
                return beside[0]  # on the same vehicle (a second detection of its plate)
            return self._new(lane, lane_id, now)
        # Nothing the lane had open is in this frame: this plate is the vehicle's own (its track
        # broke: a blurred frame, a jump), or the next vehicle's (read doubtfully while far).
        recent = next((p for p in reversed(auto) if p.tracks and self._still_here(p)), None)
        if (
            recent is not None
            and _near_its_plates(recent, read, now, predicted=True)
            and not (confident and self._contradicts(recent, read))
        ):
            return recent
        same = next((p for p in reversed(auto) if _resembles(p, read)), None)
        if same is not None:
            return same  # its plate found again elsewhere in the picture
        if confident:
            return None
        return self._new(lane, lane_id, now)

    def _contradicts(self, passage: _Passage, read: PlateRead) -> bool:
        """Whether ``read`` is another plate than ``passage``'s confident ones."""
        known = passage.confident_texts(self._min_confidence)
        return bool(known) and all(distance(t, read.text) >= CONTRADICTS for t in known)

    def _new(self, lane: _Lane, lane_id: str, now: float) -> _Passage:
        return self._start(lane, lane_id, f"auto-{uuid.uuid4()}", explicit=False, now=now)

    def _reopen(self, lane: _Lane, text: str, now: float) -> _Passage | None:
        """A recently closed passage whose plate this is (the vehicle was hidden a moment)."""
        for passage in reversed(lane.recent):
            if any(distance(known, text) < CONTRADICTS for known in passage.confident_texts(0.0)):
                lane.recent.remove(passage)
                passage.closed_at = None
                passage.frames_without_plate = 0
                lane.open[passage.id] = passage
                return passage
        return None

    def _associate(
        self, passages: list[_Passage], reads: Sequence[PlateRead], now: float
    ) -> list[PlateRead]:
        """Give each read to the open track it best continues; returns the reads left over."""
        tracks = [t for p in passages for t in p.tracks if now - t.last_seen <= self._gap_s]
        pairs = []
        for ri, read in enumerate(reads):
            for ti, track in enumerate(tracks):
                score = self._continues(track, read, now)
                if score > 0:
                    pairs.append((score, ri, ti))
        taken_reads: set[int] = set()
        taken_tracks: set[int] = set()
        for _, ri, ti in sorted(pairs, reverse=True):
            if ri in taken_reads or ti in taken_tracks:
                continue
            taken_reads.add(ri)
            taken_tracks.add(ti)
            tracks[ti].add(reads[ri], now)
        return [read for ri, read in enumerate(reads) if ri not in taken_reads]

    def _continues(self, track: _Track, read: PlateRead, now: float) -> float:
        """How well ``read`` continues ``track`` (0: it does not): nearness to where the track
        should be (in plate widths: a plate moves far more than its own height between frames)
        and of size, plus agreement of the reads; a confident contradiction never joins."""
        nearness = _nearness(track.predict(now), read.box)
        fused = track.fused
        agreement = 0.0
        if fused is not None and fused.text and read.text:
            edits = distance(fused.text, read.text)
            sure = min(fused.confidence, read.confidence) >= self._min_confidence
            if sure and edits >= CONTRADICTS and len(read.text) >= len(fused.text):
                return 0.0
            agreement = max(0.0, 1 - edits / max(len(read.text), 1))
        if nearness <= 0 and agreement < 0.99:
            return 0.0
        return nearness + 0.5 * agreement

    # --- lifecycle ----------------------------------------------------------------------------

    def _note_frame(
        self,
        passage: _Passage,
        frame_id: str,
        now: float,
        *,
        reads: Sequence[PlateRead] | None,
        faces: Sequence[FaceSighting] | None,
    ) -> None:
        passage.last_seen = now
        passage.frame_ids.append(frame_id)
        if reads is not None:
            passage.plate_frames += 1
        if reads is None and faces is None:
            passage.unscreened += 1
        if faces is not None:
            passage.face_frames += 1
            passage.faces.extend(faces)
            if len(passage.faces) > MAX_FACES:
                passage.faces.sort(
                    key=lambda f: (f.read.quality_ok, f.read.eye_distance_px), reverse=True
                )
                del passage.faces[MAX_FACES:]

    def _close_gone(self, lane: _Lane, now: float) -> list[_Passage]:
        """Close the lane's passages that are over (:meth:`_over`)."""
        lane.recent = [p for p in lane.recent if now - (p.closed_at or now) <= self._window_s]
        return [self._close(lane, p, now) for p in list(lane.open.values()) if self._over(p, now)]

    def _count_plate_frame(self, lane: _Lane, now: float) -> None:
        """A plate frame of the lane: count it against each open passage whose plates it did
        not show."""
        lane.plate_frames += 1
        lane.frame_times = [*lane.frame_times[-1:], now]
        for passage in lane.open.values():
            shown = passage.plate_last_seen() == now
            passage.frames_without_plate = 0 if shown else passage.frames_without_plate + 1

    def _over(self, passage: _Passage, now: float) -> bool:
        if now - passage.last_seen > self._window_s:
            return True
        if passage.explicit:  # the terminal groups it: over when its frames stop coming
            return now - passage.last_seen > self._gap_s
        seen = passage.plate_last_seen()
        if seen is None:
            return False
        return now - seen > self._gap_s or passage.frames_without_plate > self._gap_frames

    def _close(self, lane: _Lane, passage: _Passage, now: float) -> _Passage:
        lane.open.pop(passage.id, None)
        passage.closed_at = now
        if passage.tracks:
            lane.recent.append(passage)
        return passage

    def _start(
        self, lane: _Lane, lane_id: str, passage_id: str, *, explicit: bool, now: float
    ) -> _Passage:
        passage = _Passage(passage_id, lane_id, explicit, now, now)
        lane.open[passage_id] = passage
        while len(lane.open) > MAX_PASSAGES_PER_LANE:
            del lane.open[next(iter(lane.open))]
        return passage

    def _track(self, passage: _Passage, reads: Sequence[PlateRead], now: float) -> None:
        """Tracks within a passage the terminal named: every read joins one of its tracks."""
        for read in self._associate([passage], reads, now):
            track = _Track(f"track-{uuid.uuid4().hex[:12]}")
            track.add(read, now)
            passage.tracks.append(track)
