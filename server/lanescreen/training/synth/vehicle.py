"""Whole lane-camera frames of a vehicle approaching a gate, with a synthetic plate on it.

The training renderer draws crops; this draws what a lane camera sends: the rear of a car on
the road, seen head-on, its plate painted by the same plate designs and painter at the size a
gate camera sees it (characters ~20-34 px tall in a 1280 x 720 frame), a few frames as it comes
closer. Used by ``lanescreen demo`` (frames the project owns, no third-party photos) and by the
tests that run the whole service on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from .elements import Mounted
from .fonts import FontSet
from .glyphs import GlyphCache
from .layouts import design
from .paint import choose_look, paint

Image = npt.NDArray[np.uint8]

FRAME_SIZE = (1280, 720)
"""Width and height of a frame, a common lane-camera resolution."""
_PAINTS: tuple[tuple[int, int, int], ...] = (
    (170, 60, 35), (40, 40, 160), (200, 200, 200), (60, 60, 60), (35, 120, 60), (30, 150, 200),
)  # fmt: skip


@dataclass(frozen=True)
class VehicleFrame:
    """One frame of a vehicle and the plate it shows."""

    image: Image
    """8-bit BGR, ``FRAME_SIZE``."""
    text: str
    """The plate's label in lanescreen's normal form; empty when no plate is shown."""
    style: str


def _scene(width: int, height: int) -> Image:
    """Sky over an asphalt lane with its edge lines and a raised gate barrier."""
    image = np.empty((height, width, 3), np.uint8)
    horizon = height // 2
    sky = np.linspace(215, 160, horizon, dtype=np.float32)
    image[:horizon] = np.stack([sky, sky * 0.96, sky * 0.9], axis=-1).astype(np.uint8)[:, None]
    road = np.linspace(105, 70, height - horizon, dtype=np.float32)
    image[horizon:] = np.stack([road] * 3, axis=-1).astype(np.uint8)[:, None]
    for side in (-1, 1):
        top = (width // 2 + side * width // 10, horizon)
        bottom = (width // 2 + side * width // 2, height)
        cv2.line(image, top, bottom, (215, 215, 215), 6, cv2.LINE_AA)
    cv2.rectangle(image, (width - 120, horizon - 260), (width - 96, horizon + 40), (40, 40, 40), -1)
    cv2.line(image, (width - 108, horizon - 250), (width - 60, 20), (30, 30, 210), 14, cv2.LINE_AA)
    return image


def _car(image: Image, cx: int, bottom: int, scale: float, colour: tuple[int, int, int]) -> int:
    """Draw a car's rear centred on ``cx`` standing at ``bottom``; returns the plate's centre y."""

    def px(value: float) -> int:
        return round(value * scale)

    half = px(300)
    body_top = bottom - px(330)
    shadow = np.array(
        [[cx - half - px(20), bottom + px(10)], [cx + half + px(20), bottom + px(10)]]
    )
    cv2.rectangle(image, tuple(shadow[0]), tuple(shadow[1] - [0, px(30)]), (25, 25, 25), -1)
    for x in (cx - half + px(15), cx + half - px(85)):
        cv2.rectangle(image, (x, bottom - px(40)), (x + px(70), bottom + px(5)), (20, 20, 20), -1)
    cabin = np.array(
        [
            [cx - half + px(70), body_top],
            [cx - half + px(120), body_top - px(150)],
            [cx + half - px(120), body_top - px(150)],
            [cx + half - px(70), body_top],
        ],
        np.int32,
    )
    cv2.fillPoly(image, [cabin], colour, cv2.LINE_AA)
    glass = cabin + np.array(
        [[px(25), -px(12)], [px(18), px(14)], [-px(18), px(14)], [-px(25), -px(12)]]
    )
    cv2.fillPoly(image, [glass.astype(np.int32)], (60, 45, 40), cv2.LINE_AA)
    cv2.rectangle(
        image, (cx - half, body_top), (cx + half, bottom - px(30)), colour, -1, cv2.LINE_AA
    )
    for x in (cx - half + px(20), cx + half - px(120)):
        cv2.rectangle(
            image, (x, body_top + px(30)), (x + px(100), body_top + px(80)), (35, 35, 205), -1
        )
    cv2.rectangle(
        image, (cx - half, bottom - px(110)), (cx + half, bottom - px(30)), (40, 40, 40), -1
    )
    return bottom - px(175)


def vehicle_frames(
    style: str,
    seed: int,
    fonts: FontSet,
    *,
    frames: int = 3,
    with_plate: bool = True,
    glyphs: GlyphCache | None = None,
) -> list[VehicleFrame]:
    """``frames`` frames of one vehicle coming closer, its plate a random ``style`` plate drawn
    from ``seed`` (the same seed and fonts give the same plate and frames).

    Without ``with_plate`` the car carries no plate (a plate taken off or hidden), which a lane
    must not let through as CLEAR.
    """
    rng = np.random.default_rng(seed)
    plate = design(style, rng)
    mounted = Mounted(plate, None)
    look = choose_look(fonts, rng)
    colour = _PAINTS[int(rng.integers(len(_PAINTS)))]
    shift = int(rng.integers(-140, 140))
    glyphs = glyphs or GlyphCache()
    width, height = FRAME_SIZE
    out = []
    for step in range(frames):
        closer = step / max(1, frames - 1)
        scale = 0.82 + 0.22 * closer
        image = _scene(width, height)
        centre_y = _car(
            image, width // 2 + shift, round(height * (0.84 + 0.08 * closer)), scale, colour
        )
        if with_plate:
            s = (24.0 * scale) / plate.text_height  # ~20-26 px characters, as gate cameras see them
            origin = (width // 2 + shift - mounted.width * s / 2, centre_y - mounted.height * s / 2)
            paint(image, mounted, (s, s), origin, look, glyphs)
        blurred = cv2.GaussianBlur(image, (3, 3), 0.7).astype(np.float32)
        noise = np.random.default_rng(seed * 31 + step).normal(0, 2.0, image.shape)
        shot: Image = np.clip(blurred + noise, 0, 255).astype(np.uint8)
        out.append(VehicleFrame(shot, plate.text if with_plate else "", style))
    return out
