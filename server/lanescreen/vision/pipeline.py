"""Detector + rectifier + reader behind one small facade.

The stages stay separately callable (``detect``, ``crop``, ``read``) because the screening domain
times each one and stops when a lane's budget runs out; ``recognize`` chains them for tools and
tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lanescreen.config import VisionConfig

from .detectors import Y5fuDetector
from .readers import build_reader
from .rectify import crop_plate
from .rows import read_plates
from .search import LOOK_SCORE, CascadeDetector, centre_inside, detect_in, search_region, select
from .types import Box, Image, PlateDetection, PlateDetector, PlateReader, PlateText
from .weights import DETECTOR_MODELS, fetch, require, required_models

DETECTOR_NAMES = tuple(DETECTOR_MODELS)

CROP_HEIGHT = 64
"""Crops are cut at the reader's own input height, so the warp is the only resampling."""
CROP_PAD = 0.2
"""Margin around the plate, as a fraction of its height; chosen on openalpr (docs/accuracy.md)."""


def warm_up_reader(reader: PlateReader) -> None:
    """Run ``reader`` once on a blank crop: its lazy set-up done before a lane's frame needs it."""
    reader.read([np.full((48, 160, 3), 200, np.uint8)])


def build_detector(
    name: str, model_dir: Path, threads: int = 1, *, accept_score: float = 0.45
) -> PlateDetector:
    """Load the named detector (``y5fu_320``, ``y5fu_640`` or ``y5fu_cascade``, the two sizes
    as one, see :class:`~lanescreen.vision.search.CascadeDetector`) from ``model_dir``;
    ``accept_score``: the score the pipeline accepts a detection at."""
    if name not in DETECTOR_MODELS:
        raise ValueError(f"unknown plate detector {name!r} (known: {', '.join(DETECTOR_NAMES)})")
    if name == "y5fu_cascade":
        first, second = (
            Y5fuDetector(
                require(model_dir, m), int(m.removeprefix("y5fu_")), threads, score_floor=LOOK_SCORE
            )
            for m in DETECTOR_MODELS[name]
        )
        return CascadeDetector(first, second, accept_score)
    size = int(name.removeprefix("y5fu_"))
    return Y5fuDetector(require(model_dir, DETECTOR_MODELS[name][0]), size, threads)


def ensure_models(
    vision: VisionConfig,
    model_dir: Path,
    *,
    extra_readers: Sequence[str] = (),
    progress: bool = False,
) -> list[Path]:
    """Make the configured detector's and readers' models usable.

    With ``auto_fetch`` they are fetched (mirror first) when missing or corrupt; without it a
    missing one raises ModelError saying how to fetch it.
    """
    names = required_models(vision.detectors(), vision.reader, *extra_readers)
    if vision.auto_fetch:
        return fetch(names, model_dir, mirror=vision.model_mirror, progress=progress)
    return [require(model_dir, name) for name in names]


