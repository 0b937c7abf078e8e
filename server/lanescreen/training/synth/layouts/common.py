"""Shared layout tools: random plate numbers from patterns, and a row of cells with separators."""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from ..elements import Char, Colour, Disc, Fill, Item, Rect

LETTERS = string.ascii_uppercase
DIGITS = string.digits

WHITE: Colour = (245, 245, 245)
BLACK: Colour = (25, 25, 25)
BLUE_EU: Colour = (153, 51, 0)
YELLOW: Colour = (20, 205, 250)

T = TypeVar("T")

MarkPainter = Callable[[float, float, float, float, np.random.Generator], list[Item]]
"""Draws a separator mark centred at (x, y) in a w x h slot."""


def pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    return options[int(rng.random() * len(options))]


def jitter(colour: Colour, rng: np.random.Generator, amount: int = 12) -> Colour:
    """The colour with each channel moved by up to ``amount``: no two plates are printed alike."""
    db, dg, dr = (int(v * (2 * amount + 1)) - amount for v in rng.random(3))
    b, g, r = colour
    return (min(255, max(0, b + db)), min(255, max(0, g + dg)), min(255, max(0, r + dr)))


def fill_pattern(
    pattern: str,
    rng: np.random.Generator,
    *,
    letters: str = LETTERS,
    digits: str = DIGITS,
    p_digit: float = 0.5,
) -> str:
    """``@`` a letter, ``#`` a digit, ``*`` either; anything else is kept (separators)."""
    out = []
    for ch in pattern:
        if ch == "@":
            out.append(pick(rng, letters))
        elif ch == "#":
            out.append(pick(rng, digits))
        elif ch == "*":
            out.append(pick(rng, digits) if rng.random() < p_digit else pick(rng, letters))
        else:
            out.append(ch)
    return "".join(out)


def dash(x: float, y: float, w: float, h: float, colour: Colour) -> list[Item]:
    return [Fill(Rect(x - 0.3 * w, y - 0.045 * h, 0.6 * w, 0.09 * h), colour)]


def dot(x: float, y: float, w: float, h: float, colour: Colour) -> list[Item]:
    return [Disc(x, y, min(0.07 * h, 0.35 * w), colour)]


@dataclass(frozen=True)
class Row:
    """How a row of label characters is set: cell size, spacing, ink and font role."""

    char_h: float
    char_w: float
    gap: float
    colour: Colour
    font: str
    fill: bool = False


SEPARATOR_WIDTHS = {" ": 0.55, "-": 0.7, ".": 0.45, "|": 1.0, ":": 0.9}
"""Slot widths of separators, in character widths."""


def layout_row(
    text: str,
    area: Rect,
    row: Row,
    rng: np.random.Generator,
    *,
    marks: Mapping[str, MarkPainter] | None = None,
    align: str = "centre",
) -> list[Item]:
    """Set ``text`` (label characters and separators) in ``area``, condensing it if too long.

    Separators: space a gap, ``-`` a dash, ``.`` a dot, ``|`` and ``:`` whatever ``marks`` draws
    (an emblem, stickers). Only letters, digits and CJK characters become label characters.
    """
    widths = [row.char_w * SEPARATOR_WIDTHS.get(ch, 1.0) for ch in text]
    total = sum(widths) + row.gap * (len(text) - 1)
    squeeze = min(1.0, area.w / total) if total > 0 else 1.0
    total *= squeeze
    if align == "left":
        x = area.x
    elif align == "right":
        x = area.x + area.w - total
    else:
        x = area.x + (area.w - total) / 2
    y = area.y + (area.h - row.char_h) / 2
    items: list[Item] = []
    for ch, width in zip(text, widths, strict=True):
        w = width * squeeze
        cx, cy = x + w / 2, y + row.char_h / 2
        if ch.isalnum():
            items.append(Char(ch, Rect(x, y, w, row.char_h), row.colour, row.font, row.fill))
        elif ch == "-":
            items.extend(dash(cx, cy, w, row.char_h, row.colour))
        elif ch == ".":
            items.extend(dot(cx, cy, w, row.char_h, row.colour))
        elif marks and ch in marks:
            items.extend(marks[ch](cx, cy, w, row.char_h, rng))
        x += w + row.gap * squeeze
    return items


def stickers(x: float, y: float, w: float, h: float, rng: np.random.Generator) -> list[Item]:
    """Round inspection and registration stickers stacked in a slot (German, Czech plates)."""
    r = min(0.5 * w, 0.23 * h)
    colours: list[Colour] = [
        (40, 140, 230), (60, 170, 60), (180, 100, 40), (40, 60, 200), (150, 150, 150), (90, 60, 160),
    ]  # fmt: skip
    items: list[Item] = []
    for dy in (-0.26 * h, 0.26 * h) if rng.random() < 0.75 else (0.22 * h,):
        items.append(Disc(x, y + dy, r, jitter(pick(rng, colours), rng, 30)))
        if rng.random() < 0.3:
            items.append(Disc(x, y + dy, 0.5 * r, jitter(pick(rng, colours), rng, 40)))
    return items


def emblem(x: float, y: float, w: float, h: float, rng: np.random.Generator) -> list[Item]:
    """A coat of arms or state emblem between character groups: coloured shapes, no text."""
    r = min(0.45 * w, 0.3 * h)
    outer = jitter(pick(rng, [(40, 40, 200), (150, 60, 20), (40, 130, 40), (30, 160, 220)]), rng)
    items: list[Item] = [Fill(Rect(x - r, y - 1.1 * r, 2 * r, 2.2 * r), outer, radius=0.6 * r)]
    if rng.random() < 0.7:
        items.append(Disc(x, y - 0.1 * r, 0.55 * r, jitter(WHITE, rng, 30)))
    return items
