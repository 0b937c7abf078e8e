"""Values passed between the face detector, aligner, quality gate, embedder and the domain.

Coordinates are pixels in the full frame the pipeline was given (x right, y down). Landmarks keep
YuNet's order: the subject's right eye (on the image's left), left eye, nose tip, right mouth
corner, left mouth corner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ..types import Box, Image, Point

Embedding = npt.NDArray[np.float32]
"""One L2-normalised face template, shape ``(dim,)``; a batch is ``(n, dim)``."""

Landmarks = tuple[Point, Point, Point, Point, Point]

CAMERA_COLOUR = "colour"
CAMERA_GREY = "grey"
CAMERA_TYPES = (CAMERA_COLOUR, CAMERA_GREY)
"""Thresholds are calibrated per camera type: greyscale/IR frames shift embeddings."""


@dataclass(frozen=True)
class FaceDetection:
    """One face found in a frame, with YuNet's five landmarks."""

    box: Box
    score: float
    landmarks: Landmarks

    @property
    def eye_distance(self) -> float:
        """Pixels between the eye centres: the face-size measure the quality gate uses."""
        (rx, ry), (lx, ly) = self.landmarks[0], self.landmarks[1]
        return float(np.hypot(lx - rx, ly - ry))


class QualityProblem(StrEnum):
    """Why the quality gate refused a face; the values are stable, machine-readable reasons."""

    TOO_SMALL = "face_too_small"
    BLURRED = "face_blurred"
    TURNED = "face_turned_away"


@dataclass(frozen=True)
class QualityLimits:
    """The gate's limits (from ``FaceConfig``; chosen by measurement, see docs/faces.md)."""

    min_eye_distance_px: float
    min_sharpness: float
    max_yaw_deg: float


@dataclass(frozen=True)
class FaceQuality:
    """What the quality gate measured on one face, and what (if anything) it refused."""

    eye_distance_px: float
    sharpness: float
    """Variance of the Laplacian of the aligned chip's grey levels."""
    yaw_deg: float
    """Estimated from the landmarks; positive when the face turns toward the image's right."""
    roll_deg: float
    """Tilt of the eye line; alignment removes it, so it is reported, not gated."""
    problems: tuple[QualityProblem, ...] = ()
    limits: QualityLimits | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        """The problems in plain words, each with its measured value and the limit."""
        if self.ok:
            return "face quality ok"
        limits = self.limits
        words = []
        for problem in self.problems:
            if problem is QualityProblem.TOO_SMALL:
                need = f", at least {limits.min_eye_distance_px:.0f} needed" if limits else ""
                words.append(f"face too small: eyes {self.eye_distance_px:.0f} px apart{need}")
            elif problem is QualityProblem.BLURRED:
                need = f", at least {limits.min_sharpness:.0f} needed" if limits else ""
                words.append(f"face blurred: sharpness {self.sharpness:.0f}{need}")
            else:
                need = f", at most {limits.max_yaw_deg:.0f} allowed" if limits else ""
                words.append(f"face turned away: about {abs(self.yaw_deg):.0f} degrees{need}")
        return "; ".join(words)


@dataclass(frozen=True, eq=False)
class FaceObservation:
    """One analysed face: where it is, how good it is, and its template when it passed the gate."""

    detection: FaceDetection
    quality: FaceQuality
    embedding: Embedding | None
    """L2-normalised; ``None`` when the quality gate refused the face (unless asked otherwise)."""
    chip: Image
    """The aligned face, 150x150 BGR uint8 for dlib (the embedder's own size in general)."""
    camera_type: str
    """``colour`` or ``grey`` (a 1-channel frame, or one whose channels are all equal)."""


class FaceDetector(Protocol):
    """Finds faces and their five landmarks in a whole frame."""

    name: str

    def detect(self, image: Image) -> list[FaceDetection]:
        """Faces in ``image`` (BGR or grey uint8, any size), largest first."""
        ...


class FaceAligner(Protocol):
    """Cuts the upright, scaled face chip an embedder was trained on."""

    name: str
    size: int
    """Side of the square chips it cuts (150 for dlib's ResNet)."""

    def align(self, image: Image, detections: Sequence[FaceDetection]) -> list[Image]:
        """One BGR uint8 chip per detection, in order; ``image`` is BGR uint8."""
        ...


class FaceEmbedder(Protocol):
    """Turns aligned face chips into templates; compare templates by cosine similarity."""

    name: str
    dim: int

    def embed(self, chips: Sequence[Image]) -> Embedding:
        """``(len(chips), dim)`` float32 templates, each L2-normalised, from BGR uint8 chips."""
        ...
