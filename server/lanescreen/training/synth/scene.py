"""Where the plate is: its pose before the camera, and the canvas it is drawn on.

The canvas is the part of the camera frame the crop will read, kept aligned with the plate and
at the camera's resolution: the plate is drawn into it directly, degradations act on it, and
one homography (``to_camera``) says where each canvas pixel lies in the camera frame. The crop
is then the pipeline's single warp from that canvas, so nothing is resampled twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from .elements import Mounted

Points = npt.NDArray[np.float64]
Matrix = npt.NDArray[np.float64]
Image = npt.NDArray[np.uint8]

_PAINT: tuple[tuple[int, int, int], ...] = (
    (235, 235, 235), (25, 25, 25), (160, 160, 165), (110, 110, 110), (40, 40, 170),
    (130, 60, 20), (70, 40, 20), (40, 90, 40), (150, 190, 210), (30, 170, 220), (60, 60, 60),
)  # fmt: skip
_TRIM: tuple[tuple[int, int, int], ...] = (
    (20, 20, 20),
    (45, 45, 45),
    (180, 180, 180),
    (90, 90, 90),
)


@dataclass(frozen=True)
class Pose:
    """How the plate faces the camera."""

    roll: float
    """Degrees, clockwise."""
    squeeze: float
    """Horizontal foreshortening (1: head-on); it costs horizontal resolution too."""
    keystone: float
    """Right edge taller than the left by this fraction (turning away), and vice versa."""
    tilt: float
    """Bottom edge wider than the top by this fraction (camera above or below)."""
    shear: float


def _clamp(value: float, limit: float) -> float:
    return min(limit, max(-limit, value))


def choose_pose(rng: np.random.Generator) -> Pose:
    spread = 6.0 if rng.random() < 0.15 else 2.5
    roll, squeeze, keystone, tilt, shear = rng.standard_normal(5) * (spread, 0.07, 0.04, 0.03, 0.03)
    return Pose(
        roll=_clamp(float(roll), 15.0),
        squeeze=max(0.7, 1.0 - abs(float(squeeze))),
        keystone=_clamp(float(keystone), 0.12),
        tilt=_clamp(float(tilt), 0.1),
        shear=_clamp(float(shear), 0.1),
    )


def rect_points(x0: float, y0: float, x1: float, y1: float) -> Points:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


def transform(points: Points, matrix: Matrix) -> Points:
    """Points (N x 2) through a homography."""
    mapped = points @ matrix[:2, :2].T + matrix[:2, 2]
    scale = points @ matrix[2, :2] + matrix[2, 2]
    out: Points = mapped / scale[:, None]
    return out


@dataclass(frozen=True)
class Outlines:
    """Corners (TL TR BR BL) of the plate, its mount and its characters' band, in plate-aligned
    pixels centred on the plate."""

    plate: Points
    mount: Points
    text: Points


def outlines(mounted: Mounted, sx: float, sy: float) -> Outlines:
    design = mounted.design
    pw, ph = design.width * sx, design.height * sy
    mx0, my0 = -pw / 2 - mounted.plate_origin[0] * sx, -ph / 2 - mounted.plate_origin[1] * sy
    chars = design.chars
    margin = 0.08 * design.text_height
    tx0 = min(c.box.x for c in chars) - margin
    ty0 = min(c.box.y for c in chars) - margin
    tx1 = max(c.box.x + c.box.w for c in chars) + margin
    ty1 = max(c.box.y + c.box.h for c in chars) + margin
    return Outlines(
        plate=rect_points(-pw / 2, -ph / 2, pw / 2, ph / 2),
        mount=rect_points(mx0, my0, mx0 + mounted.width * sx, my0 + mounted.height * sy),
        text=rect_points(
            tx0 * sx - pw / 2, ty0 * sy - ph / 2, tx1 * sx - pw / 2, ty1 * sy - ph / 2
        ),
    )


def pose_matrix(width: float, height: float, pose: Pose) -> Matrix:
    """Homography from plate-aligned pixels (centred on the plate) to the camera frame's."""
    src = rect_points(-width / 2, -height / 2, width / 2, height / 2)
    x, y = src[:, 0], src[:, 1]
    y2 = y * (1 + pose.keystone * x / (width / 2))
    x2 = x * (1 + pose.tilt * y / (height / 2)) + pose.shear * y
    c, s = math.cos(math.radians(pose.roll)), math.sin(math.radians(pose.roll))
    dst = np.stack([c * x2 - s * y2, s * x2 + c * y2], axis=1)
    return quad_to_quad(src, dst)


