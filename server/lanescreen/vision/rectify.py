"""Cutting a plate out of a frame as an upright, front-on crop for the readers.

With the detector's four corners the plate is warped straight (one interpolation, directly to the
reader's scale) with a little margin around it, because readers lose edge characters when the
crop is tight. Without usable corners the padded box is cropped instead. Two-row plates stay one
crop: the readers take them whole.
"""

from __future__ import annotations

import cv2
import numpy as np

from .image import to_bgr
from .types import Image, PlateDetection

MAX_ASPECT = 8.0
"""Widest crop produced (width / height); wider quads are treated as a bad detection."""


def _quad_is_usable(detection: PlateDetection) -> bool:
    if detection.corners is None:
        return False
    quad = np.asarray(detection.corners, dtype=np.float32)
    if not np.isfinite(quad).all() or not cv2.isContourConvex(quad.reshape(-1, 1, 2)):
        return False
    area = float(cv2.contourArea(quad))
    box_area = detection.box.width * detection.box.height
    return area >= 4.0 and area >= 0.25 * box_area


def _output_size(height: float, width: float, out_h: int) -> tuple[int, int]:
    aspect = min(max(width / max(height, 1e-6), 1.0), MAX_ASPECT)
    return out_h, max(out_h, round(out_h * aspect))


def _warp(image: Image, detection: PlateDetection, out_h: int, pad: float) -> Image:
    assert detection.corners is not None
    quad = np.asarray(detection.corners, dtype=np.float32)
    tl, tr, br, bl = quad
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    # The padded output is out_h tall; the plate itself fills the middle 1 / (1 + 2 pad) of it.
    inner_h = out_h / (1 + 2 * pad)
    _, inner_w_int = _output_size(float(height), float(width), round(inner_h))
    inner_w = float(inner_w_int)
    pad_x, pad_y = pad * inner_h, pad * inner_h
    target = np.array(
        [
            [pad_x, pad_y],
            [pad_x + inner_w, pad_y],
            [pad_x + inner_w, pad_y + inner_h],
            [pad_x, pad_y + inner_h],
        ],
        dtype=np.float32,
    )
    size = (round(inner_w + 2 * pad_x), out_h)
    matrix = cv2.getPerspectiveTransform(quad, target)
    warped = cv2.warpPerspective(
        image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.ascontiguousarray(warped, dtype=np.uint8)


def _box_crop(image: Image, detection: PlateDetection, out_h: int, pad: float) -> Image:
    box = detection.box
    frame_h, frame_w = image.shape[:2]
    margin = pad * box.height
    x0 = int(np.clip(np.floor(box.x - margin), 0, frame_w - 1))
    y0 = int(np.clip(np.floor(box.y - margin), 0, frame_h - 1))
    x1 = int(np.clip(np.ceil(box.x + box.width + margin), x0 + 1, frame_w))
    y1 = int(np.clip(np.ceil(box.y + box.height + margin), y0 + 1, frame_h))
    crop = image[y0:y1, x0:x1]
    out_h, out_w = _output_size(y1 - y0, x1 - x0, out_h)
    resized = cv2.resize(crop, (out_w, out_h), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(resized, dtype=np.uint8)


def crop_plate(
    image: Image, detection: PlateDetection, *, out_h: int = 64, pad: float = 0.2
) -> Image:
    """An upright BGR crop of the plate, ``out_h`` pixels tall, with ``pad`` x height of margin."""
    if out_h < 8:
        raise ValueError(f"out_h must be at least 8 pixels, got {out_h}")
    if not 0.0 <= pad <= 1.0:
        raise ValueError(f"pad must be between 0 and 1, got {pad}")
    bgr = to_bgr(image)
    box = detection.box
    if box.width <= 0 or box.height <= 0:
        raise ValueError(f"detection box has no area: {box}")
    if _quad_is_usable(detection):
        return _warp(bgr, detection, out_h, pad)
    return _box_crop(bgr, detection, out_h, pad)
