"""Screening one frame inside the lane's budget: decode, recognise, match, decide, log.

Plate and overview frames are read for plates; driver frames are analysed for faces (in worker
processes, see :mod:`~lanescreen.domain.face_screening`). Each frame joins its passage
(:mod:`~lanescreen.domain.passages`) and is decided with everything the passage has shown.

The deadline is hard. Recognition runs on a bounded pool of worker threads; the caller waits only
until the lane's budget, less a reserve for matching and logging. If recognition has not finished
by then, the decision is REVIEW with reason ``budget_exceeded`` naming the stage that overran, and
the late work is abandoned at its next stage boundary. A late HIT is never sent; nothing is dropped.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

from ..config import Config, LaneConfig
from ..errors import NotFoundError, PreconditionError, UnsupportedError
from ..priority import RECOGNITION_NICE, lower_thread_priority
from ..vision.image import (
    FrameError,
    FrameHeader,
    FrameTooLarge,
    check_frame,
    decode_checked,
    encode_jpeg,
)
from ..vision.pipeline import PlatePipeline
from ..vision.types import Box, Image, PlateDetection, PlateText
from .alerting import AlertBook
from .decisions import (
    CameraRole,
    Decision,
    Evidence,
    Findings,
    LanePolicy,
    Outcome,
    PassageState,
    PlateRead,
    Reason,
    ReasonCode,
    StageTiming,
    Verdict,
    decide,
)
from .face_screening import FaceScreening, sighting
from .lanes import LaneRegistry
from .limits import LaneRateLimiter
from .matching import read_texts
from .passages import FaceSighting, PassageTracker, PassageView
from .plates import normalize_plate, plate_format, settle_read
from .refresher import Refresher
from .watchlist_cache import WatchlistCache
from .watchlists import ListKind

log = logging.getLogger(__name__)

MAX_RESERVE_SHARE = 0.4
"""At most this share of a budget is kept back from recognition for the work after it."""
HEAVY_DECODE_MEGAPIXELS = 12.0
"""A frame costing more than this to decode (in megapixels of JPEG: a 12 MP JPEG, a 3 MP PNG)
is recognised on the heavy worker. Lane cameras send 1080p to 4K (2-8.3 MP) JPEGs."""
MAX_RAW_EVIDENCE_BYTES = 4 * 1024 * 1024
"""A frame whose recognition overran is kept as evidence as it was sent only up to this size."""


@dataclass(frozen=True)
class _Deadline:
    """One frame's time: when it came in, its budget, and when recognition must stop so that
    matching, evidence and logging still fit."""

    received_at: float
    budget_ms: int
    recognition_end: float

    @classmethod
    def start(
        cls, received_at: float, budget_ms: int, caller_deadline: float | None, reserve_ms: float
    ) -> _Deadline:
        end = received_at + budget_ms / 1000
        if caller_deadline is not None:
            end = min(end, caller_deadline)
        budget = max(0, round((end - received_at) * 1000))
        reserve = min(reserve_ms, budget * MAX_RESERVE_SHARE)
        return cls(received_at, budget, end - reserve / 1000)

    def elapsed_ms(self, now: float | None = None) -> float:
        return ((time.perf_counter() if now is None else now) - self.received_at) * 1000

    @staticmethod
    def left_s(until: float) -> float:
        return max(0.0, until - time.perf_counter())


class _TailEstimate:
    """How long matching, evidence and logging take after recognition: a slowly decaying maximum.

    The budget kept back from recognition follows what that tail really costs on this machine and
    database, so a slow disk or a loaded host shortens recognition rather than making replies late.
    """

    FLOOR_MS = 15.0
    MARGIN = 1.25
    DECAY = 0.98
    WRITE_MS = 15.0
    """What a durable write of a decision is assumed to cost before one has been timed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = self.FLOOR_MS

    def observe(self, ms: float) -> None:
        with self._lock:
            self._value = max(ms, self.FLOOR_MS, self._value * self.DECAY)

    def reserve_ms(self) -> float:
        return self._value * self.MARGIN


class UnsupportedCameraError(UnsupportedError):
    """Frames from this camera role cannot be screened by this server version."""


@dataclass(frozen=True)
class FrameInput:
    lane_id: str
    camera: CameraRole
    frame_id: str
    image: bytes
    captured_at: datetime | None = None
    region_hint: Box | None = None
    plate_region: str = ""
    passage_id: str = ""