def _square_to_quad(quad: Points) -> Matrix:
    """Homography taking the unit square's corners to ``quad`` (Heckbert's closed form)."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad.tolist()
    sx, sy = x0 - x1 + x2 - x3, y0 - y1 + y2 - y3
    dx1, dx2, dy1, dy2 = x1 - x2, x3 - x2, y1 - y2, y3 - y2
    det = dx1 * dy2 - dx2 * dy1
    g = (sx * dy2 - dx2 * sy) / det
    h = (dx1 * sy - sx * dy1) / det
    return np.array(
        [
            [x1 - x0 + g * x1, x3 - x0 + h * x3, x0],
            [y1 - y0 + g * y1, y3 - y0 + h * y3, y0],
            [g, h, 1.0],
        ]
    )


def quad_to_quad(src: Points, dst: Points) -> Matrix:
    """Homography taking the four ``src`` corners (TL TR BR BL) to the four ``dst`` corners."""
    inverse = np.asarray(cv2.invert(_square_to_quad(src))[1], np.float64)
    return _square_to_quad(dst) @ inverse


@dataclass(frozen=True)
class Canvas:
    """Geometry of one sample's canvas: its size, and where the plate and the camera are."""

    width: int
    height: int
    plate: Points
    """Plate corners TL TR BR BL in canvas pixels (axis-aligned)."""
    mount: Points
    """Corners of the plate with its frame, in canvas pixels."""
    to_camera: Matrix
    """Canvas pixels to camera-frame pixels."""
    from_camera: Matrix


def layout_canvas(plate: Points, mount: Points, pose: Matrix, footprint: Points) -> Canvas:
    """A canvas holding the mounted plate and the camera-frame ``footprint`` the crop reads.

    ``plate`` and ``mount`` are centred plate-aligned pixels; ``pose`` maps those to the camera.
    """
    unpose = np.asarray(cv2.invert(pose)[1], np.float64)
    both = np.vstack([transform(footprint, unpose), mount])
    left, top = np.floor(both.min(axis=0)) - 2
    right, bottom = np.ceil(both.max(axis=0)) + 2
    shift = np.array([[1, 0, -left], [0, 1, -top], [0, 0, 1]], np.float64)
    unshift = np.array([[1, 0, left], [0, 1, top], [0, 0, 1]], np.float64)
    offset = np.array([left, top])
    return Canvas(
        width=int(right - left),
        height=int(bottom - top),
        plate=plate - offset,
        mount=mount - offset,
        to_camera=pose @ unshift,
        from_camera=shift @ unpose,
    )


def background(height: int, width: int, rng: np.random.Generator) -> Image:
    """Car body paint with horizontal bumper, trim and grille bands, shaded top to bottom."""
    u = rng.random(16)
    paint = np.array(_PAINT[int(u[0] * len(_PAINT))], np.float32) + (u[1:4] * 30 - 15).astype(
        np.float32
    )
    shade = 1 + np.float32(0.6 * u[4] - 0.3) * np.linspace(-1, 1, height, dtype=np.float32)
    rows = paint[None, :] * shade[:, None]
    for band in range(int(u[5] * 4)):
        y0 = int(u[6 + band * 3] * height)
        y1 = min(height, y0 + 1 + int(u[7 + band * 3] * max(1, height // 3)))
        trim = _TRIM[int(u[8 + band * 3] * len(_TRIM))]
        rows[y0:y1] = np.array(trim, np.float32) * np.float32(0.9 + 0.2 * u[15])
    column = np.clip(rows, 0, 255).astype(np.uint8).reshape(height, 1, 3)
    wide = cv2.resize(column, (width, height), interpolation=cv2.INTER_NEAREST)
    image = np.asarray(wide, np.uint8).reshape(height, width, 3)
    if rng.random() < 0.3:
        x0 = int(rng.integers(0, width))
        x1 = min(width, x0 + int(rng.integers(1, max(2, width // 4))))
        image[:, x0:x1] = cv2.convertScaleAbs(image[:, x0:x1], alpha=float(rng.uniform(0.4, 1.4)))
    return image
