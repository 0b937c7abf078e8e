"""What lanes do to plates and cameras do to pictures, each with a random strength.

Applied in the order they happen: dirt on the plate; light, shadow, glare and night in the
world; the lens's defocus and the vehicle's motion; the camera's colour response, noise, gamma
and JPEG encoding. All of it acts on the canvas at the camera's resolution, before the crop.
Smooth fields (light, shadow, glare) are computed at a quarter of the resolution and upscaled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from .scene import Points

Image = npt.NDArray[np.uint8]
FloatImage = npt.NDArray[np.float32]
_LUMA = np.array([[0.114, 0.587, 0.299]], np.float32)
_LUMA_ROWS = np.repeat(_LUMA.astype(np.float64), 3, axis=0)


@dataclass(frozen=True)
class DegradeConfig:
    """Probability of each degradation per sample."""

    dirt: float = 0.3
    fade: float = 0.5
    """Share of plates whose print has lost contrast (weathered sheeting, a film of grime)."""
    occlusion: float = 0.1
    """Share with a bar (frame lip, bumper, tow bar) across the plate's top or bottom edge."""
    lighting: float = 0.6
    shadow: float = 0.2
    glare: float = 0.12
    night: float = 0.1
    infrared: float = 0.6
    """Share of night samples from an infrared (greyscale) camera."""
    mono: float = 0.05
    """Share of day samples from a greyscale camera."""
    defocus: float = 0.45
    motion: float = 0.25
    colour: float = 0.85
    gamma: float = 0.3
    noise: float = 0.8
    jpeg: float = 0.65
    jpeg_quality: tuple[int, int] = (20, 95)


class NoiseBank:
    """Sensor noise drawn once per renderer; samples read random windows of it (fast).

    Colour noise is mostly shared by the three channels (luminance) with some chroma, as in
    demosaiced camera images; grey noise is the luminance part alone.
    """

    def __init__(self, seed: int, height: int = 320, width: int = 768) -> None:
        rng = np.random.default_rng([seed, 0x5EED])
        luma = rng.standard_normal((height, width), dtype=np.float32)
        chroma = rng.standard_normal((height, width, 3), dtype=np.float32)
        self.grey: FloatImage = luma
        self.colour: FloatImage = _f32((luma[..., None] + 0.5 * chroma) / math.sqrt(1.25))

    @staticmethod
    def _window(
        values: npt.NDArray[np.float32], height: int, width: int, rng: np.random.Generator
    ) -> npt.NDArray[np.float32]:
        bank_h, bank_w = values.shape[:2]
        if height > bank_h or width > bank_w:
            reps = (height // bank_h + 1, width // bank_w + 1) + (1,) * (values.ndim - 2)
            return np.tile(values, reps)[:height, :width]
        y = int(rng.integers(0, bank_h - height + 1))
        x = int(rng.integers(0, bank_w - width + 1))
        return values[y : y + height, x : x + width]

    def window(
        self, height: int, width: int, rng: np.random.Generator, *, grey: bool
    ) -> npt.NDArray[np.float32]:
        return self._window(self.grey if grey else self.colour, height, width, rng)

    def smooth(self, height: int, width: int, cells: int, rng: np.random.Generator) -> FloatImage:
        """Low-frequency noise, about ``cells`` blobs across, roughly unit variance."""
        ch = max(2, round(cells * height / max(width, 1)))
        coarse = self._window(self.grey, ch, cells, rng)
        return np.asarray(
            cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC), np.float32
        )


def _f32(array: npt.NDArray[Any]) -> FloatImage:
    """OpenCV's result typed as what it is (no copy when it already is float32)."""
    return np.asarray(array, dtype=np.float32)


def _three(plane: FloatImage) -> FloatImage:
    return _f32(cv2.merge([plane, plane, plane]))


