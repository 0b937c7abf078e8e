"""Detector + aligner + quality gate + embedder behind one small facade.

The stages stay separately callable (``detect``, ``align``, ``assess``, ``embed``) so tools can time
them; ``analyse`` chains them for the service. Only faces that pass the quality gate are embedded
(the embedding is most of the cost), unless the caller asks for poor faces too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lanescreen.config import FaceConfig, VisionConfig

from ..image import to_bgr
from ..types import Image
from ..weights import fetch, require
from .detector import YuNetDetector
from .dlib_models import RESNET, SHAPE_PREDICTOR_5, DlibAligner, dlib_model_path
from .dlib_onnx import OnnxResNetEmbedder
from .quality import assess
from .types import (
    CAMERA_COLOUR,
    CAMERA_GREY,
    Embedding,
    FaceAligner,
    FaceDetection,
    FaceDetector,
    FaceEmbedder,
    FaceObservation,
    FaceQuality,
    QualityLimits,
)

DETECTOR_MODEL = "yunet"
STAGES = ("detect", "align", "embed")

GREY_SPREAD = 4
"""A frame is grey when 99% of its pixels have channels within this many levels of each other
(1-channel frames always are); measured colour photos sit far above it, re-encoded grey at 0."""


def camera_type(image: Image) -> str:
    """``grey`` for 1-channel frames or frames whose channels are (nearly) all equal, else colour."""
    if image.ndim == 2 or image.shape[2] == 1:
        return CAMERA_GREY
    sample = image[::4, ::4, :3].astype(np.int16)
    spread = sample.max(axis=2) - sample.min(axis=2)
    return CAMERA_GREY if float(np.percentile(spread, 99)) <= GREY_SPREAD else CAMERA_COLOUR


def quality_limits(faces: FaceConfig) -> QualityLimits:
    return QualityLimits(faces.face_min_size_px, faces.face_min_sharpness, faces.face_max_yaw_deg)


@dataclass
class FacePipeline:
    """Finds, aligns, checks and embeds the faces in one frame."""

    detector: FaceDetector
    aligner: FaceAligner
    embedder: FaceEmbedder
    limits: QualityLimits

    def detect(self, image: Image) -> list[FaceDetection]:
        return self.detector.detect(image)

    def align(self, image: Image, detections: Sequence[FaceDetection]) -> list[Image]:
        return self.aligner.align(image, detections)

    def assess(self, detection: FaceDetection, chip: Image) -> FaceQuality:
        return assess(detection, chip, self.limits)

    def embed(self, chips: Sequence[Image]) -> Embedding:
        return self.embedder.embed(chips) if chips else np.zeros((0, self.embedder.dim), np.float32)

    def analyse_timed(
        self, image: Image, *, max_faces: int = 4, embed_poor: bool = False
    ) -> tuple[list[FaceObservation], dict[str, float]]:
        """:meth:`analyse`, plus the milliseconds each stage took."""
        kind = camera_type(image)
        bgr = to_bgr(image)
        timings: dict[str, float] = {}
        start = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal start
            now = time.perf_counter()
            timings[stage] = (now - start) * 1000
            start = now

        detections = self.detect(bgr)[: max(0, max_faces)]
        lap("detect")
        chips = self.align(bgr, detections)
        qualities = [self.assess(d, c) for d, c in zip(detections, chips, strict=True)]
        lap("align")
        wanted = [i for i, q in enumerate(qualities) if q.ok or embed_poor]
        vectors = self.embed([chips[i] for i in wanted])
        lap("embed")
        embeddings: list[Embedding | None] = [None] * len(detections)
        for row, index in enumerate(wanted):
            embeddings[index] = vectors[row]
        observations = [
            FaceObservation(d, q, e, c, kind)
            for d, q, e, c in zip(detections, qualities, embeddings, chips, strict=True)
        ]
        return observations, timings

    def analyse(
        self, image: Image, *, max_faces: int = 4, embed_poor: bool = False
    ) -> list[FaceObservation]:
        """The ``max_faces`` largest faces, largest first; poor faces carry no embedding unless
        ``embed_poor``."""
        return self.analyse_timed(image, max_faces=max_faces, embed_poor=embed_poor)[0]

    def warm_up(self) -> None:
        """Run every stage once, so the first real frame does not pay for lazy initialisation."""
        blank = np.full((480, 640, 3), 128, np.uint8)
        self.detect(blank)
        size = self.aligner.size
        self.embed([np.full((size, size, 3), 128, np.uint8)])


def _dlib_resnet(model_dir: Path) -> tuple[FaceAligner, FaceEmbedder]:
    aligner = DlibAligner(dlib_model_path(model_dir, SHAPE_PREDICTOR_5))
    # dlib's network on onnxruntime: dlib's own descriptors, 13x faster (dlib_onnx.py)
    return aligner, OnnxResNetEmbedder(dlib_model_path(model_dir, RESNET))


EMBEDDERS: dict[str, Callable[[Path], tuple[FaceAligner, FaceEmbedder]]] = {
    "dlib_resnet": _dlib_resnet,
}
"""Embedder name (``faces.face_embedder``) -> its aligner and embedder, loaded from a model dir.
A stronger embedder (SFace, ArcFace ONNX) is one more entry with its own aligner."""

EMBEDDER_FILES = {"dlib_resnet": (SHAPE_PREDICTOR_5, RESNET)}


def ensure_face_models(
    faces: FaceConfig, vision: VisionConfig, model_dir: Path, *, progress: bool = False
) -> list[Path]:
    """Make the face models usable: YuNet fetched per ``vision`` (mirror first) when missing,
    the embedder's files found and verified; a problem raises ModelError saying what to do."""
    if faces.face_embedder not in EMBEDDERS:
        known = ", ".join(EMBEDDERS)
        raise ValueError(f"unknown face embedder {faces.face_embedder!r} (known: {known})")
    if vision.auto_fetch:
        paths = fetch([DETECTOR_MODEL], model_dir, mirror=vision.model_mirror, progress=progress)
    else:
        paths = [require(model_dir, DETECTOR_MODEL)]
    files = EMBEDDER_FILES.get(faces.face_embedder, ())
    return paths + [dlib_model_path(model_dir, name) for name in files]


def build_face_pipeline(faces: FaceConfig, model_dir: Path) -> FacePipeline:
    """The configured face pipeline, from models already in place (see :func:`ensure_face_models`)."""
    if faces.face_embedder not in EMBEDDERS:
        known = ", ".join(EMBEDDERS)
        raise ValueError(f"unknown face embedder {faces.face_embedder!r} (known: {known})")
    detector = YuNetDetector(
        require(model_dir, DETECTOR_MODEL),
        max_side=faces.face_detect_max_side,
        min_score=faces.face_min_detection_score,
    )
    aligner, embedder = EMBEDDERS[faces.face_embedder](model_dir)
    return FacePipeline(detector, aligner, embedder, quality_limits(faces))
