"""What the service makes of a labelled lane sequence: vehicles, passages, alerts, reads, time.

The frames go through the server's own :class:`~lanescreen.domain.screening.Screener` (the
configured detector and reader, passages, consolidated reads, the lane budget) at the sequence's
frame rate, as a lane terminal would stream them, with every labelled plate on a deny list (as
lenient entries, so that alerts measure how vehicles are followed, and reads are measured exactly
below): each vehicle should be one passage and one alert. Measured:

* ``alerts_per_vehicle``: the alerts officers would get (a passage's first HIT or firm REVIEW,
  or its end as a REVIEW unless only glimpsed), per labelled
  vehicle (target 1.0: more is one vehicle alerted twice, less a listed vehicle missed);
* ``frame_exact_read_rate``: of the frames showing a vehicle, those whose own reads hold its
  plate exactly; ``passage_exact_read_rate``: of the vehicles, those whose passage's
  consolidated read is exactly the plate;
* ``ms_per_frame`` (mean server time of a frame; ``ms_per_vehicle_frame`` of those showing a
  vehicle) beside ``ms_per_still`` (every fifth frame again, each screened alone as a still
  photo), and ``within_budget``;
* how the work per frame was saved: ``frames_searched_near_tracks`` (searched only around the
  lane's tracked plates, not whole) and ``reads_carried`` (detections given their track's
  settled read instead of being read).
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lanescreen.config import Config, LaneConfig
from lanescreen.domain.decisions import CameraRole, Decision, Evidence, PassageState
from lanescreen.domain.fusion import distance
from lanescreen.domain.plates import normalize_plate
from lanescreen.domain.screening import FrameInput, Screener
from lanescreen.domain.watchlist_cache import WatchlistCache
from lanescreen.domain.watchlists import EntryFields, ListKind, MatchMode
from lanescreen.evaluation.sequences import VehicleLabel
from lanescreen.store.db import Database
from lanescreen.store.watchlists import WatchlistStore
from lanescreen.vision.image import FrameError
from lanescreen.vision.pipeline import PlatePipeline

LANE = "eval-lane"
STILLS = "eval-stills"
STILL_EVERY = 5
"""Every fifth frame is screened again alone, as a still photo, for ``ms_per_still``."""


class _Recorder:
    """The screener's sink here: the decisions, in order, kept in memory."""

    def __init__(self) -> None:
        self.decisions: list[Decision] = []

    def record(self, decision: Decision, evidence: Evidence | None) -> None:
        pass

    def settle(self, decision: Decision) -> None:
        self.decisions.append(decision)


@dataclass
class PassageRun:
    """What one sequence gave."""

    frames: int = 0
    vehicles: int = 0
    decisions: list[Decision] = field(default_factory=list)
    still_ms: list[float] = field(default_factory=list)
    labels: Sequence[VehicleLabel] = ()
    bad_frames: list[str] = field(default_factory=list)
    """Frames the screener refused (not an image, truncated...), each with why."""

    def summary(self) -> dict[str, Any]:
        by_frame = {int(d.frame_id): d for d in self.decisions if d.frame_id}
        states: dict[str, list[PassageState]] = defaultdict(list)
        for decision in self.decisions:
            for state in decision.passages:
                states[state.passage_id].append(state)
        plated = {pid for pid, seen in states.items() if any(s.plates for s in seen)}
        alerted = {s.alert_id for seen in states.values() for s in seen if s.alert_id}
        frame_hits = frame_total = passage_hits = 0
        for label in self.labels:
            plate = normalize_plate(label.plate)
            frames = [by_frame[n] for n in range(label.first_frame, label.last_frame + 1)
                      if n in by_frame]  # fmt: skip
            frame_total += len(frames)
            frame_hits += sum(any(p.text == plate for p in d.frame_plates) for d in frames)
            passage_hits += _passage_read(frames, states, plate) == plate
        times = [d.total_ms for d in self.decisions]
        in_view = {
            n for label in self.labels for n in range(label.first_frame, label.last_frame + 1)
        }
        vehicle_times = [by_frame[n].total_ms for n in sorted(in_view) if n in by_frame]
        tracked = sum(_searched_near_tracks(d) for d in self.decisions)
        frame_reads = [p for d in self.decisions for p in d.frame_plates]
        vehicles = max(1, len(self.labels))
        return {
            "frames": self.frames,
            "vehicles": len(self.labels),
            "passages": len(plated),
            "alerts": len(alerted),
            "alerts_per_vehicle": round(len(alerted) / vehicles, 3),
            "frame_exact_read_rate": round(frame_hits / max(1, frame_total), 4),
            "passage_exact_read_rate": round(passage_hits / vehicles, 4),
            "ms_per_frame": _mean(times),
            "ms_per_frame_p95": round(float(np.percentile(times, 95)), 1) if times else 0.0,
            "ms_per_vehicle_frame": _mean(vehicle_times),
            "ms_per_still": _mean(self.still_ms),
            "frames_searched_near_tracks": round(tracked / max(1, len(self.decisions)), 4),
            "reads_carried": round(
                sum(p.carried for p in frame_reads) / max(1, len(frame_reads)), 4
            ),
            "bad_frames": self.bad_frames,
            "within_budget": round(
                sum(d.budget_met for d in self.decisions) / max(1, len(self.decisions)), 4
            ),
        }


