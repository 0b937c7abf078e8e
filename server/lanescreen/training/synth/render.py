"""Synthetic plate crops with their labels: the renderer the trainer draws samples from.

A sample is made the way a real crop is: a plate design is painted at the resolution the camera
would see it, mounted and posed on a vehicle, degraded as lanes and cameras degrade it, and cut
out by the pipeline's own ``crop_plate`` from a simulated detection.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .degrade import DegradeConfig, NoiseBank, degrade, dirt, fade, occlude
from .elements import Mounted
from .fonts import FontSet, find_fonts
from .framing import FramingConfig, choose_framing, choose_pad, cut
from .glyphs import GlyphCache
from .layouts import STYLES, design
from .mount import choose_mount
from .paint import choose_look, paint
from .scene import background, choose_pose, layout_canvas, outlines, pose_matrix, transform


@dataclass(frozen=True)
class Sample:
    """One synthetic crop and its label."""

    image: npt.NDArray[np.uint8]
    """8-bit BGR, as the pipeline's rectified crop gives it (``out_h`` rows)."""
    text: str
    """The label in lanescreen's normal form; two-row plates read top row, then bottom row."""
    style: str
    rows: int


@dataclass(frozen=True)
class RenderConfig:
    """Everything about a sample that is not the plate design itself."""

    out_h: int = 64
    """Crop height, as the pipeline cuts crops (``vision.pipeline.CROP_HEIGHT``)."""
    text_px: tuple[float, float] = (11.0, 64.0)
    """Height of the plate's characters in the camera frame, in pixels (log-uniform)."""
    max_detail: float = 1.6
    """The camera frame is drawn at most this many times the crop's resolution: the crop would
    throw the rest away (as it does in service, with a little aliasing), at a cost here."""
    framing: FramingConfig = field(default_factory=FramingConfig)
    degrade: DegradeConfig = field(default_factory=DegradeConfig)


def default_style_weights() -> dict[str, float]:
    """How often each style is drawn: Chinese plates most (their province characters are the
    rarest classes), then US and EU, a little of the rest so the reader meets them all."""
    return {
        "cn_blue": 0.30,
        "cn_yellow": 0.07,
        "cn_green": 0.07,
        "cn_white": 0.02,
        "cn_black": 0.02,
        "eu_de": 0.07,
        "eu_generic": 0.16,
        "eu_uk": 0.04,
        "us": 0.20,
        "br_old": 0.025,
        "br_mercosur": 0.025,
    }


class PlateRenderer:
    """Seeded source of synthetic samples: the same seed and fonts give the same images."""

    def __init__(
        self,
        seed: int,
        *,
        styles: Mapping[str, float] | None = None,
        fonts: FontSet | None = None,
        config: RenderConfig | None = None,
    ) -> None:
        weights = dict(styles if styles is not None else default_style_weights())
        unknown = sorted(set(weights) - set(STYLES))
        if unknown:
            raise ValueError(f"unknown plate styles {unknown} (known: {', '.join(STYLES)})")
        if any(w < 0 or not math.isfinite(w) for w in weights.values()):
            raise ValueError(f"style weights must be finite and non-negative: {weights}")
        total = sum(weights.values())
        if total <= 0:
            raise ValueError("at least one style needs a positive weight")
        self.styles = tuple(weights)
        self.weights = {s: weights[s] / total for s in self.styles}
        self._cdf = np.cumsum([weights[s] for s in self.styles])
        self.fonts = fonts if fonts is not None else find_fonts()
        self.config = config or RenderConfig()
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._glyphs = GlyphCache()
        self._bank = NoiseBank(seed)

    def sample(self) -> Sample:
        """The next sample from this renderer's own random stream."""
        return self.render(int(self._rng.integers(0, 2**63 - 1)))

    def batch(self, n: int) -> list[Sample]:
        return [self.sample() for _ in range(n)]

    def render(self, sample_seed: int) -> Sample:
        """The sample for one per-sample seed (what ``sample`` draws), to reproduce one alone."""
        rng = np.random.default_rng(sample_seed)
        cfg = self.config
        style = self.styles[
            int(np.searchsorted(self._cdf, rng.random() * self._cdf[-1], side="right"))
        ]
        plate = design(style, rng)
        mounted = Mounted(plate, choose_mount(plate, rng))
        pad = choose_pad(rng, cfg.framing)
        low, high = cfg.text_px
        text_px = math.exp(rng.uniform(math.log(low), math.log(high)))
        # Beyond max_detail x the crop's own resolution, the crop only aliases the extra away.
        crop_plate_px = cfg.out_h / (1 + 2 * pad)
        text_px = min(text_px, cfg.max_detail * crop_plate_px * plate.text_height / plate.height)
        pose = choose_pose(rng)
        sy = text_px / plate.text_height
        sx = sy * pose.squeeze
        # Plate-aligned pixels centred on the plate; the pose takes them to the camera frame.
        shapes = outlines(mounted, sx, sy)
        matrix = pose_matrix(plate.width * sx, plate.height * sy, pose)
        plate_cam, mount_cam, text_cam = (
            transform(p, matrix) for p in (shapes.plate, shapes.mount, shapes.text)
        )
        framing = choose_framing(plate_cam, mount_cam, text_cam, pad, rng, cfg.framing)
        canvas = layout_canvas(shapes.plate, shapes.mount, matrix, framing.footprint())
        image = background(canvas.height, canvas.width, rng)
        look = choose_look(self.fonts, rng)
        origin = (float(canvas.mount[0, 0]), float(canvas.mount[0, 1]))
        paint(image, mounted, (sx, sy), origin, look, self._glyphs)
        if rng.random() < cfg.degrade.dirt:
            dirt(image, canvas.plate, rng, self._bank)
        if rng.random() < cfg.degrade.fade:
            fade(image, canvas.plate, rng)
        if rng.random() < cfg.degrade.occlusion:
            occlude(image, canvas.plate, rng)
        frame = degrade(image, canvas.plate, canvas.mount, rng, self._bank, cfg.degrade, text_px)
        crop = cut(frame, canvas, framing, cfg.out_h)
        return Sample(crop, plate.text, style, plate.rows)
