"""Cutting the sample out the way the pipeline cuts a detection.

What is simulated is the detector: corners a little off the plate's (or hugging its frame),
margins from tight to loose, and sometimes no usable corners, when the pipeline falls back to
the padded box (as the evaluation's ground-truth crops do) and a tilted plate stays tilted.
Warped crops are cut by the pipeline's own ``crop_plate``; box crops mirror its box fallback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from lanescreen.vision.rectify import MAX_ASPECT, crop_plate
from lanescreen.vision.types import Box, PlateDetection

from .scene import Canvas, rect_points, transform

Points = npt.NDArray[np.float64]
Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class FramingConfig:
    """How detections are simulated; margins are fractions of the plate's height."""

    tight: float = 0.2
    """Share of crops with a margin under 0.1 (as other tools cut them, e.g. the LPRNet sets)."""
    loose: float = 0.12
    """Share with a margin of 0.35-0.5, showing the car around the plate."""
    box_crops: float = 0.25
    """Share cut as the padded axis-aligned box instead of warped from corners."""
    corner_error: float = 0.03
    """Standard deviation of each detected edge's offset, in plate heights."""
    hug_frame: float = 0.1
    """Share of detections whose corners take in the plate's frame as well."""
    hug_text: float = 0.5
    """Share whose corners close in on the characters (detectors trained on Chinese plates,
    where characters fill the plate, do this on US plates with big state names)."""


@dataclass(frozen=True)
class Framing:
    """One simulated detection, in camera-frame pixels: corners, margin, corners used or not."""

    corners: Points
    pad: float
    use_corners: bool

    def box(self) -> tuple[float, float, float, float]:
        x0, y0 = self.corners.min(axis=0)
        x1, y1 = self.corners.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)

    def padded_box(self) -> tuple[int, int, int, int]:
        """The box crop's region, as ``rectify._box_crop`` computes it (frame edges aside)."""
        x0, y0, x1, y1 = self.box()
        margin = self.pad * (y1 - y0)
        return (
            int(np.floor(x0 - margin)),
            int(np.floor(y0 - margin)),
            int(np.ceil(x1 + margin)),
            int(np.ceil(y1 + margin)),
        )

    def footprint(self) -> Points:
        """Corners of the camera-frame region the crop reads (a little generous)."""
        if not self.use_corners:
            return rect_points(*(float(v) for v in self.padded_box()))
        tl, tr, br, bl = self.corners
        width = max(math.hypot(*(tr - tl)), math.hypot(*(br - bl)))
        height = max(math.hypot(*(bl - tl)), math.hypot(*(br - tr)), 1e-6)
        aspect = min(max(width / height, 1.0), MAX_ASPECT)
        px, py = 1.1 * self.pad / aspect + 0.02, 1.1 * self.pad + 0.02
        unit = ((-px, -py), (1 + px, -py), (1 + px, 1 + py), (-px, 1 + py))
        return np.array([_bilinear(self.corners, u, v) for u, v in unit])


def _bilinear(quad: Points, u: float, v: float) -> Points:
    tl, tr, br, bl = quad
    top = tl + (tr - tl) * u
    bottom = bl + (br - bl) * u
    result: Points = top + (bottom - top) * v
    return result


def choose_pad(rng: np.random.Generator, cfg: FramingConfig) -> float:
    """The crop's margin, as a fraction of the plate's height."""
    roll = rng.random()
    if roll < cfg.tight:
        return 0.1 * roll / cfg.tight
    if roll < cfg.tight + cfg.loose:
        return 0.35 + 0.15 * (roll - cfg.tight) / cfg.loose
    return 0.1 + 0.25 * (roll - cfg.tight - cfg.loose) / (1 - cfg.tight - cfg.loose)


def choose_framing(
    plate: Points,
    frame: Points,
    text: Points,
    pad: float,
    rng: np.random.Generator,
    cfg: FramingConfig,
) -> Framing:
    """A detection of the plate with corners ``plate``; ``frame`` and ``text`` are the corners of
    its mount and of its characters' band (all in camera-frame pixels)."""
    hug, amount, boxed = rng.random(3)
    base = plate
    if hug < cfg.hug_frame:
        base = plate + (frame - plate) * (0.5 + 0.5 * amount)
    elif hug < cfg.hug_frame + cfg.hug_text:
        base = plate + (text - plate) * (0.2 + 0.8 * amount)
    tl, tr, br, bl = base
    across = (tr - tl + br - bl) / 2
    down = (bl - tl + br - tr) / 2
    height = math.hypot(*down)
    u = across / max(math.hypot(*across), 1e-6)
    v = down / max(height, 1e-6)
    noise = rng.standard_normal(12) * cfg.corner_error
    # Outward offsets of the left, top, right and bottom edges; cutting far in loses characters.
    left, top, right, bottom = np.clip(noise[:4], -0.06, 0.15) * height
    corners = np.array(
        [
            tl - left * u - top * v,
            tr + right * u - top * v,
            br + right * u + bottom * v,
            bl - left * u + bottom * v,
        ]
    )
    corners += noise[4:].reshape(4, 2) * (0.4 * height)
    return Framing(corners, float(pad), bool(boxed >= cfg.box_crops))


def cut(image: Image, canvas: Canvas, framing: Framing, out_h: int) -> Image:
    """The crop the pipeline would give the reader for this detection."""
    if framing.use_corners:
        quad = transform(framing.corners, canvas.from_camera)
        x0, y0 = quad.min(axis=0)
        x1, y1 = quad.max(axis=0)
        box = Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0))
        corners = tuple((float(x), float(y)) for x, y in quad)
        detection = PlateDetection(box, 1.0, corners)  # type: ignore[arg-type]
        return crop_plate(image, detection, out_h=out_h, pad=framing.pad)
    # rectify._box_crop: the padded box resized to out_h rows, aspect kept within 1..MAX_ASPECT.
    bx0, by0, bx1, by1 = framing.padded_box()
    aspect = min(max((bx1 - bx0) / max(by1 - by0, 1), 1.0), MAX_ASPECT)
    out_w = max(out_h, round(out_h * aspect))
    sx, sy = out_w / (bx1 - bx0), out_h / (by1 - by0)
    # cv2.resize samples pixel centres: dst (u + 0.5) / s - 0.5 = src.
    scale = np.array(
        [[sx, 0, 0.5 * sx - 0.5 - sx * bx0], [0, sy, 0.5 * sy - 0.5 - sy * by0], [0, 0, 1]]
    )
    matrix = scale @ canvas.to_camera
    crop = cv2.warpPerspective(
        image, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.ascontiguousarray(crop, dtype=np.uint8)
