"""Plate detection with HyperLPR3's y5fu networks (YOLOv5-face style: box, 4 corners, row class).

Pre- and post-processing follow HyperLPR3 (``hyperlpr3/inference/multitask_detect.py``): letterbox
onto a black square, RGB, scaled to 0-1, NCHW; the network's rows are already decoded to pixels
of that square as ``cx, cy, w, h, objectness, 4 corner points (TL, TR, BR, BL), 2 class scores``
(single-row, double-row); the score is objectness times the best class score, then NMS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from .image import to_bgr
from .onnx_session import load_session
from .types import Box, Image, PlateDetection, Point
from .weights import ModelError

FloatArray = npt.NDArray[np.float32]

INPUT_SIZES = (320, 640)


def order_corners(points: FloatArray) -> tuple[Point, Point, Point, Point]:
    """Order 4 points top-left, top-right, bottom-right, bottom-left, whatever order they came in.

    Points are sorted clockwise around their centre, then the cycle starts at the edge that runs
    most to the right (the top edge of a plate, which is wider than tall), so tilted plates keep
    their corners' meaning where a plain sort by y would swap them.
    """
    pts: npt.NDArray[np.float64] = np.asarray(points, dtype=np.float64).reshape(4, 2)
    centre = pts.mean(axis=0)
    pts = pts[np.argsort(np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0]))]
    start = int(np.argmax(np.roll(pts[:, 0], -1) - pts[:, 0]))
    pts = np.roll(pts, -start, axis=0)
    tl, tr, br, bl = ((float(x), float(y)) for x, y in pts)
    return tl, tr, br, bl


class Y5fuDetector:
    """HyperLPR3's y5fu plate detector at 320 (fast) or 640 (better recall on small plates)."""

    def __init__(
        self,
        model_path: Path,
        input_size: int = 640,
        threads: int = 1,
        *,
        score_floor: float = 0.25,
        nms_iou: float = 0.5,
    ) -> None:
        if input_size not in INPUT_SIZES:
            raise ValueError(f"y5fu input size must be 320 or 640, got {input_size}")
        self.name = f"y5fu_{input_size}"
        self.input_size = input_size
        self.score_floor = score_floor
        self.nms_iou = nms_iou
        self._session: Any = load_session(model_path, threads)
        meta = self._session.get_inputs()[0]
        if list(meta.shape)[2:] != [input_size, input_size]:
            raise ModelError(
                f"{model_path} takes {meta.shape} input, not {input_size}x{input_size}: "
                "is it the right y5fu model?"
            )
        self._input_name: str = meta.name

    def _letterbox(self, image: Image) -> tuple[FloatArray, float, int, int]:
        size = self.input_size
        height, width = image.shape[:2]
        scale = min(size / height, size / width)
        new_w, new_h = max(1, int(width * scale)), max(1, int(height * scale))
        top, left = (size - new_h) // 2, (size - new_w) // 2
        canvas = np.zeros((size, size, 3), np.uint8)
        canvas[top : top + new_h, left : left + new_w] = cv2.resize(image, (new_w, new_h))
        rgb = canvas[:, :, ::-1].transpose(2, 0, 1)
        tensor = (rgb.astype(np.float32) / 255.0)[None]
        return np.ascontiguousarray(tensor), scale, left, top

    def detect(self, image: Image) -> list[PlateDetection]:
        """Plates in ``image`` (BGR or grey uint8), best first, in the image's pixel coordinates."""
        bgr = to_bgr(image)
        height, width = bgr.shape[:2]
        tensor, scale, left, top = self._letterbox(bgr)
        rows: FloatArray = self._session.run(None, {self._input_name: tensor})[0][0]
        rows = rows[rows[:, 4] > self.score_floor]
        if rows.size == 0:
            return []
        class_scores = rows[:, 13:15] * rows[:, 4:5]
        scores = class_scores.max(axis=1)
        classes = class_scores.argmax(axis=1)
        xywh = rows[:, :4].copy()
        xywh[:, 0] -= xywh[:, 2] / 2
        xywh[:, 1] -= xywh[:, 3] / 2
        keep = cv2.dnn.NMSBoxes(xywh.tolist(), scores.tolist(), self.score_floor, self.nms_iou)
        detections = []
        for index in np.asarray(keep, dtype=np.int64).reshape(-1):
            x, y, w, h = xywh[index]
            x0 = float(np.clip((x - left) / scale, 0, width))
            y0 = float(np.clip((y - top) / scale, 0, height))
            x1 = float(np.clip((x + w - left) / scale, 0, width))
            y1 = float(np.clip((y + h - top) / scale, 0, height))
            if x1 - x0 < 1 or y1 - y0 < 1:
                continue
            corners = rows[index, 5:13].reshape(4, 2).astype(np.float64)
            corners[:, 0] = np.clip((corners[:, 0] - left) / scale, 0, width)
            corners[:, 1] = np.clip((corners[:, 1] - top) / scale, 0, height)
            detections.append(
                PlateDetection(
                    box=Box(x0, y0, x1 - x0, y1 - y0),
                    score=float(scores[index]),
                    corners=order_corners(corners.astype(np.float32)),
                    rows=2 if int(classes[index]) == 1 else 1,
                )
            )
        detections.sort(key=lambda d: d.score, reverse=True)
        return detections
