"""The band of a plate crop that holds its characters.

A plate crop carries more than its characters: a US plate's state name, slogan and dealer frame
take half its height, so a reader that scales the whole crop to its input height sees characters
half as tall as it could. Characters are dense vertical strokes, so the rows where horizontal
gradients are strongest mark them; the band is those rows around the strongest one, with a margin.
A reader reads the band, and the whole crop as well when the band reads unsurely, keeping the more
confident reading (two-row plates and already tight crops then lose nothing).

Where a state name or a dealer's text sits right against the characters, the two merge into one
band that fills the crop, and there is no band. A higher level often parts them, the characters
being the tallest part (:func:`parted_band`); but stroke energy also dips inside characters, where
their horizontal strokes lie, so a parted band can cut characters in half. It is only a second
opinion, read when the whole crop reads unsurely.
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
PART_LEVELS = (0.6, 0.7, 0.8)
"""Levels tried in turn by :func:`parted_band`; the first at which the rows part gives the band."""


def stroke_profile(crop: Image, window: int = 5) -> npt.NDArray[np.float64]:
    """Mean vertical-stroke energy (horizontal gradient) of each row, smoothed over ``window`` rows."""
    grey = cv2.cvtColor(to_bgr(crop), cv2.COLOR_BGR2GRAY).astype(np.float32)
    strokes = np.abs(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)).mean(axis=1)
    return np.convolve(strokes, np.ones(window) / window, mode="same")


def _runs(profile: npt.NDArray[np.float64], level: float) -> list[tuple[int, int]]:
    """``(first, last)`` row of each run of rows whose profile is at least ``level``."""
    above = np.concatenate(([0], profile >= level, [0])).astype(np.int8)
    edges = np.flatnonzero(np.diff(above))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _with_margin(run: tuple[int, int], height: int) -> tuple[int, int]:
    top, bottom = run
    margin = int(MARGIN * (bottom - top + 1))
    return max(0, top - margin), min(height, bottom + 1 + margin)


def _merged_band(crop: Image) -> tuple[npt.NDArray[np.float64], tuple[int, int]] | None:
    """The crop's stroke profile and the band at ``LEVEL`` around its strongest row, margin
    included, share unchecked; None for a crop too small or with no strokes."""
    if crop.shape[0] < 8:
        return None
    profile = stroke_profile(crop)
    peak = int(np.argmax(profile))
    if profile[peak] <= 0:
        return None
    (run,) = [r for r in _runs(profile, LEVEL * profile[peak]) if r[0] <= peak <= r[1]]
    return profile, _with_margin(run, crop.shape[0])


def _share(band: tuple[int, int], height: int) -> float:
    return (band[1] - band[0]) / height


def text_band(crop: Image) -> tuple[int, int] | None:
    """Rows ``(top, bottom)`` of the character band, or None when the whole crop is the band."""
    merged = _merged_band(crop)
    if merged is None:
        return None
    band = merged[1]
    return band if MIN_SHARE <= _share(band, crop.shape[0]) < MAX_SHARE else None


def parted_band(crop: Image) -> tuple[int, int] | None:
    """Rows of the tallest part of a band that fills the crop, at the first of ``PART_LEVELS``
    that parts it; None where :func:`text_band` finds a band, or no level parts it into a band
    of a usable share."""
    merged = _merged_band(crop)
    height = crop.shape[0]
    if merged is None or _share(merged[1], height) < MAX_SHARE:
        return None
    profile = merged[0]
    for level in PART_LEVELS:
        runs = _runs(profile, level * profile.max())
        if len(runs) < 2:
            continue
        band = _with_margin(max(runs, key=lambda r: r[1] - r[0]), height)
        if MIN_SHARE <= _share(band, height) < MAX_SHARE:
            return band
    return None
