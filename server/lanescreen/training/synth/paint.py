"""Turning a mounted plate design into pixels, drawn straight into the camera canvas.

The plate is drawn at the resolution the camera sees it, with separate horizontal and vertical
scales (a plate seen at an angle is narrower, and has fewer pixels across, not just a different
shape). Shapes use OpenCV's anti-aliased drawing at 1/16 pixel precision; characters of one
colour are gathered into one mask and blended once, which keeps a plate well under a millisecond.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from .elements import (
    Char,
    Colour,
    Disc,
    Fill,
    Gradient,
    Item,
    Mounted,
    Outline,
    Polygon,
    Rect,
    Stars,
    Text,
)
from .fonts import ROLES, FontFace, FontSet
from .glyphs import DRAWN_CHARS, WEIGHTS, GlyphCache, Mask

Image = npt.NDArray[np.uint8]
_SHIFT = 4
_ONE = 1 << _SHIFT
_WEIGHT_CDF = np.cumsum([0.15, 0.55, 0.22, 0.08])
PLATE_GOTHIC = 0.4
"""Share of plates whose US characters in ``DRAWN_CHARS`` are mostly drawn, not the font's."""


@dataclass(frozen=True)
class Look:
    """How one plate is printed: a face per font role, stroke weight, wear, embossing."""

    faces: Mapping[str, FontFace]
    weight: int
    width_fill: float
    """Share of a cell's width a typical character's ink takes."""
    ink: float
    """Opacity of the characters (below 1 for worn plates)."""
    emboss: float
    """Strength of the shadow under raised characters (0 for flat-printed plates)."""
    drawn: frozenset[str] = frozenset()
    """US characters printed in their drawn plate-typeface shape (``DRAWN_CHARS``), not the font's."""


def choose_look(fonts: FontSet, rng: np.random.Generator) -> Look:
    picks = rng.random(len(ROLES))
    faces = {}
    for role, u in zip(ROLES, picks, strict=True):
        options = fonts.for_role(role)
        faces[role] = options[int(u * len(options))]
    weight = WEIGHTS[int(np.searchsorted(_WEIGHT_CDF, rng.random() * _WEIGHT_CDF[-1]))]
    worn = rng.random() < 0.12
    drawn = frozenset(ch for ch in DRAWN_CHARS if rng.random() < 0.75)
    return Look(
        faces=faces,
        weight=weight,
        width_fill=float(rng.uniform(0.82, 1.0)),
        ink=float(rng.uniform(0.55, 0.9)) if worn else 1.0,
        emboss=float(rng.uniform(0.15, 0.45)) if rng.random() < 0.5 else 0.0,
        drawn=drawn if rng.random() < PLATE_GOTHIC else frozenset(),
    )


def blend(region: Image, mask: Mask, colour: Colour, strength: float) -> None:
    """Paint ``colour`` into ``region`` (in place) with ``mask`` x ``strength`` as its opacity."""
    if region.size == 0:
        return
    h, w = mask.shape
    alpha = mask.astype(np.float32) * np.float32(strength / 255.0)
    if h * w < 1500:  # small: numpy's fill is cheaper than a merge
        solid = np.empty_like(region)
        solid[...] = colour
    else:  # large: filling channel planes and merging them is cheaper
        solid = np.asarray(cv2.merge([np.full((h, w), c, np.uint8) for c in colour]), np.uint8)
    region[:] = cv2.blendLinear(solid, region, alpha, 1.0 - alpha)


@functools.lru_cache(maxsize=4096)
def rounded(rect: Rect, radius: float) -> npt.NDArray[np.float64]:
    """Outline points of a rectangle with rounded corners, in millimetres (do not modify)."""
    r = max(0.0, min(radius, rect.w / 2, rect.h / 2))
    x0, y0, x1, y1 = rect.x, rect.y, rect.x + rect.w, rect.y + rect.h
    if r == 0:
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
    points = []
    for cx, cy, start in (
        (x1 - r, y0 + r, -90.0),
        (x1 - r, y1 - r, 0.0),
        (x0 + r, y1 - r, 90.0),
        (x0 + r, y0 + r, 180.0),
    ):
        for step in range(4):
            angle = math.radians(start + step * 30.0)
            points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return np.array(points, np.float64)


