"""Values passed between detectors, readers and the screening domain.

Coordinates are pixels in the full frame the detector was given (x right, y down).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
"""An 8-bit BGR (or single-channel) image, as OpenCV holds it."""

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """Axis-aligned rectangle."""

    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    def iou(self, other: Box) -> float:
        """Intersection over union, the measure openalpr's benchmark counts detections with."""
        ix = max(0.0, min(self.x + self.width, other.x + other.width) - max(self.x, other.x))
        iy = max(0.0, min(self.y + self.height, other.y + other.height) - max(self.y, other.y))
        inter = ix * iy
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union > 0 else 0.0

    def overlap(self, other: Box) -> float:
        """Intersection over the smaller box's area: 1 when one box lies inside the other."""
        ix = max(0.0, min(self.x + self.width, other.x + other.width) - max(self.x, other.x))
        iy = max(0.0, min(self.y + self.height, other.y + other.height) - max(self.y, other.y))
        smaller = min(self.width * self.height, other.width * other.height)
        return ix * iy / smaller if smaller > 0 else 0.0


@dataclass(frozen=True)
class PlateDetection:
    """One plate found in a frame."""

    box: Box
    score: float
    corners: tuple[Point, Point, Point, Point] | None = None
    """Top-left, top-right, bottom-right, bottom-left plate corners when the detector gives them."""
    rows: int = 1
    """1 for single-row plates, 2 for two-row plates (when the detector can tell)."""


@dataclass(frozen=True)
class Candidate:
    """An alternative whole-plate reading with its confidence (product of character confidences)."""

    text: str
    confidence: float


def other_readings(text: str, candidates: Iterable[Candidate]) -> tuple[Candidate, ...]:
    """``candidates`` in order, each text once (its first), without ``text`` and empty texts:
    what may stand beside a reading of ``text`` as its candidates."""
    kept: dict[str, Candidate] = {}
    for candidate in candidates:
        if candidate.text and candidate.text != text:
            kept.setdefault(candidate.text, candidate)
    return tuple(kept.values())


@dataclass(frozen=True)
class PlateText:
    """What a reader made of one plate crop, before region normalisation.

    ``char_confidences`` has one entry per character of ``text``; ``candidates`` are the next-best
    whole readings, best first, and never include ``text`` itself.
    """

    text: str
    confidence: float
    char_confidences: tuple[float, ...]
    candidates: tuple[Candidate, ...] = ()


class PlateDetector(Protocol):
    """Finds plates in a whole frame."""

    name: str

    def detect(self, image: Image) -> list[PlateDetection]:
        """Return detections, best first. ``image`` is BGR uint8 of any size."""
        ...


class PlateReader(Protocol):
    """Reads rectified plate crops."""

    name: str

    def read(self, crops: Sequence[Image]) -> list[PlateText]:
        """Read each crop (BGR uint8, any size); one result per crop, in order."""
        ...


TextScorer = Callable[[Sequence[str]], list[float]]
"""A reader's probability of exactly each of these texts for one crop it read (0 for a text it
cannot write), so that a reading another reader proposed can be weighed by it too."""


@dataclass(frozen=True)
class ScoredRead:
    """A reading, and the reader's scorer for any other text of the same crop."""

    read: PlateText
    score: TextScorer


class ScoringReader(PlateReader, Protocol):
    """A reader that can also say how probable any text is for each crop it read."""

    def read_scored(self, crops: Sequence[Image]) -> list[ScoredRead]:
        """:meth:`read`, each reading with its crop's scorer."""
        ...
