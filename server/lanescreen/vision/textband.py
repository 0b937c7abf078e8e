"""The band of a plate crop that holds its characters.

A plate crop carries more than its characters: a US plate's state name, slogan and dealer frame
take half its height, so a reader that scales the whole crop to its input height sees characters
half as tall as it could. Characters are dense vertical strokes, so the rows where horizontal
gradients are strongest mark them; the band is those rows around the strongest one, with a margin.
A reader reads the band, and the whole crop as well when the band reads unsurely, keeping the more
confident reading (two-row plates and already tight crops then lose nothing).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from .image import to_bgr
from .types import Image

LEVEL = 0.5
"""Rows whose stroke energy is at least this share of the strongest row's belong to the band."""
MARGIN = 0.25
"""Kept above and below the band, as a share of its height (ascenders, descenders, a tilt)."""
MIN_SHARE = 0.3
"""A band thinner than this share of the crop is noise (a bolt, a frame edge): no band."""
MAX_SHARE = 0.75
"""A band this tall already fills the crop: the crop is read whole. Tight crops (the CN sets' have
bands of 0.79-0.83 of their height) read better whole: with 0.85 here the first shipped model read 0.820
of lprnet_cn_dev half b, with 0.75 0.832; US and EU crops (bands of 0.42-0.70) read the same."""


def stroke_profile(crop: Image, window: int = 5) -> npt.NDArray[np.float64]:
    """Mean vertical-stroke energy (horizontal gradient) of each row, smoothed over ``window`` rows."""
    grey = cv2.cvtColor(to_bgr(crop), cv2.COLOR_BGR2GRAY).astype(np.float32)
    strokes = np.abs(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)).mean(axis=1)
    return np.convolve(strokes, np.ones(window) / window, mode="same")


def text_band(crop: Image) -> tuple[int, int] | None:
    """Rows ``(top, bottom)`` of the character band, or None when the whole crop is the band."""
    height = crop.shape[0]
    if height < 8:
        return None
    profile = stroke_profile(crop)
    peak = int(np.argmax(profile))
    if profile[peak] <= 0:
        return None
    level = LEVEL * profile[peak]
    top = bottom = peak
    while top > 0 and profile[top - 1] >= level:
        top -= 1
    while bottom < height - 1 and profile[bottom + 1] >= level:
        bottom += 1
    margin = int(MARGIN * (bottom - top + 1))
    top, bottom = max(0, top - margin), min(height, bottom + 1 + margin)
    share = (bottom - top) / height
    if share < MIN_SHARE or share >= MAX_SHARE:
        return None
    return top, bottom