class _Layer:
    """Characters of one colour gathered into one mask, blended in one go."""

    def __init__(self, shape: tuple[int, int], colour: Colour, strength: float) -> None:
        self.mask = np.zeros(shape, np.uint8)
        self.colour = colour
        self.strength = strength
        self.box = [shape[1], shape[0], 0, 0]

    def add(self, glyph: Mask, x: int, y: int) -> None:
        height, width = self.mask.shape
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + glyph.shape[1], width), min(y + glyph.shape[0], height)
        if x1 <= x0 or y1 <= y0:
            return
        region = self.mask[y0:y1, x0:x1]
        np.maximum(region, glyph[y0 - y : y1 - y, x0 - x : x1 - x], out=region)
        box = self.box
        self.box = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]

    def flush(self, image: Image, emboss: float, offset: int) -> None:
        x0, y0, x1, y1 = self.box
        if x1 <= x0:
            return
        if emboss > 0:
            height, width = image.shape[:2]
            sx1, sy1 = min(x1 + offset, width), min(y1 + offset, height)
            shadow = self.mask[y0 : sy1 - offset, x0 : sx1 - offset]
            blend(image[y0 + offset : sy1, x0 + offset : sx1], shadow, (0, 0, 0), emboss)
        blend(image[y0:y1, x0:x1], self.mask[y0:y1, x0:x1], self.colour, self.strength)