def _mean(values: Sequence[float]) -> float:
    return round(float(np.mean(values)), 1) if values else 0.0


def _searched_near_tracks(decision: Decision) -> bool:
    """Whether the frame was searched only around its lane's tracked plates (not whole)."""
    stages = {t.stage for t in decision.timings}
    return "track" in stages and "detect" not in stages


def _passage_read(
    frames: Sequence[Decision], states: dict[str, list[PassageState]], plate: str
) -> str:
    """The consolidated read of the vehicle's passage: of the passages in its frames, the one
    whose read comes closest to the plate, as that passage last stood."""
    ids = {s.passage_id for d in frames for s in d.passages if s.plates}
    best = ""
    for pid in ids:
        last = next((s for s in reversed(states[pid]) if s.plates), None)
        if last is None:
            continue
        read = min(last.plates, key=lambda p: distance(plate, p.text)).text
        if not best or distance(plate, read) < distance(plate, best):
            best = read
    return best


def evaluate_passages(
    frames: Iterable[bytes],
    labels: Sequence[VehicleLabel],
    config: Config,
    pipeline: PlatePipeline,
    *,
    fps: float,
    budget_ms: int = 250,
    region: str = "",
    review_when_no_plate: bool = True,
    progress: Callable[[int], None] = lambda n: None,
) -> dict[str, Any]:
    """Stream ``frames`` at ``fps`` through a screener whose deny list holds every label."""
    lanes = [
        LaneConfig(id=id_, budget_ms=budget_ms, region=region, review_when_no_plate=review)
        for id_, review in ((LANE, review_when_no_plate), (STILLS, True))
    ]
    config = Config(server=config.server, storage=config.storage, vision=config.vision, lanes=lanes)
    run = PassageRun(labels=labels)
    with tempfile.TemporaryDirectory() as tmp, Database.open(f"sqlite:///{tmp}/eval.db") as db:
        store = WatchlistStore(db)
        store.create_watchlist("eval-deny", ListKind.DENY, "the sequence's plates", "eval")
        for plate in sorted({normalize_plate(v.plate) for v in labels}):
            store.add_entry("eval-deny", EntryFields(plate, match_mode=MatchMode.LENIENT), "eval")
        recorder = _Recorder()
        cache = WatchlistCache(store)
        screener = Screener(config, pipeline, cache, recorder)
        try:
            screener.warm_up()
            cache.start()
            _stream(screener, frames, fps, run, progress)
            time.sleep(config.faces.passage_gap_s + 1)  # the last passages end
            screener.sweep_passages()
        finally:
            cache.stop()
            screener.close()
        run.decisions = [d for d in recorder.decisions if d.lane_id == LANE]
    return run.summary()


def _stream(
    screener: Screener,
    frames: Iterable[bytes],
    fps: float,
    run: PassageRun,
    progress: Callable[[int], None],
) -> None:
    interval = 1 / fps if fps > 0 else 0.0
    next_at = time.perf_counter()
    stills: list[tuple[int, bytes]] = []
    for index, image in enumerate(frames):
        now = time.perf_counter()
        if now < next_at:
            time.sleep(next_at - now)
        next_at = max(next_at + interval, time.perf_counter())
        frame = FrameInput(LANE, CameraRole.PLATE, str(index), image)
        run.frames = index + 1
        try:
            screener.screen(frame, received_at=time.perf_counter())
        except FrameError as exc:  # as a terminal is answered: a status, and the clip goes on
            run.bad_frames.append(f"frame {index}: {exc}")
        else:
            if index % STILL_EVERY == 0:
                stills.append((index, image))
        progress(index + 1)
    for index, image in stills:  # the same frames again, each alone as a photo of its own
        time.sleep(interval)
        still = FrameInput(STILLS, CameraRole.PLATE, f"still-{index}", image,
                           passage_id=f"still-{index}")  # fmt: skip
        run.still_ms.append(screener.screen(still, received_at=time.perf_counter()).total_ms)
