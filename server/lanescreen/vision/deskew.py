"""Levelling a plate crop whose characters run at a slant.

A crop cut from a detection's corners is already upright, but one cut from the box alone (a
detector with no usable corners, or a labelled box) keeps the plate's tilt, and a recogniser
trained mostly on level plates misreads tilted characters. A plate is a strip of strong horizontal
edges (its borders, the tops and bottoms of its characters): rotated level, those edges fall
into few rows, so the row profile of vertical gradients is at its peakiest. The angle is searched
on a small grey copy; the crop is then rotated about its centre at its own size.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from .image import to_bgr
from .types import Image

MAX_ANGLE = 12.0
"""Steepest slant searched, in degrees either way: beyond it a detector's crop is rarely cut."""
STEP = 2.0
"""Angle step of the search, in degrees: at 32 px high, a finer step changes no row."""
SEARCH_HEIGHT = 32
"""The grey copy the angle is searched on is this many pixels high."""

_Grey = npt.NDArray[np.float32]


def _rotated(image: npt.NDArray[Any], degrees: float) -> npt.NDArray[Any]:
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    rotated = cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(rotated)


def _peakiness(grey: _Grey) -> float:
    rows = np.abs(cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)).sum(axis=1)
    mean = float(rows.mean())
    return float(rows.var()) / (mean * mean) if mean > 0 else 0.0


def skew_angle(crop: Image) -> float:
    """The rotation (degrees, counter-clockwise, as ``cv2.getRotationMatrix2D`` takes it) that
    levels the crop's characters; 0.0 when level, blank or too small to tell."""
    grey = cv2.cvtColor(to_bgr(crop), cv2.COLOR_BGR2GRAY).astype(np.float32)
    height, width = grey.shape[:2]
    if height < 8 or width < 8:
        return 0.0
    if height > SEARCH_HEIGHT:
        size = (max(8, round(width * SEARCH_HEIGHT / height)), SEARCH_HEIGHT)
        grey = np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), np.float32)
    best_score, best_angle = _peakiness(grey), 0.0
    for degrees in np.arange(-MAX_ANGLE, MAX_ANGLE + STEP / 2, STEP):
        if degrees == 0:
            continue
        score = _peakiness(np.asarray(_rotated(grey, float(degrees)), np.float32))
        if score > best_score:
            best_score, best_angle = score, float(degrees)
    return best_angle


def level(crop: Image, degrees: float) -> Image:
    """``crop`` rotated by ``degrees`` about its centre, at its own size, edges extended."""
    return np.ascontiguousarray(_rotated(crop, degrees), dtype=np.uint8)