class Painter:
    """Draws items given in millimetres into ``image`` at (sx, sy) px/mm from ``origin``."""

    def __init__(
        self,
        image: Image,
        scale: tuple[float, float],
        origin: tuple[float, float],
        look: Look,
        glyphs: GlyphCache,
    ) -> None:
        self.image = image
        self.sx, self.sy = scale
        self.ox, self.oy = origin
        self.look = look
        self.glyphs = glyphs
        self.layer: _Layer | None = None
        self.emboss_offset = max(1, round(0.9 * min(scale)))
        self.emboss = look.emboss if 0.9 * min(scale) >= 0.6 else 0.0

    def px(self, x: float, y: float) -> tuple[float, float]:
        return self.ox + x * self.sx, self.oy + y * self.sy

    def fixed(self, points_mm: npt.NDArray[np.float64]) -> npt.NDArray[np.int32]:
        pts = points_mm * (self.sx, self.sy) + (self.ox, self.oy)
        return np.round(pts * _ONE).astype(np.int32).reshape(-1, 1, 2)

    def draw_all(
        self, items: tuple[Item, ...] | list[Item], dx: float = 0.0, dy: float = 0.0
    ) -> None:
        ox, oy = self.ox, self.oy
        self.ox, self.oy = ox + dx * self.sx, oy + dy * self.sy
        for item in items:
            self.draw(item)
        self.finish()
        self.ox, self.oy = ox, oy

    def finish(self) -> None:
        if self.layer is not None:
            layer, self.layer = self.layer, None
            layer.flush(
                self.image,
                self.emboss if layer.strength == self.look.ink else 0.0,
                self.emboss_offset,
            )

    def _layer(self, colour: Colour, strength: float) -> _Layer:
        layer = self.layer
        if layer is None or layer.colour != colour or layer.strength != strength:
            self.finish()
            height, width = self.image.shape[:2]
            layer = self.layer = _Layer((height, width), colour, strength)
        return layer

    def draw(self, item: Item) -> None:
        if isinstance(item, Char):
            self.char(item)
            return
        if isinstance(item, Text):
            self.text(item)
            return
        self.finish()
        match item:
            case Fill():
                poly = self.fixed(rounded(item.rect, item.radius))
                cv2.fillPoly(self.image, [poly], item.colour, cv2.LINE_AA, _SHIFT)
            case Gradient():
                self.gradient(item)
            case Outline():
                poly = self.fixed(rounded(item.rect, item.radius))
                width = max(1, round(item.width * min(self.sx, self.sy)))
                cv2.polylines(self.image, [poly], True, item.colour, width, cv2.LINE_AA, _SHIFT)
            case Disc():
                self.disc(item.x, item.y, item.r, item.colour)
            case Polygon():
                poly = self.fixed(np.array(item.points, np.float64))
                cv2.fillPoly(self.image, [poly], item.colour, cv2.LINE_AA, _SHIFT)
            case Stars():
                for k in range(12):
                    angle = k * math.pi / 6
                    x, y = item.x + item.r * math.cos(angle), item.y + item.r * math.sin(angle)
                    self.disc(x, y, 0.17 * item.r, item.colour)

    def disc(self, x: float, y: float, r: float, colour: Colour) -> None:
        cx, cy = self.px(x, y)
        centre = (round(cx * _ONE), round(cy * _ONE))
        axes = (max(1, round(r * self.sx * _ONE)), max(1, round(r * self.sy * _ONE)))
        cv2.ellipse(self.image, centre, axes, 0, 0, 360, colour, -1, cv2.LINE_AA, _SHIFT)

    def gradient(self, item: Gradient) -> None:
        rect = item.rect
        left, top = self.px(rect.x, rect.y)
        right, bottom = self.px(rect.x + rect.w, rect.y + rect.h)
        x0, y0 = max(0, round(left)), max(0, round(top))
        x1, y1 = min(self.image.shape[1], round(right)), min(self.image.shape[0], round(bottom))
        if x1 <= x0 or y1 <= y0:
            return
        n = (y1 - y0) if item.vertical else (x1 - x0)
        t = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
        start, end = np.array(item.start, np.float32), np.array(item.end, np.float32)
        ramp = np.round(start + (end - start) * t).astype(np.uint8)
        strip = ramp[:, None, :] if item.vertical else ramp[None, :, :]
        ramp_image = cv2.resize(strip, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
        self.image[y0:y1, x0:x1] = ramp_image.reshape(y1 - y0, x1 - x0, 3)

    def char(self, item: Char) -> None:
        look, box = self.look, item.box
        face = look.faces[item.font]
        drawn = item.font == "us" and item.char in look.drawn
        if item.fill:
            w_mm = box.w * min(1.0, look.width_fill + 0.08)
        else:
            aspect = self.glyphs.aspect(face, item.char, look.weight, drawn)
            ratio = aspect / self.glyphs.median_aspect(face)
            w_mm = min(box.w, box.w * look.width_fill * ratio)
        w_px, h_px = max(1, round(w_mm * self.sx)), max(1, round(box.h * self.sy))
        left, top = self.px(box.x + box.w / 2, box.y + box.h / 2)
        mask = self.glyphs.fitted(face, item.char, look.weight, w_px, h_px, drawn)
        self._layer(item.colour, look.ink).add(mask, round(left - w_px / 2), round(top - h_px / 2))

    def text(self, item: Text) -> None:
        box = item.box
        line = self.glyphs.line(self.look.faces[item.font], item.text)
        h_px = max(1, round(box.h * self.sy))
        natural = line.shape[1] * h_px / line.shape[0] * self.sx / self.sy
        w_px = max(1, min(round(natural), round(box.w * self.sx)))
        interp = cv2.INTER_AREA if h_px < line.shape[0] else cv2.INTER_LINEAR
        mask = np.asarray(cv2.resize(line, (w_px, h_px), interpolation=interp), np.uint8)
        if item.align == "left":
            x, _ = self.px(box.x, 0)
        elif item.align == "right":
            x = self.px(box.x + box.w, 0)[0] - w_px
        else:
            x = self.px(box.x + box.w / 2, 0)[0] - w_px / 2
        self._layer(item.colour, 1.0).add(mask, round(x), round(self.px(0, box.y)[1]))


def paint(
    image: Image,
    mounted: Mounted,
    scale: tuple[float, float],
    origin: tuple[float, float],
    look: Look,
    glyphs: GlyphCache,
) -> None:
    """Draw the mounted plate into ``image`` with its top-left corner at ``origin`` pixels."""
    painter = Painter(image, scale, origin, look, glyphs)
    design, mount = mounted.design, mounted.mount
    if mount:
        outline = Rect(0, 0, mounted.width, mounted.height)
        painter.draw(Fill(outline, mount.colour, radius=design.corner_radius + 2.0))
        painter.draw_all(mount.items)
    ox, oy = mounted.plate_origin
    painter.draw_all(design.items, ox, oy)
    if mount:
        painter.draw_all(mount.front)
