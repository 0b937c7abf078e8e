"""Detection and read rates of the plate pipeline on labelled photos, with per-stage timings.

The measures follow openalpr's benchmark: a labelled plate is *detected* when a detection overlaps
its box at IoU >= 0.4, and *read* when such a detection's text equals the label exactly (after
:func:`normalize_plate`). Each reader is also scored on ground-truth crops (the labelled box cut
with the pipeline's own margin), which separates reader errors from detector errors.

Every frame goes through the service's own path: file bytes, :func:`decode_frame`, detection
filtered as the server filters it, rectification, one batched read.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from lanescreen.domain.plates import LATIN, normalize_plate, settle_read
from lanescreen.vision.image import FrameError, decode_frame
from lanescreen.vision.pipeline import CROP_HEIGHT, CROP_PAD
from lanescreen.vision.rectify import crop_plate
from lanescreen.vision.rows import read_plates
from lanescreen.vision.search import select
from lanescreen.vision.types import Image, PlateDetection, PlateDetector, PlateReader, PlateText

from .plate_sets import LabelledCrop, Scene
from .watchlist import LIST_SIZE, SetWatchlist, WatchlistTally

IOU_MATCH = 0.4
STAGES = ("decode", "detect", "rectify", "read")
_MAX_BYTES = 256 * 1024 * 1024
_MAX_PIXELS = 200_000_000


def _latin(text: str) -> str:
    return "".join(ch for ch in text if ch in LATIN)


def _rate(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else 0.0


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else 0.0


@dataclass(frozen=True)
class PlateMiss:
    """One labelled plate a reader did not read exactly: what to look at when a rate falls."""

    image: str
    label: str
    view: str
    """``crop`` (the ground-truth crop) or ``frame`` (end to end, through the detector)."""
    read: str
    """What the reader kept (empty when no detection matched the plate)."""
    confidence: float
    offered: bool
    """Whether the label is among the read's candidates (a watchlist would still match it)."""
    candidates: tuple[str, ...]
    detected: bool = True

    @classmethod
    def of(cls, image: Path, label: str, view: str, read: PlateText | None) -> PlateMiss:
        """The miss of ``label`` by ``read`` (None: the detector found nothing at the plate)."""
        if read is None:
            return cls(str(image), label, view, "", 0.0, False, (), detected=False)
        candidates = tuple(c.text for c in read.candidates)
        offered = _offers(read, label)
        return cls(str(image), label, view, read.text, read.confidence, offered, candidates)


@dataclass
class RunMetrics:
    """Counts and timings of one detector + reader combination on one set."""

    kind: str
    """``scenes`` or ``crops``."""
    reader: str
    detector: str | None = None
    images: int = 0
    plates: int = 0
    detected: int = 0
    read: int = 0
    crop_read: int = 0
    latin_read: int = 0
    candidate_read: int = 0
    """Plates whose label is the read or one of its candidates (what a watchlist match sees)."""
    crop_candidate_read: int = 0
    stage_ms: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    """Per-frame milliseconds of each stage."""
    crop_ms: list[float] = field(default_factory=list)
    """Per-crop milliseconds of reading ground-truth crops."""
    misses: list[PlateMiss] = field(default_factory=list)
    """Every plate not read exactly, on ground-truth crops and (for scenes) end to end."""
    watchlist: tuple[int, int] = (0, 0)
    """Entries of each simulated watchlist, and how many are the set's labels (:mod:`.watchlist`)."""
    crop_watch: WatchlistTally = field(default_factory=WatchlistTally)
    """What the watchlists make of the ground-truth crops' reads."""
    frame_watch: WatchlistTally = field(default_factory=WatchlistTally)
    """... and of the reads end to end (scenes only)."""
    bad_images: list[dict[str, str]] = field(default_factory=list)
    """Images that could not be read (``image``, ``problem``): counted, named, and skipped."""
    crop_confidence: list[tuple[float, bool]] = field(default_factory=list)
    """Each ground-truth crop's read confidence and whether it was exact: how far the reader's
    confidence can be trusted (``vision.min_read_confidence`` sends the doubtful to REVIEW)."""

    @property
    def frame_ms(self) -> list[float]:
        """Whole-frame milliseconds: the stages that ran, summed frame by frame."""
        ran = [self.stage_ms[s] for s in STAGES if self.stage_ms[s]]
        return [float(sum(parts)) for parts in zip(*ran, strict=True)] if ran else []

    def to_dict(self) -> dict[str, Any]:
        """Rates as fractions 0-1, times as mean milliseconds (plus p50/p95 per frame)."""
        frames = self.frame_ms
        out: dict[str, Any] = {
            "kind": self.kind,
            "detector": self.detector,
            "reader": self.reader,
            "images": self.images,
            "plates": self.plates,
        }
        if self.kind == "scenes":
            out["detection_recall"] = round(_rate(self.detected, self.plates), 4)
        out["exact_read_rate"] = round(_rate(self.read, self.plates), 4)
        out["crop_read_rate"] = round(_rate(self.crop_read, self.plates), 4)
        out["candidate_read_rate"] = round(_rate(self.candidate_read, self.plates), 4)
        out["crop_candidate_read_rate"] = round(_rate(self.crop_candidate_read, self.plates), 4)
        if self.kind == "crops":
            out["latin_read_rate"] = round(_rate(self.latin_read, self.plates), 4)
        entries, labels = self.watchlist
        out["watchlist"] = {
            "entries": entries,
            "labels": labels,
            "crop": self.crop_watch.to_dict(),
        }
        if self.kind == "scenes":
            out["watchlist"]["frame"] = self.frame_watch.to_dict()
        out["ms_per_frame"] = round(_mean(frames), 2)
        out["ms_per_frame_p50"] = round(_percentile(frames, 50), 2)
        out["ms_per_frame_p95"] = round(_percentile(frames, 95), 2)
        out["ms_per_stage"] = {s: round(_mean(v), 2) for s, v in self.stage_ms.items() if v}
        out["ms_per_crop"] = round(_mean(self.crop_ms), 2)
        out["bad_images"] = self.bad_images
        out["confidence"] = reliability(self.crop_confidence)
        return out


