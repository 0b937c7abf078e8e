"""What holds a plate: bare, a plain holder, or a dealer's frame with its name and phone number.

Frames matter to a reader because the detector's crop includes them: their edges sit next to the
first and last characters, and their small print (letters and digits) is never part of the label.
"""

from __future__ import annotations

import numpy as np

from .elements import Colour, Item, Mount, PlateDesign, Rect, Text
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

    US plates are mostly seen in frames, often a dealer's with print above and below.
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
        bottom = float(rng.uniform(10.0, 20.0)) * scale
        if rng.random() < (0.5 if us else 0.3):
            top = float(rng.uniform(8.0, 14.0)) * scale
            band = Rect(side + 0.2 * design.width, 0.15 * top, 0.6 * design.width, 0.7 * top)
            items.append(Text(_dealer(rng), band, ink, "text"))
        y = top + design.height + 0.15 * bottom
        band = Rect(side + 0.1 * design.width, y, 0.8 * design.width, 0.7 * bottom)
        items.append(Text(_dealer(rng), band, ink, pick(rng, ["text", "display"])))
    return Mount(side, top, side, bottom, colour, tuple(items))
