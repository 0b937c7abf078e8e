"""Glyph masks: rasterised once per font and character at high resolution, resized per sample.

Rasterising with FreeType costs far more than resizing a small mask, and a few hundred thousand
samples reuse the same few thousand (font, character) pairs, so both the high-resolution masks
and the resized ones are cached. Caches change speed only, never pixels, and are dropped when the
object is pickled (FreeType handles cannot travel to worker processes).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from .fonts import FontFace

Mask = npt.NDArray[np.uint8]

EM = 112
"""Pixel size glyphs are rasterised at; larger than any sample needs, so masks only shrink."""
WEIGHTS = (-1, 0, 1, 2)
"""Stroke weight steps: thinner, as drawn, bolder, boldest (morphology on the raster)."""
LINE_EM = 32
"""Pixel size decoration text is rasterised at: small print never needs more."""
_SAMPLE_CHARS = "0123456789ABCDEFGHKLMNPRSTUVXYZ"
_MAX_CACHED = 60_000
DRAWN_CHARS = "1IMW"
"""Characters drawn from strokes in the shapes of US plate typefaces (California's Penitentiary
Gothic and its kin: I and 1 with serifs, M and W whose middle vertex stops halfway), which no
free font has: readers trained on the fonts' plain I read the serifed one as T, and the short-vertex
M as H."""
_VERTEX = 0.6
"""Depth of the drawn M's middle vertex (W's, upside down), as a share of the height."""


@dataclass(frozen=True)
class Glyph:
    """A character's ink, where it sits relative to the pen, and how far the pen then moves."""

    mask: Mask
    left: int
    top: int
    """Offset of the ink's top edge below the font's ascender line."""
    advance: float


@functools.lru_cache(maxsize=256)
def _pil_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


def _rasterise(face: FontFace, char: str, size: int = EM) -> Glyph:
    font = _pil_font(str(face.path), face.index, size)
    advance = float(font.getlength(char))
    left, top, right, bottom = (int(v) for v in font.getbbox(char))
    if right <= left or bottom <= top:
        return Glyph(np.zeros((0, 0), np.uint8), 0, 0, advance)
    image = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(image).text((-left, -top), char, font=font, fill=255)
    mask = np.asarray(image, dtype=np.uint8)
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return Glyph(np.zeros((0, 0), np.uint8), 0, 0, advance)
    y0, y1, x0, x1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    ink = np.ascontiguousarray(mask[y0:y1, x0:x1])
    return Glyph(ink, left + int(x0), top + int(y0), advance)


def _drawn(char: str, stem: int, size: int = EM) -> Glyph:
    """``char`` drawn from strokes ``stem`` pixels wide, ``size`` pixels tall (see DRAWN_CHARS)."""
    if char not in DRAWN_CHARS:
        raise ValueError(f"no drawn shape for {char!r} (only {DRAWN_CHARS})")
    h, s = size, max(3, stem)
    bar = max(2, round(0.8 * s))
    canvas: Mask
    if char in "I1":
        w = max(round(0.36 * h), 3 * s)
        canvas = np.zeros((h, w), np.uint8)
        x0 = (w - s) // 2 if char == "I" else w - s - max(1, w // 6)
        canvas[:, x0 : x0 + s] = 255
        canvas[h - bar :, :] = 255
        if char == "I":
            canvas[:bar, :] = 255
        else:
            flag = np.array([[x0, 0], [x0 + s, 0], [0, round(0.3 * h)], [0, round(0.3 * h) - s]])
            cv2.fillPoly(canvas, [flag.astype(np.int32)], 255, cv2.LINE_AA)
    else:
        w = max(round(0.6 * h), 4 * s)
        canvas = np.zeros((h, w), np.uint8)
        canvas[:, :s] = 255
        canvas[:, w - s :] = 255
        mid, depth = w / 2, _VERTEX * h
        for edge in (0, w):
            arm = np.array([[edge, 0], [mid, depth], [mid, depth - 1.4 * s], [edge, -1.4 * s]])
            arm[:, 0] = np.clip(arm[:, 0], 0, w - 1)
            cv2.fillPoly(canvas, [np.round(arm).astype(np.int32)], 255, cv2.LINE_AA)
        if char == "W":
            canvas = np.ascontiguousarray(canvas[::-1])
    return Glyph(canvas, 0, 0, float(w))


def _stem(face: FontFace) -> int:
    """The face's stroke width in a glyph ``EM`` tall: its I's width over height (a plain bar in
    sans faces) times ``EM``."""
    ink = _rasterise(face, "I").mask
    return round(EM * ink.shape[1] / ink.shape[0]) if ink.size else EM // 8


def _reweight(mask: Mask, weight: int) -> Mask:
    if weight == 0 or mask.size == 0:
        return mask
    size = 3 if abs(weight) == 1 else 5
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    pad = cv2.copyMakeBorder(mask, 3, 3, 3, 3, cv2.BORDER_CONSTANT, value=0)
    out = cv2.dilate(pad, kernel) if weight > 0 else cv2.erode(pad, kernel)
    rows, cols = np.nonzero(out)
    if rows.size == 0:
        return mask
    return np.ascontiguousarray(out[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1])