CONFIDENCE_EDGES = (0.0, 0.2, 0.5, 0.8, 0.95, 1.0)
"""Confidence bins of :func:`reliability` (0.5: ``vision.min_read_confidence``'s default)."""


def reliability(reads: Sequence[tuple[float, bool]]) -> list[dict[str, float]]:
    """For each confidence bin, the reads in it and the share of them exact: a calibrated
    reader's exact rate sits inside its bin."""
    bins = []
    for low, high in itertools.pairwise(CONFIDENCE_EDGES):
        inside = [exact for c, exact in reads if low <= c < high or (high == 1.0 and c == 1.0)]
        bins.append(
            {
                "from": low,
                "to": high,
                "reads": len(inside),
                "exact_rate": round(_rate(sum(inside), len(inside)), 4),
            }
        )
    return bins


def _decode(path: Path) -> tuple[Image, float]:
    data = path.read_bytes()
    start = time.perf_counter()
    image = decode_frame(data, max_bytes=_MAX_BYTES, max_pixels=_MAX_PIXELS)
    return image, (time.perf_counter() - start) * 1000


def _decoded(path: Path, runs: Iterable[RunMetrics]) -> tuple[Image, float] | None:
    """The image, or None after naming it in every run: one bad file never stops a set."""
    try:
        return _decode(path)
    except (FrameError, OSError) as exc:
        for run in runs:
            run.bad_images.append({"image": str(path), "problem": str(exc)})
        return None


def _offers(read: PlateText, label: str) -> bool:
    """Whether ``label`` is the read or one of its candidates."""
    return read.text == label or any(c.text == label for c in read.candidates)


def _closest(reads: Sequence[PlateText], matched: Sequence[int], label: str) -> PlateText | None:
    """Of the reads of the detections matching a plate, the one offering its label, else the
    first (None: no detection matched)."""
    ranked = sorted(matched, key=lambda i: not _offers(reads[i], label))
    return reads[ranked[0]] if ranked else None


def _timed_read(
    reader: PlateReader,
    crops: Sequence[Image],
    region: str = "",
    rows: Sequence[int] | None = None,
) -> tuple[list[PlateText], float]:
    start = time.perf_counter()
    # What the service keeps of a read, as on a lane whose region is ``region`` (empty: none set,
    # the layout rules decide), two-row detections read as the service reads them.
    reads = read_plates(reader, crops, rows)
    settled = [settle_read(t, region) for t in reads]
    return settled, (time.perf_counter() - start) * 1000


