"""What holds a plate: bare, a plain holder, or a dealer's frame with its name and phone number.

Frames matter to a reader because the detector's crop includes them: their edges sit next to the
first and last characters, and their small print (letters and digits) is never part of the label.
"""

from __future__ import annotations

import numpy as np

from .elements import Colour, Fill, Item, Mount, PlateDesign, Rect, Text
from .layouts.common import fill_pattern, jitter, pick

_SYLLABLES = ("AU", "TO", "MO", "TOR", "SAN", "LE", "RI", "VER", "CAR", "DE", "KA", "BEL", "NOR")
_WORDS = (
    "AUTO",
    "MOTORS",
    "CARS",
    "SALES",
    "GARAGE",
    "AUTOHAUS",
    "DEALER",
    "SERVICE",
    "AUTO MOBIL",
)
_BLACK: Colour = (22, 22, 22)
_CHROME: Colour = (190, 190, 195)


def _dealer(rng: np.random.Generator) -> str:
    name = "".join(pick(rng, _SYLLABLES) for _ in range(int(rng.integers(2, 4))))
    if rng.random() < 0.5:
        return f"{name} {pick(rng, _WORDS)}"
    return f"{name} {fill_pattern(pick(rng, ['###-####', '(###) ###-####', '### ### ###']), rng)}"


def choose_mount(design: PlateDesign, rng: np.random.Generator) -> Mount | None:
    """None (a bare plate) about half the time; else a holder, a third of them with print.

    US plates are mostly seen in frames, often a dealer's with print above and below, and
    half of those frames have wide bars that cover the plate's edges up to its characters, so
    the dealer's name sits right under them (as a detector's band cut shows it to the reader).
    """
    us = design.style == "us"
    if rng.random() < (0.2 if us else 0.45):
        return None
    scale = design.height / 110.0
    colour = jitter(_BLACK if rng.random() < 0.7 else _CHROME, rng, 20)
    side = float(rng.uniform(2.0, 8.0)) * scale
    top = float(rng.uniform(2.0, 8.0)) * scale
    bottom = float(rng.uniform(2.0, 8.0)) * scale
    items: list[Item] = []
    if rng.random() < (0.5 if us else 0.35):
        ink = jitter((230, 230, 230) if colour[0] < 100 else (30, 30, 30), rng, 25)
        if rng.random() < (0.5 if us else 0.15):
            return _covering(design, side, colour, ink, scale, rng)
        bottom = float(rng.uniform(10.0, 20.0)) * scale
        if rng.random() < (0.5 if us else 0.3):
            top = float(rng.uniform(8.0, 14.0)) * scale
            band = Rect(side + 0.2 * design.width, 0.15 * top, 0.6 * design.width, 0.7 * top)
            items.append(Text(_dealer(rng), band, ink, "text"))
        y = top + design.height + 0.15 * bottom
        band = Rect(side + 0.1 * design.width, y, 0.8 * design.width, 0.7 * bottom)
        items.append(Text(_dealer(rng), band, ink, pick(rng, ["text", "display"])))
    return Mount(side, top, side, bottom, colour, tuple(items))


def _covering(
    design: PlateDesign,
    side: float,
    colour: Colour,
    ink: Colour,
    scale: float,
    rng: np.random.Generator,
) -> Mount:
    """A dealer's frame whose bars cover the plate's top and bottom margins (never a label
    character), its name in bold on the bottom bar just under the characters."""
    gap = 0.03 * design.height
    chars_top = min(c.box.y for c in design.chars)
    chars_bottom = max(c.box.y + c.box.h for c in design.chars)
    top = float(rng.uniform(2.0, 6.0)) * scale
    bottom = float(rng.uniform(3.0, 10.0)) * scale
    width = design.width + 2 * side
    cover_top = float(rng.uniform(0.0, 0.7)) * max(0.0, chars_top - gap)
    cover_bottom = float(rng.uniform(0.5, 1.0)) * max(0.0, design.height - chars_bottom - gap)
    bar_y = top + design.height - cover_bottom
    bar_h = cover_bottom + bottom
    front: list[Item] = [
        Fill(Rect(0.0, 0.0, width, top + cover_top), colour),
        Fill(Rect(0.0, bar_y, width, bar_h), colour),
    ]
    band = Rect(side + 0.08 * design.width, bar_y + 0.12 * bar_h, 0.84 * design.width, 0.7 * bar_h)
    front.append(Text(_dealer(rng), band, ink, pick(rng, ["display", "text"])))
    if top + cover_top > 8.0 * scale and rng.random() < 0.5:
        band = Rect(
            side + 0.2 * design.width,
            0.15 * (top + cover_top),
            0.6 * design.width,
            0.7 * (top + cover_top),
        )
        front.append(Text(_dealer(rng), band, ink, "text"))
    return Mount(side, top, side, bottom, colour, (), tuple(front))