class DecisionSink(Protocol):
    """Where decisions go: the hit log. Must be durable when ``record`` returns, and must not
    wait on anything another process can hold (a node's own journal, not the database)."""

    def record(self, decision: Decision, evidence: Evidence | None) -> None: ...

    def settle(self, decision: Decision) -> None:
        """The recorded decision as it was answered (its logging and total time settled): what
        is to be stored. Called once per ``record``, right after it."""
        ...


@dataclass
class _Progress:
    """Shared between the waiting caller and the worker: which stage runs, and when to give up."""

    stage: str = "queue"
    started: float = field(default_factory=time.perf_counter)
    timings: list[StageTiming] = field(default_factory=list)
    abandoned: threading.Event = field(default_factory=threading.Event)

    def enter(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings.append(StageTiming(self.stage, (now - self.started) * 1000))
        self.stage, self.started = stage, now


class _Abandoned(Exception):
    """Stops a worker at a stage boundary once the caller has answered without it."""


@dataclass(frozen=True)
class _Recognition:
    image: Image
    reads: list[PlateRead]
    crops: list[Image]
    faces: list[FaceSighting] | None = None
    """Set for driver-camera frames (possibly empty: no face found)."""
    notes: tuple[Reason, ...] = ()
    """What was done to the frame to decode it (a JPEG without its end marker), for the
    decision's reasons beside the verdict's."""


def _frame_notes(header: FrameHeader) -> tuple[Reason, ...]:
    note = header.note
    return (Reason(ReasonCode.FRAME_REPAIRED, note, "decode"),) if note else ()


@dataclass(frozen=True)
class _Conclusion:
    """A frame's verdict, the passages it belongs to (its vehicle first) and each passage's own
    state, those it closed included."""

    verdict: Verdict
    passages: tuple[PassageView, ...]
    states: tuple[PassageState, ...]


_SEVERITY = {Outcome.CLEAR: 0, Outcome.REVIEW: 1, Outcome.HIT: 2}
PASSING_DOUBTS = frozenset(
    {
        ReasonCode.NO_PLATE_FOUND,
        ReasonCode.LOW_CONFIDENCE_READ,
        ReasonCode.BUDGET_EXCEEDED,
        ReasonCode.RECOGNITION_FAILED,
        ReasonCode.NO_FACE_FOUND,
        ReasonCode.POOR_FACE_QUALITY,
        ReasonCode.WATCHLIST_STALE,
    }
)
"""REVIEW reasons a passage's later frames may well remove: its alert waits for its end."""
SWEEP_S = 0.5
"""How often passages of lanes gone quiet are looked at (they end ``passage_gap_s`` after)."""


def _combine(verdicts: list[Verdict]) -> Verdict:
    """One frame's verdict from its passages' (two vehicles in the frame): the gravest
    outcome, with every passage's reasons and matches, gravest first."""
    if len(verdicts) == 1:
        return verdicts[0]
    ranked = sorted(verdicts, key=lambda v: _SEVERITY[v.outcome], reverse=True)
    return Verdict(
        ranked[0].outcome,
        [r for v in ranked for r in v.reasons],
        [m for v in ranked for m in v.matches],
    )


def _passage_state(view: PassageView, verdict: Verdict, alerted: bool) -> PassageState:
    return PassageState(
        passage_id=view.id,
        outcome=verdict.outcome,
        reasons=tuple(verdict.reasons),
        plates=view.reads,
        frames=len(view.frame_ids),
        closed=view.closed,
        tentative=view.tentative,
        matches=tuple(verdict.matches),
        alert_id=view.key if alerted else "",
    )


def _final_decision(
    lane: LaneConfig, view: PassageView, verdict: Verdict, state: PassageState
) -> Decision:
    """A passage's end, decided when its lane went quiet: no frame, nothing answered."""
    now = datetime.now(UTC)
    return Decision(
        decision_id=str(uuid.uuid4()),
        lane_id=lane.id,
        frame_id="",
        camera=CameraRole.PLATE,
        outcome=verdict.outcome,
        reasons=tuple(verdict.reasons),
        plates=view.reads,
        faces=tuple(f.read for f in view.faces),
        frame_ids=view.frame_ids,
        passages=(state,),
        matches=tuple(verdict.matches),
        timings=(),
        budget_ms=lane.budget_ms,
        budget_met=True,
        total_ms=0.0,
        captured_at=now,
        decided_at=now,
        passage_id=view.id,
    )


class Screener:
    """Screens frames for the configured lanes. Thread-safe; one per server."""

    def __init__(
        self,
        config: Config,
        pipeline: PlatePipeline,
        watchlists: WatchlistCache,
        sink: DecisionSink,
        faces: FaceScreening | None = None,
        lanes: LaneRegistry | None = None,
    ) -> None:
        """``lanes``: the site's lanes as this node serves them (None: the configuration's)."""
        self._config = config
        self._lanes = lanes if lanes is not None else LaneRegistry(config.lanes)
        self._pipeline = pipeline
        self._watchlists = watchlists
        self._sink = sink
        self._faces = faces
        self._passages = PassageTracker(
            config.faces.passage_window_s,
            config.vision.min_read_confidence,
            gap_s=config.faces.passage_gap_s,
            gap_frames=config.faces.passage_gap_frames,
            full_frame_every=config.vision.full_frame_every,
            settled_frames=config.vision.settled_read_frames,
        )
        self._alerts = AlertBook(config.faces.passage_window_s)
        self._sweeper = Refresher(
            "passages",
            self.sweep_passages,
            SWEEP_S,
            failing="cannot end the passages of quiet lanes",
            recovered="ending the passages of quiet lanes again",
        )
        self._tail = _TailEstimate()
        limits = config.server
        self._limits = LaneRateLimiter(limits.max_lane_fps, limits.max_lane_burst)
        megapixels = limits.max_lane_megapixels_per_s
        self._pixels = LaneRateLimiter(
            megapixels, 2 * limits.max_frame_pixels / 1e6, unit="megapixels"
        )
        self._pool = ThreadPoolExecutor(
            max_workers=config.server.recognition_threads,
            thread_name_prefix="recognition",
            initializer=lower_thread_priority,
            initargs=(RECOGNITION_NICE,),
        )
        self._heavy_pool = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="recognition-heavy", initializer=lower_thread_priority
        )
        """Frames costing more than :data:`HEAVY_DECODE_MEGAPIXELS` to decode run here, one at a
        time and at a lower CPU priority, so they can never hold the lanes' own workers."""

    def start(self) -> None:
        """Close the passages of lanes gone quiet in the background (their alerts end)."""
        self._sweeper.start()

    def sweep_passages(self) -> list[Decision]:
        """End the passages whose gap has passed with no frame to notice it; a passage with an
        alert (or one it ends with: a REVIEW) gets its final decision recorded, CLEAR ones
        need none. Returns what was recorded."""
        recorded = []
        for view in self._passages.sweep():
            try:
                lane = self.lane(view.lane_id)
            except (NotFoundError, PreconditionError):
                continue  # the lane was taken out of the site meanwhile
            verdict = self._decide(lane, view)
            state = self._state(view, verdict)
            if not state.alert_id:
                continue
            decision = _final_decision(lane, view, verdict, state)
            self._sink.record(decision, None)
            self._sink.settle(decision)
            recorded.append(decision)
        return recorded

    def close(self) -> None:
        self._sweeper.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._heavy_pool.shutdown(wait=False, cancel_futures=True)

    def lane(self, lane_id: str) -> LaneConfig:
        """NotFoundError for a lane the site does not have, PreconditionError for one this
        node cannot serve yet (its reader is loading)."""
        return self._lanes.lane(lane_id)

    def warm_up(self) -> None:
        """Run the models once so the first real frame is not slowed by lazy initialisation."""
        import numpy as np

        detections = self._pipeline.warm_up(lane.plate_reader() for lane in self._lanes.lanes())
        normalize_plate("К")  # loads the confusables table (300 ms) a reader's first glyph would
        # The first HIT's tail (evidence images, then the durable write) must fit the reserve
        # too: start the estimate from what evidence of a 1080p frame costs here.
        storage = self._config.storage
        frame = np.full((1080, 1920, 3), 127, dtype=np.uint8)
        start = time.perf_counter()
        encode_jpeg(
            frame, quality=storage.evidence_jpeg_quality, max_side=storage.evidence_frame_max_side
        )
        encode_jpeg(frame[:48, :160], quality=storage.evidence_jpeg_quality)
        evidence_ms = (time.perf_counter() - start) * 1000
        self._tail.observe(evidence_ms + _TailEstimate.WRITE_MS)
        log.info(
            "models warmed up (%d detections on a blank frame); evidence takes %.0f ms",
            detections,
            evidence_ms,
        )

    def screen(
        self, frame: FrameInput, *, received_at: float, deadline: float | None = None
    ) -> Decision:
        """Screen one frame received at ``received_at`` (``time.perf_counter()``).

        ``deadline`` (perf-counter seconds) is the caller's own limit, e.g. a gRPC deadline; the
        decision leaves before the earlier of it and the lane budget. Raises NotFoundError for an
        unknown lane, RateLimitedError for a lane over its frame or pixel rate,
        ``vision.image.FrameError`` for a bad image and UnsupportedCameraError; all of them
        before the frame queues for a worker.
        """
        lane, frame, header = self._admit(frame)
        clock = _Deadline.start(received_at, lane.budget_ms, deadline, self._tail.reserve_ms())
        recognition, verdict, timings = self._recognise_within(frame, header, clock)
        tail_start = time.perf_counter()
        conclusion = self._conclude(lane, frame, recognition, verdict)
        timings.append(StageTiming("match", (time.perf_counter() - tail_start) * 1000))
        evidence = None
        if conclusion.verdict.outcome is not Outcome.CLEAR:
            evidence_start = time.perf_counter()
            primary = conclusion.passages[0] if conclusion.passages else None
            evidence = self._evidence(recognition, frame, primary, conclusion.verdict.outcome)
            timings.append(StageTiming("evidence", (time.perf_counter() - evidence_start) * 1000))
        decision = self._decision(lane, frame, recognition, conclusion, timings, clock)
        return self._record(decision, evidence, clock, tail_start)

    def _admit(self, frame: FrameInput) -> tuple[LaneConfig, FrameInput, FrameHeader]:
        """What is checked as the frame comes off the stream, before it may queue: the lane, its
        frame and pixel rates, the camera, and the image's bytes and header (never decoded)."""
        lane = self.lane(frame.lane_id)
        if frame.camera is CameraRole.DRIVER and self._faces is None:
            raise UnsupportedCameraError(
                "driver-camera frames need face screening, which is off on this server "
                "(faces.face_enabled = false)"
            )
        limits = self._config.server
        header = check_frame(
            frame.image, max_bytes=limits.max_frame_bytes, max_pixels=limits.max_frame_pixels
        )
        cost = header.decode_megapixels
        if cost > self._pixels.burst:
            raise FrameTooLarge(
                f"a {header.width}x{header.height} {header.format.upper()} costs as much to "
                f"decode as {cost:.0f} megapixels of JPEG; one frame may cost at most "
                f"{self._pixels.burst:.0f} (server.max_frame_pixels twice)"
            )
        self._limits.take(lane.id)
        self._pixels.take(lane.id, cost)
        if not frame.plate_region and lane.region:
            frame = replace(frame, plate_region=lane.region)
        return lane, frame, header

    def _conclude(
        self,
        lane: LaneConfig,
        frame: FrameInput,
        recognition: _Recognition | None,
        verdict: Verdict | None,
    ) -> _Conclusion:
        """The frame joins its passages (a frame recognition gave up on joins the lane's latest,
        undecided), and each passage it belongs to or closed is decided on its own."""
        faces = recognition.faces if recognition is not None else None
        reads = recognition.reads if recognition is not None and faces is None else None
        update = self._passages.add(
            lane.id, frame.passage_id, frame.frame_id, reads=reads, faces=faces
        )
        if verdict is not None:  # overran or failed: no time to decide the passages, and
            # nothing for their alerts (the frame was not looked at)
            unseen = tuple(_passage_state(view, verdict, alerted=False) for view in update.passages)
            return _Conclusion(verdict, update.passages, unseen)
        decided = [(view, self._decide(lane, view)) for view in update.passages]
        ended = [(view, self._decide(lane, view)) for view in update.closed]
        states = tuple(self._state(view, v) for view, v in decided + ended)
        # A doubtful glimpse of something beside a vehicle does not speak for the frame,
        # unless it is a HIT.
        speaking = [v for view, v in decided if not view.tentative or v.outcome is Outcome.HIT] or [
            v for _, v in decided
        ]
        return _Conclusion(_combine(speaking), update.passages, states)

    def _decision(
        self,
        lane: LaneConfig,
        frame: FrameInput,
        recognition: _Recognition | None,
        conclusion: _Conclusion,
        timings: list[StageTiming],
        clock: _Deadline,
    ) -> Decision:
        now = datetime.now(UTC)
        total_ms = clock.elapsed_ms()
        verdict, passages = conclusion.verdict, conclusion.passages
        primary = passages[0] if passages else None
        return Decision(
            decision_id=str(uuid.uuid4()),
            lane_id=lane.id,
            frame_id=frame.frame_id,
            camera=frame.camera,
            outcome=verdict.outcome,
            reasons=(*verdict.reasons, *(recognition.notes if recognition else ())),
            plates=tuple(read for p in passages for read in p.reads),
            frame_plates=tuple(recognition.reads) if recognition is not None else (),
            faces=tuple(f.read for p in passages for f in p.faces),
            frame_ids=primary.frame_ids if primary else (frame.frame_id,),
            passages=conclusion.states,
            matches=tuple(verdict.matches),
            timings=tuple(timings),
            budget_ms=clock.budget_ms,
            budget_met=total_ms <= clock.budget_ms,
            total_ms=total_ms,
            captured_at=frame.captured_at or now,
            decided_at=now,
            passage_id=primary.id if primary else frame.passage_id,
        )

    def _record(
        self, decision: Decision, evidence: Evidence | None, clock: _Deadline, tail_start: float
    ) -> Decision:
        """Make the decision durable on this node, then settle its times: the answer, and what
        is stored, are the decision with its logging time and the total the lane sees."""
        log_start = time.perf_counter()
        self._sink.record(decision, evidence)
        finished = time.perf_counter()
        self._tail.observe((finished - tail_start) * 1000)
        total_ms = clock.elapsed_ms(finished)
        answered = replace(
            decision,
            timings=(*decision.timings, StageTiming("log", (finished - log_start) * 1000)),
            total_ms=total_ms,
            budget_met=total_ms <= clock.budget_ms,
        )
        self._sink.settle(answered)
        return answered

    def _recognise_within(
        self, frame: FrameInput, header: FrameHeader, clock: _Deadline
    ) -> tuple[_Recognition | None, Verdict | None, list[StageTiming]]:
        """Run recognition on a worker until the clock's recognition end; a verdict comes back
        only if it overran or failed. A frame that cannot be decoded raises FrameError (the
        caller answers with a status, not a decision)."""
        progress = _Progress(started=clock.received_at)
        recognise = self._recognise_faces if frame.camera is CameraRole.DRIVER else self._recognise
        heavy = header.decode_megapixels > HEAVY_DECODE_MEGAPIXELS
        future: Future[_Recognition] = (self._heavy_pool if heavy else self._pool).submit(
            recognise, frame, header, progress, clock.recognition_end
        )
        try:
            recognition = future.result(timeout=clock.left_s(clock.recognition_end))
        except FutureTimeout:
            progress.abandoned.set()
            future.cancel()  # still queued: never starts, decode included
            stage = progress.stage
            detail = (
                f"recognition did not finish within the lane's {clock.budget_ms} ms budget "
                f"(still in stage {stage!r})"
            )
            verdict = Verdict(Outcome.REVIEW, [Reason(ReasonCode.BUDGET_EXCEEDED, detail, stage)])
            elapsed_ms = (time.perf_counter() - progress.started) * 1000
            return None, verdict, [*progress.timings, StageTiming(stage, elapsed_ms)]
        except FrameError:
            raise
        except Exception as exc:
            log.exception("recognition failed for lane %s frame %s", frame.lane_id, frame.frame_id)
            reason = Reason(
                ReasonCode.RECOGNITION_FAILED, f"recognition failed: {exc}", progress.stage
            )
            return None, Verdict(Outcome.REVIEW, [reason]), list(progress.timings)
        return recognition, None, [t for t in progress.timings if t.stage != "done"]

    def _state(self, view: PassageView, verdict: Verdict) -> PassageState:
        """The passage as decided. It has an alert from its first HIT or firm REVIEW (a stranger
        at an allow-list gate), or when it ends a REVIEW of doubt (while it goes on, a far plate
        not read yet is such a doubt), and keeps it after."""
        firm = not any(r.code in PASSING_DOUBTS for r in verdict.reasons)
        worthy = verdict.outcome is Outcome.HIT or (
            verdict.outcome is Outcome.REVIEW and (view.closed or firm) and not view.tentative
        )
        hits = [m.entry_id for m in verdict.matches] if verdict.outcome is Outcome.HIT else []
        alerted = self._alerts.admit(view, worthy, hits)
        return _passage_state(view, verdict, alerted)

    def _decide(self, lane: LaneConfig, passage: PassageView) -> Verdict:
        if not passage.plate_frames and not passage.face_frames and passage.unscreened:
            detail = (
                f"none of the passage's {passage.unscreened} frames could be screened within the "
                f"lane's {lane.budget_ms} ms budget"
            )
            return Verdict(Outcome.REVIEW, [Reason(ReasonCode.BUDGET_EXCEEDED, detail)])
        age = self._watchlists.staleness_s()  # before the index is read: never younger than it
        index = self._watchlists.index()
        deny_ids = {
            wl.id
            for wl in index.watchlists.values()
            if wl.kind is ListKind.DENY and (lane.deny_lists is None or wl.name in lane.deny_lists)
        }
        allow_ids = {
            wl.id
            for wl in index.watchlists.values()
            if wl.kind is ListKind.ALLOW and wl.name in lane.allow_lists
        }
        texts = read_texts(passage.reads)
        now = datetime.now(UTC)
        deny = index.match(texts, watchlist_ids=deny_ids, now=now) if deny_ids else []
        allow = index.match(texts, watchlist_ids=allow_ids, now=now) if allow_ids else []
        findings = Findings(
            reads=list(passage.reads),
            deny=deny,
            allow=allow,
            plate_frames=passage.plate_frames,
            faces=[f.read for f in passage.faces],
            face_frames=passage.face_frames,
        )
        face_allow_lists = False
        if self._faces is not None and passage.faces:
            found = self._faces.match(
                self._watchlists.face_index(),
                passage.faces,
                deny_ids=deny_ids,
                allow_ids=allow_ids,
                plate_deny=deny,
                now=now,
            )
            face_allow_lists = found.allow_lists_hold_faces
            findings = replace(
                findings,
                face_deny=found.deny,
                face_allow=found.allow,
                nearest_face=found.nearest,
                face_threshold=found.threshold,
                drivers=found.drivers,
            )
        policy = LanePolicy(
            has_allow_lists=bool(lane.allow_lists),
            review_when_no_plate=lane.review_when_no_plate,
            min_read_confidence=self._config.vision.min_read_confidence,
            face_allow_lists=face_allow_lists,
            review_when_no_face=lane.review_when_no_face,
            max_watchlist_age_s=self._config.server.max_watchlist_staleness_ms / 1000,
        )
        return decide(replace(findings, watchlist_age_s=age), policy)

    def _evidence(
        self,
        recognition: _Recognition | None,
        frame: FrameInput,
        passage: PassageView | None,
        outcome: Outcome,
    ) -> Evidence:
        """The images kept with a HIT or REVIEW: the plate crop, the frame downscaled and the
        passage's best face. Only a HIT (or ``keep_review_face_images``) keeps anything showing
        a face: a face chip, or a frame from a driver camera."""
        storage = self._config.storage
        keep_faces = outcome is Outcome.HIT or storage.keep_review_face_images
        face_frame = frame.camera is CameraRole.DRIVER
        if recognition is None:
            # Recognition overran or failed: keep the frame as sent (already a JPEG or PNG)
            # rather than spend the remaining budget decoding it again, when it is small enough.
            sent = frame.image if keep_faces or not face_frame else b""
            if len(sent) > MAX_RAW_EVIDENCE_BYTES:
                sent = b""
            return Evidence(plate_crop_jpeg=None, frame_jpeg=sent or None)
        quality = storage.evidence_jpeg_quality
        faces = sorted(
            passage.faces if passage and keep_faces else (),
            key=lambda f: (f.read.quality_ok, f.read.eye_distance_px),
            reverse=True,
        )
        frame_jpeg = None
        if keep_faces or not face_frame:
            frame_jpeg = encode_jpeg(
                recognition.image, quality=quality, max_side=storage.evidence_frame_max_side
            )
        return Evidence(
            plate_crop_jpeg=(
                encode_jpeg(recognition.crops[0], quality=quality) if recognition.crops else None
            ),
            frame_jpeg=frame_jpeg,
            face_chip_jpeg=encode_jpeg(faces[0].chip, quality=quality) if faces else None,
        )

    def _recognise_faces(
        self, frame: FrameInput, header: FrameHeader, progress: _Progress, end: float
    ) -> _Recognition:
        """Runs on a worker thread: decode here, analyse in a face worker process until ``end``."""
        assert self._faces is not None
        if progress.abandoned.is_set():
            raise _Abandoned
        progress.enter("decode")
        image = decode_checked(frame.image, header)
        if progress.abandoned.is_set():
            raise _Abandoned
        progress.enter("faces")
        future = self._faces.analyser.submit(image, max_faces=self._faces.max_faces)
        try:
            observations = future.result(timeout=max(0.0, end - time.perf_counter()))
        except FutureTimeout:
            future.cancel()  # not started yet: never run it; started: its result is dropped
            raise _Abandoned from None
        progress.enter("done")
        embedder = self._faces.embedder
        faces = [sighting(o, embedder, frame.frame_id) for o in observations]
        return _Recognition(image, [], [], faces, _frame_notes(header))

    def _recognise(
        self, frame: FrameInput, header: FrameHeader, progress: _Progress, end: float
    ) -> _Recognition:
        """Runs on a worker thread; gives up at the next stage boundary once abandoned."""

        def enter(stage: str) -> None:
            if progress.abandoned.is_set():
                raise _Abandoned
            progress.enter(stage)

        enter("decode")
        image = decode_checked(frame.image, header)
        focus = self._passages.focus(frame.lane_id)
        detections = None
        if frame.region_hint is None and not focus.whole_frame:
            enter("track")  # around the lane's tracked plates; None: one of them is lost
            detections = self._pipeline.detect_near(image, [t.box for t in focus.tracks])
        if detections is None:
            enter("detect")
            detections = self._pipeline.detect(image, _hint_region(image, frame.region_hint))
        enter("rectify")
        crops = [self._pipeline.crop(image, det) for det in detections]
        enter("read")
        lane_reader = self.lane(frame.lane_id).plate_reader()
        reader = self._pipeline.reader_for(lane_reader).name
        carried = [focus.settled_read(det.box) for det in detections]
        unread = [i for i, settled in enumerate(carried) if settled is None]
        texts = iter(
            self._pipeline.read(
                [crops[i] for i in unread], lane_reader, rows=[detections[i].rows for i in unread]
            )
        )
        progress.enter("done")
        reads = [
            _carried_read(settled, det, frame.frame_id)
            if settled is not None
            else _plate_read(next(texts), det, reader, frame)
            for det, settled in zip(detections, carried, strict=True)
        ]
        return _Recognition(image, reads, crops, notes=_frame_notes(header))