def evaluate_scenes(
    scenes: Sequence[Scene],
    detectors: Sequence[PlateDetector],
    readers: Sequence[PlateReader],
    *,
    min_score: float,
    max_plates: int,
    crop_height: int = CROP_HEIGHT,
    crop_pad: float = CROP_PAD,
    region: str = "",
    list_size: int = LIST_SIZE,
    progress: bool = True,
) -> list[RunMetrics]:
    """Score every detector x reader pair; each frame is decoded and detected once per detector.
    Reads are normalised as on a lane whose region is ``region``."""
    watchlist = SetWatchlist((normalize_plate(p.text) for s in scenes for p in s.plates), list_size)
    listed = (watchlist.size, watchlist.labels)
    runs = {
        (d.name, r.name): RunMetrics("scenes", r.name, d.name, watchlist=listed)
        for d in detectors
        for r in readers
    }
    for scene in tqdm(scenes, desc="plates", unit="img", disable=not progress, leave=False):
        decoded = _decoded(scene.image, runs.values())
        if decoded is None:
            continue
        image, decode_ms = decoded
        labels = [normalize_plate(p.text) for p in scene.plates]
        truth = [
            crop_plate(image, PlateDetection(p.box, 1.0), out_h=crop_height, pad=crop_pad)
            for p in scene.plates
        ]
        crop_reads = {r.name: _timed_read(r, truth, region) for r in readers}
        for detector in detectors:
            start = time.perf_counter()
            found = select(detector.detect(image), min_score, max_plates)
            detect_ms = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            crops = [crop_plate(image, d, out_h=crop_height, pad=crop_pad) for d in found]
            rectify_ms = (time.perf_counter() - start) * 1000
            matches = [
                [i for i, d in enumerate(found) if d.box.iou(p.box) >= IOU_MATCH]
                for p in scene.plates
            ]
            for reader in readers:
                reads, read_ms = _timed_read(reader, crops, region, [d.rows for d in found])
                run = runs[(detector.name, reader.name)]
                run.images += 1
                run.plates += len(labels)
                run.detected += sum(1 for m in matches if m)
                pairs = list(zip(labels, matches, strict=True))
                run.read += sum(1 for lab, m in pairs if any(reads[i].text == lab for i in m))
                run.candidate_read += sum(
                    1 for lab, m in pairs if any(_offers(reads[i], lab) for i in m)
                )
                truth_reads, truth_ms = crop_reads[reader.name]
                truth_pairs = list(zip(truth_reads, labels, strict=True))
                run.misses.extend(
                    PlateMiss.of(scene.image, lab, "crop", t)
                    for t, lab in truth_pairs
                    if t.text != lab
                )
                run.misses.extend(
                    PlateMiss.of(scene.image, lab, "frame", _closest(reads, m, lab))
                    for lab, m in pairs
                    if not any(reads[i].text == lab for i in m)
                )
                for t, lab in truth_pairs:
                    run.crop_watch.count_hit(watchlist, [t], lab)
                    run.crop_watch.count_false(watchlist, [t], [lab])
                for lab, m in pairs:
                    run.frame_watch.count_hit(watchlist, [reads[i] for i in m], lab)
                run.frame_watch.count_false(watchlist, reads, labels)
                run.crop_read += sum(1 for t, lab in truth_pairs if t.text == lab)
                run.crop_confidence += [(t.confidence, t.text == lab) for t, lab in truth_pairs]
                run.crop_candidate_read += sum(1 for t, lab in truth_pairs if _offers(t, lab))
                run.crop_ms.extend([truth_ms / max(1, len(truth))] * len(truth))
                for stage, ms in zip(
                    STAGES, (decode_ms, detect_ms, rectify_ms, read_ms), strict=True
                ):
                    run.stage_ms[stage].append(ms)
    return list(runs.values())


def evaluate_crops(
    crops: Sequence[LabelledCrop],
    readers: Sequence[PlateReader],
    *,
    region: str = "",
    list_size: int = LIST_SIZE,
    progress: bool = True,
) -> list[RunMetrics]:
    """Score each reader on plate crops as they are (no detector, no extra margin), reads
    normalised as on a lane whose region is ``region``."""
    watchlist = SetWatchlist((normalize_plate(c.text) for c in crops), list_size)
    listed = (watchlist.size, watchlist.labels)
    runs = [RunMetrics("crops", r.name, watchlist=listed) for r in readers]
    for item in tqdm(crops, desc="crops", unit="img", disable=not progress, leave=False):
        decoded = _decoded(item.image, runs)
        if decoded is None:
            continue
        image, decode_ms = decoded
        label = normalize_plate(item.text)
        for reader, run in zip(readers, runs, strict=True):
            (read,), read_ms = _timed_read(reader, [image], region)
            text = read.text
            hit = text == label
            offered = _offers(read, label)
            run.images += 1
            run.plates += 1
            run.read += hit
            run.crop_read += hit
            run.candidate_read += offered
            run.crop_candidate_read += offered
            run.latin_read += _latin(text) == _latin(label)
            run.crop_confidence.append((read.confidence, hit))
            if not hit:
                run.misses.append(PlateMiss.of(item.image, label, "crop", read))
            run.crop_watch.count_hit(watchlist, [read], label)
            run.crop_watch.count_false(watchlist, [read], [label])
            run.stage_ms["decode"].append(decode_ms)
            run.stage_ms["read"].append(read_ms)
            run.crop_ms.append(read_ms)
    return runs