def dirt(image: Image, plate: Points, rng: np.random.Generator, bank: NoiseBank) -> None:
    """Grime (uneven darkening), mud towards the bottom, a few spots; in place, on the plate."""
    region = _plate_region(image, plate)
    h, w = region.shape[:2]
    if h < 2 or w < 2:
        return
    grime = 1 - np.float32(rng.uniform(0.05, 0.3)) * np.abs(
        bank.smooth(h, w, int(rng.integers(4, 12)), rng)
    )
    if rng.random() < 0.4:
        mud = np.linspace(0, 1, h, dtype=np.float32)[:, None] ** 3
        grime *= 1 - np.float32(rng.uniform(0.1, 0.4)) * mud
    dirty = _f32(cv2.multiply(region.astype(np.float32), _three(grime)))
    spots = int(rng.integers(0, 6))
    if spots:
        overlay = dirty.copy()
        for _ in range(spots):
            colour = tuple(float(c) for c in rng.uniform(30, 120, 3) * (0.6, 0.8, 1.0))
            r = max(1, round(rng.uniform(0.005, 0.04) * w))
            centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.circle(overlay, centre, r, colour, -1, cv2.LINE_AA)
        opacity = float(rng.uniform(0.3, 0.8))
        dirty = _f32(cv2.addWeighted(dirty, 1 - opacity, overlay, opacity, 0))
    region[:] = np.clip(dirty, 0, 255).astype(np.uint8)


def _plate_region(image: Image, plate: Points) -> Image:
    x0, y0 = np.floor(plate.min(axis=0)).astype(int)
    x1, y1 = np.ceil(plate.max(axis=0)).astype(int)
    return image[max(y0, 0) : y1, max(x0, 0) : x1]


def fade(image: Image, plate: Points, rng: np.random.Generator) -> None:
    """The plate's colours pulled towards a grey, in place: old or grimy plates look flat."""
    region = _plate_region(image, plate)
    if region.size == 0:
        return
    amount = float(rng.uniform(0.05, 0.35))
    grey = float(rng.uniform(90, 150))
    region[:] = cv2.addWeighted(region, 1 - amount, region, 0, grey * amount)


def occlude(image: Image, plate: Points, rng: np.random.Generator) -> None:
    """A dark or chrome bar over the top or bottom edge of the plate, in place."""
    (x0, y0), (x1, y1) = plate.min(axis=0), plate.max(axis=0)
    u = rng.random(4)
    depth = (0.03 + 0.08 * u[0]) * (y1 - y0)
    y = y1 - depth if u[1] < 0.7 else y0 - depth
    colour = (20.0, 20.0, 20.0) if u[2] < 0.6 else (170.0, 170.0, 175.0)
    left = x0 - (x1 - x0) * 0.1 * u[3]
    corners = np.array([[left, y], [x1 + 5, y], [x1 + 5, y + 2 * depth], [left, y + 2 * depth]])
    cv2.fillPoly(image, [np.round(corners * 16).astype(np.int32)], colour, cv2.LINE_AA, 4)