class GlyphCache:
    """High-resolution glyph masks and their resized copies, per font face."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._glyphs: dict[tuple[str, str, int, bool], Glyph] = {}
        self._small: dict[tuple[str, str], Glyph] = {}
        self._levels: dict[tuple[str, str, int, bool], list[Mask]] = {}
        self._fitted: dict[tuple[str, str, int, int, int, bool], Mask] = {}
        self._lines: dict[tuple[str, str], Mask] = {}
        self._aspects: dict[str, float] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._reset()

    def glyph(self, face: FontFace, char: str, weight: int = 0, drawn: bool = False) -> Glyph:
        """The character at ``EM``; ``drawn``: in its plate-typeface shape (``DRAWN_CHARS``)."""
        key = (face.name, char, weight, drawn)
        found = self._glyphs.get(key)
        if found is None:
            plain = _drawn(char, _stem(face)) if drawn else _rasterise(face, char)
            found = Glyph(_reweight(plain.mask, weight), plain.left, plain.top, plain.advance)
            self._glyphs[key] = found
        return found

    def fitted(
        self, face: FontFace, char: str, weight: int, width: int, height: int, drawn: bool = False
    ) -> Mask:
        """The character's ink stretched to exactly ``width`` x ``height`` pixels."""
        key = (face.name, char, weight, width, height, drawn)
        found = self._fitted.get(key)
        if found is None:
            ink = self._source(face, char, weight, width, height, drawn)
            if ink.size == 0:
                found = np.zeros((height, width), np.uint8)
            else:
                shrink = width <= ink.shape[1] and height <= ink.shape[0]
                interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
                found = np.asarray(cv2.resize(ink, (width, height), interpolation=interp))
            if len(self._fitted) >= _MAX_CACHED:
                self._fitted.clear()
            self._fitted[key] = found
        return found

    def _source(
        self, face: FontFace, char: str, weight: int, width: int, height: int, drawn: bool
    ) -> Mask:
        """The smallest of the mask's halvings still twice the target size (resizing is cheaper)."""
        key = (face.name, char, weight, drawn)
        levels = self._levels.get(key)
        if levels is None:
            levels = [self.glyph(face, char, weight, drawn).mask]
            while levels[-1].size and min(levels[-1].shape) >= 16:
                h, w = levels[-1].shape
                size = (max(1, w // 2), max(1, h // 2))
                levels.append(
                    np.asarray(cv2.resize(levels[-1], size, interpolation=cv2.INTER_AREA))
                )
            self._levels[key] = levels
        best = levels[0]
        for level in levels[1:]:
            if level.shape[0] < 2 * height or level.shape[1] < 2 * width:
                break
            best = level
        return best

    def aspect(self, face: FontFace, char: str, weight: int = 0, drawn: bool = False) -> float:
        """Width over height of the character's ink."""
        ink = self.glyph(face, char, weight, drawn).mask
        return ink.shape[1] / ink.shape[0] if ink.size else 0.5

    def median_aspect(self, face: FontFace) -> float:
        """The face's typical letter or digit proportions, to fit its glyphs to a plate's cells."""
        key = face.name
        found = self._aspects.get(key)
        if found is None:
            found = float(np.median([self.aspect(face, ch) for ch in _SAMPLE_CHARS]))
            self._aspects[key] = found
        return found

    def line(self, face: FontFace, text: str) -> Mask:
        """``text`` set in ``face`` on one line, ascender to descender, at ``LINE_EM``."""
        key = (face.name, text)
        found = self._lines.get(key)
        if found is None:
            found = self._compose(face, text)
            if len(self._lines) >= _MAX_CACHED // 10:
                self._lines.clear()
            self._lines[key] = found
        return found

    def _small_glyph(self, face: FontFace, char: str) -> Glyph:
        key = (face.name, char)
        found = self._small.get(key)
        if found is None:
            found = self._small[key] = _rasterise(face, char, LINE_EM)
        return found

    def _compose(self, face: FontFace, text: str) -> Mask:
        ascent, descent = _pil_font(str(face.path), face.index, LINE_EM).getmetrics()
        glyphs = [self._small_glyph(face, ch) for ch in text]
        height = ascent + descent
        pen, right = 0.0, 1
        placed: list[tuple[Glyph, int]] = []
        for glyph in glyphs:
            x = round(pen) + glyph.left
            placed.append((glyph, x))
            right = max(right, x + glyph.mask.shape[1] if glyph.mask.size else round(pen))
            pen += glyph.advance
        left = min([0] + [x for glyph, x in placed if glyph.mask.size])
        canvas = np.zeros((height, max(1, right - left)), np.uint8)
        for glyph, x in placed:
            if glyph.mask.size == 0:
                continue
            gh, gw = glyph.mask.shape
            y0 = min(max(glyph.top, 0), max(0, height - gh))
            region = canvas[y0 : y0 + gh, x - left : x - left + gw]
            np.maximum(region, glyph.mask[: region.shape[0], : region.shape[1]], out=region)
        return canvas
