"""dlib's 5-point aligner and 128-d ResNet face embedder.

The weights ship in the ``face-recognition-models`` package; a copy in the model directory is
preferred (air-gapped sites, pinned upgrades). Either way each file must match its pinned sha256.
That package's ``__init__`` imports ``pkg_resources``, which modern environments lack, so it is
located with ``importlib`` and never imported.

Measured traps (docs/faces.md): dlib must be fed a C-contiguous RGB array made by ``cv2.cvtColor``
(a ``[:, :, ::-1]`` view gives wrong results, BGR silently costs accuracy), and a descriptor holds
the GIL for about 90 ms per face on one core. The service embeds with the same network on
onnxruntime instead (:mod:`.dlib_onnx`, 6-7 ms a face); :class:`DlibResNetEmbedder` stays as the
reference it is checked and benchmarked against.
The shape predictor and the chip cut are colour-order agnostic (dlib reads intensity as the mean
of the three channels), so only the 150x150 chip is converted.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np

from ..types import Image
from ..weights import ModelError, file_digest
from .types import Embedding, FaceDetection

SHAPE_PREDICTOR_5 = "shape_predictor_5_face_landmarks.dat"
RESNET = "dlib_face_recognition_resnet_model_v1.dat"
PINNED_SHA256 = {
    SHAPE_PREDICTOR_5: "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    RESNET: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
}
"""The files as ``face-recognition-models`` 0.3.0 ships them (dlib.net's releases, unpacked)."""

CHIP_SIZE = 150
CHIP_PADDING = 0.25
"""dlib's ResNet was trained on ``get_face_chip(size=150, padding=0.25)`` chips."""


def _package_models() -> Path | None:
    found = importlib.util.find_spec("face_recognition_models")
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations))) / "models"


def dlib_model_path(model_dir: Path | None, filename: str) -> Path:
    """The verified path of a dlib weights file: the model directory's copy, else the package's."""
    if filename not in PINNED_SHA256:
        raise ModelError(
            f"unknown dlib model file {filename!r} (known: {', '.join(PINNED_SHA256)})"
        )
    packaged = _package_models()
    candidates = [p for p in (model_dir, packaged) if p is not None]
    for folder in candidates:
        path = Path(folder) / filename
        if not path.is_file():
            continue
        actual = file_digest(path)
        if actual != PINNED_SHA256[filename]:
            raise ModelError(
                f"{path} fails its sha256 check (expected {PINNED_SHA256[filename]}, got "
                f"{actual}): delete it, or reinstall face-recognition-models"
            )
        return path
    where = " or ".join(str(p) for p in candidates) or "nowhere"
    raise ModelError(
        f"dlib model {filename} not found in {where}: install the face-recognition-models "
        "package (pip install face-recognition-models) or put the file in the model directory"
    )


def _dlib() -> Any:
    import dlib  # imported only where faces run (it is large)

    return dlib


def _contiguous(image: Image) -> Image:
    return np.ascontiguousarray(image, dtype=np.uint8)


class DlibAligner:
    """dlib's 5-point shape predictor inside each detected box, then ``get_face_chip``."""

    name = "dlib_5point"

    def __init__(self, model_path: Path, size: int = CHIP_SIZE, padding: float = CHIP_PADDING):
        dlib = _dlib()
        self.size = size
        self.padding = padding
        self._predictor: Any = dlib.shape_predictor(str(model_path))
        self._rectangle: Any = dlib.rectangle
        self._detections: Any = dlib.full_object_detections
        self._get_face_chips: Any = dlib.get_face_chips

    def align(self, image: Image, detections: Sequence[FaceDetection]) -> list[Image]:
        if not detections:
            return []
        frame = _contiguous(image)
        shapes = self._detections()
        for detection in detections:
            box = detection.box
            rect = self._rectangle(
                round(box.x), round(box.y), round(box.x + box.width), round(box.y + box.height)
            )
            shapes.append(self._predictor(frame, rect))
        chips = self._get_face_chips(frame, shapes, size=self.size, padding=self.padding)
        return [_contiguous(chip) for chip in chips]


class DlibResNetEmbedder:
    """dlib's ResNet in dlib's own runtime: the reference for :class:`.OnnxResNetEmbedder`."""

    name = "dlib_resnet"
    dim = 128

    def __init__(self, model_path: Path) -> None:
        self._model: Any = _dlib().face_recognition_model_v1(str(model_path))
        self._lock = threading.Lock()  # one network, used by one thread at a time

    def raw(self, chips: Sequence[Image]) -> Embedding:
        """dlib's own descriptors, not normalised (for comparing dlib's Euclidean metric)."""
        if not chips:
            return np.zeros((0, self.dim), np.float32)
        check_chips(chips)
        rgb = [cast(Image, cv2.cvtColor(chip, cv2.COLOR_BGR2RGB)) for chip in chips]
        with self._lock:
            vectors = self._model.compute_face_descriptor(rgb)
        return np.asarray([np.asarray(v) for v in vectors], dtype=np.float32).reshape(-1, self.dim)

    def embed(self, chips: Sequence[Image]) -> Embedding:
        return unit_rows(self.raw(chips))


def check_chips(chips: Sequence[Image]) -> None:
    """Refuse what dlib's ResNet was not trained on, naming it."""
    for chip in chips:
        if chip.shape != (CHIP_SIZE, CHIP_SIZE, 3) or chip.dtype != np.uint8:
            raise ValueError(
                f"dlib_resnet needs 150x150 BGR uint8 chips, got {chip.shape} {chip.dtype}"
            )


def unit_rows(vectors: Embedding) -> Embedding:
    """Descriptors as templates: each row L2-normalised, for cosine search."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: Embedding = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return out