def _light(
    image: FloatImage,
    plate: Points,
    mount: Points,
    rng: np.random.Generator,
    cfg: DegradeConfig,
    night: bool,
) -> FloatImage:
    lighting, shadow, glare = (rng.random() < p for p in (cfg.lighting, cfg.shadow, cfg.glare))
    h, w = image.shape[:2]
    if lighting:
        # Uneven, slightly coloured light: a smooth field through 3 x 3 random gains.
        nodes = 1 + rng.uniform(-0.35, 0.35, (3, 3, 1)) + rng.uniform(-0.06, 0.06, (3, 3, 3))
        field = cv2.resize(nodes.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        image = _f32(cv2.multiply(image, field))
    if not (shadow or glare or night):
        return image
    q = 4.0
    lh, lw = max(2, math.ceil(h / q)), max(2, math.ceil(w / q))
    ys, xs = np.mgrid[0:lh, 0:lw].astype(np.float32) * np.float32(q)
    centre = plate.mean(axis=0)
    plate_h = float(plate[3, 1] - plate[0, 1])
    if shadow or night:
        factor = np.ones((lh, lw), np.float32)
        if shadow:
            cx, cy = centre + rng.normal(0, 0.5 * plate_h, 2)
            angle = rng.uniform(0, 2 * math.pi)
            dist = (xs - cx) * math.cos(angle) + (ys - cy) * math.sin(angle)
            soft = rng.uniform(0.5, 3.0) + rng.uniform(0, 0.3) * plate_h
            factor *= 1 - np.float32(rng.uniform(0.3, 0.7)) * np.clip(dist / soft + 0.5, 0, 1)
        if night:
            # Dark surroundings; the retro-reflective plate lit by the lane's illuminator.
            dark, lit = rng.uniform(0.06, 0.35), rng.uniform(0.45, 1.1)
            (mx0, my0), (mx1, my1) = mount.min(axis=0), mount.max(axis=0)
            inside = (xs >= mx0) & (xs <= mx1) & (ys >= my0) & (ys <= my1)
            factor *= np.where(inside, np.float32(lit), np.float32(dark))
        full = _f32(cv2.resize(factor, (w, h), interpolation=cv2.INTER_LINEAR))
        image = _f32(cv2.multiply(image, _three(full)))
    if glare:
        cx, cy = centre + rng.normal(0, 0.6 * plate_h, 2)
        sx = rng.uniform(0.2, 1.0) * plate_h * rng.uniform(1.0, 3.0)
        sy = rng.uniform(0.15, 0.6) * plate_h
        angle = rng.normal(0, 0.3)
        u = (xs - cx) * math.cos(angle) + (ys - cy) * math.sin(angle)
        v = -(xs - cx) * math.sin(angle) + (ys - cy) * math.cos(angle)
        blob = np.exp(-(u * u / (2 * sx * sx) + v * v / (2 * sy * sy))) * np.float32(
            rng.uniform(40, 200)
        )
        full = _f32(cv2.resize(blob.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR))
        tint = 1.0 - rng.uniform(0, 0.15, 3)
        image = _f32(cv2.add(image, cv2.merge([full * np.float32(t) for t in tint])))
    return image


def _blur(
    image: FloatImage, rng: np.random.Generator, cfg: DegradeConfig, text_px: float
) -> FloatImage:
    if rng.random() < cfg.defocus:
        sigma = 0.3 + max(0.0, 0.045 * text_px - 0.3) * rng.random() ** 2
        image = _f32(cv2.GaussianBlur(image, (0, 0), sigma))
    if rng.random() < cfg.motion:
        # Vehicles move along the lane: mostly horizontal smear, sometimes vertical (bumps).
        length = 1.5 + 0.18 * text_px * rng.random() ** 2
        size = max(2, round(length))
        kernel = np.full((1, size), 1.0 / size, np.float32)
        image = _f32(cv2.filter2D(image, -1, kernel if rng.random() < 0.8 else kernel.T))
    return image


def _colour(image: FloatImage, rng: np.random.Generator) -> FloatImage:
    """White balance, saturation, a slight colour cast, contrast and brightness in one matrix."""
    u = rng.random(6)
    noise = rng.standard_normal(10)
    sat, contrast = 0.55 + 0.8 * u[3], 0.5 + 0.6 * u[4]
    gains = contrast * (0.85 + 0.3 * u[:3])
    mix = sat * np.eye(3) + (1 - sat) * _LUMA_ROWS
    cast = np.eye(3) + 0.015 * noise[:9].reshape(3, 3)
    affine = np.empty((3, 4), np.float32)
    affine[:, :3] = (gains[:, None] * mix) @ cast
    affine[:, 3] = 128 * (1 - contrast) - 8 + 15 * noise[9]
    return _f32(cv2.transform(image, affine))


def degrade(
    image: Image,
    plate: Points,
    mount: Points,
    rng: np.random.Generator,
    bank: NoiseBank,
    cfg: DegradeConfig,
    text_px: float,
) -> Image:
    """The canvas as the camera delivers it (8-bit BGR); ``plate`` and ``mount`` in its pixels."""
    night = rng.random() < cfg.night
    grey = rng.random() < (cfg.infrared if night else cfg.mono)
    work = _light(image.astype(np.float32), plate, mount, rng, cfg, night)
    work = _blur(work, rng, cfg, text_px)
    if rng.random() < cfg.colour:
        work = _colour(work, rng)
    if grey:
        work = _f32(cv2.transform(work, _LUMA))
    h, w = work.shape[:2]
    if night:
        work = _f32(cv2.scaleAdd(bank.window(h, w, rng, grey=grey), 5 + 12 * rng.random(), work))
    elif rng.random() < cfg.noise:
        work = _f32(
            cv2.scaleAdd(bank.window(h, w, rng, grey=grey), 0.5 + 8 * rng.random() ** 2, work)
        )
    np.clip(work, 0, 255, out=work)
    out = (work + np.float32(0.5)).astype(np.uint8)
    if rng.random() < cfg.gamma:
        gamma = rng.uniform(0.7, 1.4)
        table = np.round(255 * (np.arange(256) / 255) ** gamma).astype(np.uint8)
        out = np.asarray(cv2.LUT(out, table), np.uint8)
    if grey:
        out = np.asarray(cv2.cvtColor(out, cv2.COLOR_GRAY2BGR), np.uint8)
    if rng.random() < cfg.jpeg:
        low, high = cfg.jpeg_quality
        quality = round(low + (high - low) * (1 - rng.random() ** 2))
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            out = np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), np.uint8)
    return np.ascontiguousarray(out, dtype=np.uint8)
