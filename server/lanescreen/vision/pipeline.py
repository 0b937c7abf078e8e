"""Detector + rectifier + reader behind one small facade.

The stages stay separately callable (``detect``, ``crop``, ``read``) because the screening domain
times each one and stops when a lane's budget runs out; ``recognize`` chains them for tools and
tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lanescreen.config import VisionConfig

from .detectors import Y5fuDetector
from .readers import build_reader
from .rectify import crop_plate
from .types import Image, PlateDetection, PlateDetector, PlateReader, PlateText
from .weights import DETECTOR_MODELS, fetch, require, required_models

DETECTOR_NAMES = tuple(DETECTOR_MODELS)

CROP_HEIGHT = 64
"""Crops are cut at the reader's own input height, so the warp is the only resampling."""
CROP_PAD = 0.2
"""Margin around the plate, as a fraction of its height; chosen on openalpr (docs/accuracy.md)."""


def select(
    detections: Sequence[PlateDetection], min_score: float, limit: int
) -> list[PlateDetection]:
    """The strongest ``limit`` detections scoring at least ``min_score``, best first."""
    ranked = sorted(detections, key=lambda d: d.score, reverse=True)
    return [d for d in ranked if d.score >= min_score][:limit]


def build_detector(name: str, model_dir: Path, threads: int = 1) -> PlateDetector:
    """Load the named detector (``y5fu_320`` or ``y5fu_640``) from ``model_dir``."""
    if name not in DETECTOR_MODELS:
        raise ValueError(f"unknown plate detector {name!r} (known: {', '.join(DETECTOR_NAMES)})")
    size = int(name.removeprefix("y5fu_"))
    return Y5fuDetector(require(model_dir, DETECTOR_MODELS[name]), size, threads)


def ensure_models(vision: VisionConfig, model_dir: Path, *, progress: bool = False) -> list[Path]:
    """Make the configured detector's and reader's models usable.

    With ``auto_fetch`` they are fetched (mirror first) when missing or corrupt; without it a
    missing one raises ModelError saying how to fetch it.
    """
    names = required_models(vision.detector, vision.reader)
    if vision.auto_fetch:
        return fetch(names, model_dir, mirror=vision.model_mirror, progress=progress)
    return [require(model_dir, name) for name in names]


@dataclass
class PlatePipeline:
    """Finds, straightens and reads plates in one frame."""

    detector: PlateDetector
    reader: PlateReader
    min_score: float = 0.45
    max_plates: int = 4
    crop_height: int = CROP_HEIGHT
    crop_pad: float = CROP_PAD

    def detect(self, image: Image) -> list[PlateDetection]:
        """The strongest ``max_plates`` detections scoring at least ``min_score``, best first."""
        return select(self.detector.detect(image), self.min_score, self.max_plates)

    def crop(self, image: Image, detection: PlateDetection) -> Image:
        return crop_plate(image, detection, out_h=self.crop_height, pad=self.crop_pad)

    def read(self, crops: Sequence[Image]) -> list[PlateText]:
        return self.reader.read(crops) if crops else []

    def recognize(self, image: Image) -> list[tuple[PlateDetection, PlateText]]:
        """Every plate read in ``image``, strongest detection first."""
        detections = self.detect(image)
        texts = self.read([self.crop(image, d) for d in detections])
        return list(zip(detections, texts, strict=True))


def build_pipeline(vision: VisionConfig, model_dir: Path) -> PlatePipeline:
    """The configured pipeline, from models already in ``model_dir`` (see :func:`ensure_models`)."""
    return PlatePipeline(
        detector=build_detector(vision.detector, model_dir, vision.onnx_threads),
        reader=build_reader(vision.reader, model_dir, vision.onnx_threads),
        min_score=vision.min_detection_score,
        max_plates=vision.max_plates_per_frame,
    )