@dataclass
class PlatePipeline:
    """Finds, straightens and reads plates in one frame."""

    detector: PlateDetector
    reader: PlateReader
    """The default reader."""
    min_score: float = 0.45
    max_plates: int = 4
    crop_height: int = CROP_HEIGHT
    crop_pad: float = CROP_PAD
    lane_readers: dict[str, PlateReader] = field(default_factory=dict)
    """Other readers lanes may ask for by name (``LaneConfig.reader``)."""
    track_detector: PlateDetector | None = None
    """Searches around plates already tracked (:meth:`detect_near`); None: frames are always
    searched whole."""

    def detect(
        self, image: Image, region: tuple[int, int, int, int] | None = None
    ) -> list[PlateDetection]:
        """The strongest ``max_plates`` detections scoring at least ``min_score``, best first;
        ``region`` (``x0, y0, x1, y1``): only there, in the frame's coordinates."""
        found = (
            self.detector.detect(image)
            if region is None
            else detect_in(self.detector, image, region)
        )
        return select(found, self.min_score, self.max_plates)

    def detect_near(self, image: Image, boxes: Sequence[Box]) -> list[PlateDetection] | None:
        """The plates found around each of ``boxes`` (where tracked plates should be now), with
        the track detector on a square around each (:func:`search_region`); None when one of
        them shows no plate (its track is lost: the caller searches the whole frame) or there
        is no track detector. A plate expected outside the frame has left it: not searched."""
        if self.track_detector is None or not boxes:
            return None
        height, width = image.shape[:2]
        inside = [b for b in boxes if centre_inside(b, width, height)]
        if not inside:
            return None
        found: list[PlateDetection] = []
        for box in inside:
            region = search_region(box, width, height)
            near = [
                d
                for d in detect_in(self.track_detector, image, region)
                if d.score >= self.min_score
            ]
            if not near:
                return None
            found += near
        return select(found, self.min_score, self.max_plates)

    def crop(self, image: Image, detection: PlateDetection) -> Image:
        return crop_plate(image, detection, out_h=self.crop_height, pad=self.crop_pad)

    def warm_up(self, readers: Iterable[str]) -> int:
        """Run the detectors and the named readers once on blank images, so that the first
        real frame is not slowed by their lazy set-up; returns the (blank) frame's detections."""
        image = np.full((480, 640, 3), 127, dtype=np.uint8)
        found = len(self.detect(image))
        self.detect_near(image, [Box(270, 225, 100, 30)])
        for name in dict.fromkeys(readers):
            warm_up_reader(self.reader_for(name))
        return found

    def reader_for(self, name: str = "") -> PlateReader:
        """The reader called ``name`` (empty: the default); KeyError if it was not loaded."""
        if not name or name == self.reader.name:
            return self.reader
        return self.lane_readers[name]

    def has_reader(self, name: str) -> bool:
        return not name or name == self.reader.name or name in self.lane_readers

    def add_reader(self, name: str, reader: PlateReader) -> None:
        """One more reader for lanes that ask for it by ``name`` (a lane added while serving);
        the mapping is replaced whole, so a frame being read sees the old one or the new one."""
        self.lane_readers = {**self.lane_readers, name: reader}

    def read(
        self, crops: Sequence[Image], reader: str = "", rows: Sequence[int] | None = None
    ) -> list[PlateText]:
        """Read ``crops`` with the named reader. ``rows``: each crop's row count as its detector
        gave it (a two-row crop is also read with its rows side by side); None: one row each."""
        return read_plates(self.reader_for(reader), crops, rows)

    def recognize(self, image: Image) -> list[tuple[PlateDetection, PlateText]]:
        """Every plate read in ``image``, strongest detection first."""
        detections = self.detect(image)
        crops = [self.crop(image, d) for d in detections]
        texts = self.read(crops, rows=[d.rows for d in detections])
        return list(zip(detections, texts, strict=True))


def build_pipeline(
    vision: VisionConfig, model_dir: Path, extra_readers: Sequence[str] = ()
) -> PlatePipeline:
    """The configured pipeline, from models already in ``model_dir`` (see :func:`ensure_models`),
    with ``extra_readers`` loaded beside the default for lanes that name them."""
    extras = {
        name: build_reader(name, model_dir, vision.onnx_threads)
        for name in dict.fromkeys(extra_readers)
        if name != vision.reader
    }
    accept = vision.min_detection_score
    detector = build_detector(vision.detector, model_dir, vision.onnx_threads, accept_score=accept)
    track_detector = None
    if vision.track_detector:
        track_detector = (
            detector
            if vision.track_detector == vision.detector
            else build_detector(
                vision.track_detector, model_dir, vision.onnx_threads, accept_score=accept
            )
        )
    return PlatePipeline(
        detector=detector,
        track_detector=track_detector,
        reader=build_reader(vision.reader, model_dir, vision.onnx_threads),
        min_score=vision.min_detection_score,
        max_plates=vision.max_plates_per_frame,
        lane_readers=extras,
    )