def _hint_region(image: Image, hint: Box | None) -> tuple[int, int, int, int] | None:
    """The part of the frame the terminal said to search (None: all of it, or a hint too
    small to search)."""
    if hint is None or hint.width <= 0 or hint.height <= 0:
        return None
    height, width = image.shape[:2]
    x0, y0 = max(0, int(hint.x)), max(0, int(hint.y))
    x1, y1 = min(width, int(hint.x + hint.width)), min(height, int(hint.y + hint.height))
    return (x0, y0, x1, y1) if x1 - x0 >= 8 and y1 - y0 >= 8 else None


def _plate_read(text: PlateText, det: PlateDetection, reader: str, frame: FrameInput) -> PlateRead:
    """A plate read in this frame, settled for the lane's region."""
    settled = settle_read(text, frame.plate_region)
    fmt = plate_format(settled.text, frame.plate_region)
    return PlateRead(
        text=settled.text,
        confidence=settled.confidence,
        char_confidences=settled.char_confidences,
        candidates=settled.candidates,
        box=det.box,
        corners=det.corners,
        detection_score=det.score,
        reader=reader,
        region=fmt.region if fmt else frame.plate_region,
        format=fmt.name if fmt else "",
        frame_id=frame.frame_id,
    )


def _carried_read(settled: PlateRead, det: PlateDetection, frame_id: str) -> PlateRead:
    """A detection of a tracked plate whose read is settled: that read, where it is now."""
    return replace(
        settled,
        box=det.box,
        corners=det.corners,
        detection_score=det.score,
        frame_id=frame_id,
        frames=1,
        carried=True,
    )
