"""Face detection with YuNet (OpenCV Zoo, ``cv2.FaceDetectorYN``): boxes plus five landmarks.

YuNet runs on a copy scaled so its longest side is at most ``max_side`` pixels (it misses faces
that fill a large frame, and the cost grows with the pixel count); boxes and landmarks are mapped
back to full-frame pixels, so alignment later cuts the chip from the full-resolution frame.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np

from ..image import to_bgr
from ..types import Box, Image
from ..weights import ModelError
from .types import FaceDetection, Landmarks

DEFAULT_MIN_SCORE = 0.9
"""YuNet's confidence floor; see docs/faces.md for what it finds and misses at this level."""


class YuNetDetector:
    """YuNet face detector: largest faces first, landmarks in YuNet's order."""

    name = "yunet"

    def __init__(
        self,
        model_path: Path,
        *,
        max_side: int = 640,
        min_score: float = DEFAULT_MIN_SCORE,
        nms_iou: float = 0.3,
        top_k: int = 5000,
    ) -> None:
        if max_side < 32:
            raise ValueError(f"face detection max side must be at least 32 px, got {max_side}")
        self.max_side = max_side
        self.min_score = min_score
        try:
            self._net: Any = cv2.FaceDetectorYN.create(
                str(model_path), "", (320, 320), min_score, nms_iou, top_k
            )
        except cv2.error as exc:
            raise ModelError(f"{model_path} could not be loaded as a YuNet model: {exc}") from exc
        self._lock = threading.Lock()  # setInputSize mutates the detector

    def detect(self, image: Image) -> list[FaceDetection]:
        bgr = to_bgr(image)
        height, width = bgr.shape[:2]
        scale = min(1.0, self.max_side / max(height, width))
        small = bgr
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = cast(Image, cv2.resize(bgr, size, interpolation=cv2.INTER_AREA))
            scale_x, scale_y = size[0] / width, size[1] / height
        else:
            scale_x = scale_y = 1.0
        with self._lock:
            self._net.setInputSize((small.shape[1], small.shape[0]))
            _, raw = self._net.detect(small)
        if raw is None:
            return []
        faces = []
        for row in np.asarray(raw, dtype=np.float64):
            x, y, w, h = row[0] / scale_x, row[1] / scale_y, row[2] / scale_x, row[3] / scale_y
            left, top = max(0.0, x), max(0.0, y)
            right, bottom = min(float(width), x + w), min(float(height), y + h)
            if right <= left or bottom <= top:
                continue
            pts = [
                (float(px), float(py)) for px, py in row[4:14].reshape(5, 2) / (scale_x, scale_y)
            ]
            landmarks: Landmarks = (pts[0], pts[1], pts[2], pts[3], pts[4])
            faces.append(
                FaceDetection(Box(left, top, right - left, bottom - top), float(row[14]), landmarks)
            )
        faces.sort(key=lambda f: f.box.width * f.box.height, reverse=True)
        return faces
