"""Detector + rectifier + reader behind one small facade.

The stages stay separately callable (``detect``, ``crop``, ``read``) because the screening domain
times each one and stops when a lane's budget runs out; ``recognize`` chains them for tools and
tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lanescreen.config import VisionConfig

from .detectors import Y5fuDetector
from .readers import build_reader
from .rectify import crop_plate
from .rows import read_plates
from .types import Image, PlateDetection, PlateDetector, PlateReader, PlateText
from .weights import DETECTOR_MODELS, fetch, require, required_models

DETECTOR_NAMES = tuple(DETECTOR_MODELS)

CROP_HEIGHT = 64
"""Crops are cut at the reader's own input height, so the warp is the only resampling."""
CROP_PAD = 0.2
"""Margin around the plate, as a fraction of its height; chosen on openalpr (docs/accuracy.md)."""


SAME_PLATE_OVERLAP = 0.6
"""Two detections whose boxes share this much of the smaller one are one plate: a detector's
NMS keeps both when one box is a part of the other (a plate and its character band, say), and
reading both would report the plate twice."""


def select(
    detections: Sequence[PlateDetection], min_score: float, limit: int
) -> list[PlateDetection]:
    """The strongest ``limit`` plates scoring at least ``min_score``, best first, each once:
    a detection overlapping a stronger one (:data:`SAME_PLATE_OVERLAP`) is merged into it."""
    kept: list[PlateDetection] = []
    for detection in sorted(detections, key=lambda d: d.score, reverse=True):
        if len(kept) == limit or detection.score < min_score:
            break
        if all(k.box.overlap(detection.box) < SAME_PLATE_OVERLAP for k in kept):
            kept.append(detection)
    return kept


def build_detector(name: str, model_dir: Path, threads: int = 1) -> PlateDetector:
    """Load the named detector (``y5fu_320`` or ``y5fu_640``) from ``model_dir``."""
    if name not in DETECTOR_MODELS:
        raise ValueError(f"unknown plate detector {name!r} (known: {', '.join(DETECTOR_NAMES)})")
    size = int(name.removeprefix("y5fu_"))
    return Y5fuDetector(require(model_dir, DETECTOR_MODELS[name]), size, threads)


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
    names = required_models(vision.detector, vision.reader, *extra_readers)
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

    def detect(self, image: Image) -> list[PlateDetection]:
        """The strongest ``max_plates`` detections scoring at least ``min_score``, best first."""
        return select(self.detector.detect(image), self.min_score, self.max_plates)

    def crop(self, image: Image, detection: PlateDetection) -> Image:
        return crop_plate(image, detection, out_h=self.crop_height, pad=self.crop_pad)

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
    return PlatePipeline(
        detector=build_detector(vision.detector, model_dir, vision.onnx_threads),
        reader=build_reader(vision.reader, model_dir, vision.onnx_threads),
        min_score=vision.min_detection_score,
        max_plates=vision.max_plates_per_frame,
        lane_readers=extras,
    )
