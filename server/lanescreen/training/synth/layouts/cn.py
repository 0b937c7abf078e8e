"""Chinese plates after GA 36: blue, yellow (one and two rows), green new-energy, police, HK/Macau.

Single-row plates are 440 x 140 mm with seven 45 x 90 mm cells, 12 mm apart, and a 34 mm gap
holding a dot after the second; new-energy plates are 480 mm wide with eight 43 mm cells and a
mark instead of the dot. Serial letters skip I and O, as on real plates.
"""

from __future__ import annotations

import numpy as np

from lanescreen.domain.plates import CN_PROVINCES

from ..elements import Char, Colour, Disc, Fill, Gradient, Item, Outline, PlateDesign, Rect
from .common import BLACK, DIGITS, WHITE, jitter, pick

SERIAL_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
"""Letters on Chinese plates: never I or O (they read as 1 and 0)."""
SPECIALS = "学警挂港澳"
"""Suffix characters rendered: coach-car, police, trailer, Hong Kong, Macau."""

BLUE: Colour = (190, 75, 15)
YELLOW: Colour = (15, 190, 245)
GREEN: Colour = (95, 185, 60)
GREEN_PALE: Colour = (225, 245, 225)
RED: Colour = (30, 30, 200)


def _serial(rng: np.random.Generator, n: int, p_digit: float = 0.7) -> str:
    return "".join(
        pick(rng, DIGITS) if rng.random() < p_digit else pick(rng, SERIAL_LETTERS) for _ in range(n)
    )


def _head(rng: np.random.Generator) -> str:
    """Province (all 31 equally likely) and the issuing office's letter."""
    return pick(rng, CN_PROVINCES) + pick(rng, SERIAL_LETTERS)


def _cell(ch: str, box: Rect, colour: Colour) -> Char:
    cjk = not ch.isascii()
    return Char(ch, box, colour, "hanzi" if cjk else "cn", fill=cjk)


def _single_row(
    text: str, width: float, ink: Colour, mark: list[Item] | None = None
) -> tuple[list[Item], float, float]:
    """Cells for a single-row plate; returns them and the separator gap's centre (x, y)."""
    n = len(text)
    cell_w, gap = (45.0, 12.0) if n == 7 else (43.0, 9.0)
    margin = 15.5 if n == 7 else 15.0
    sep = width - 2 * margin - n * cell_w - (n - 2) * gap
    items: list[Item] = []
    x = margin
    for i, ch in enumerate(text):
        items.append(_cell(ch, Rect(x, 25.0, cell_w, 90.0), ink))
        x += cell_w + (sep if i == 1 else gap)
    sep_x = margin + 2 * cell_w + gap + sep / 2
    return items, sep_x, 70.0


def _frame(width: float, height: float, colour: Colour, rng: np.random.Generator) -> list[Item]:
    if rng.random() < 0.15:
        return []
    return [Outline(Rect(2.0, 2.0, width - 4, height - 4), 2.0, colour, radius=5.0)]


def _rivets(width: float, bg: Colour, rng: np.random.Generator) -> list[Item]:
    if rng.random() < 0.4:
        return []
    colour = jitter((185, 185, 185), rng, 40) if rng.random() < 0.6 else jitter(bg, rng, 25)
    xs = (0.25 * width, 0.75 * width) if rng.random() < 0.5 else (0.3 * width, 0.7 * width)
    return [Disc(x + rng.uniform(-8, 8), 12.5, 4.5, colour) for x in xs]


def _plate(
    style: str, text: str, bg: list[Item], ink: Colour, line: Colour, rng: np.random.Generator
) -> PlateDesign:
    width = 480.0 if len(text) == 8 else 440.0
    cells, sep_x, sep_y = _single_row(text, width, ink)
    first = bg[0]
    back = (
        first.colour
        if isinstance(first, Fill)
        else first.end
        if isinstance(first, Gradient)
        else ink
    )
    items: list[Item] = [*bg, *_frame(width, 140.0, line, rng), *_rivets(width, back, rng)]
    if len(text) == 8:
        if rng.random() < 0.85:
            items += [Disc(sep_x, sep_y, 9.0, jitter(GREEN, rng)), Disc(sep_x, sep_y, 5.0, WHITE)]
    else:
        items.append(Disc(sep_x, sep_y, 5.0, ink))
    return PlateDesign(style, width, 140.0, (*items, *cells))


def cn_blue(rng: np.random.Generator) -> PlateDesign:
    """Small cars: white on blue, province + letter + 5."""
    bg = jitter(BLUE, rng, 40)
    text = _head(rng) + _serial(rng, 5)
    ink = jitter(WHITE, rng, 15)
    return _plate("cn_blue", text, [Fill(Rect(0, 0, 440, 140), bg)], ink, ink, rng)


def cn_yellow(rng: np.random.Generator) -> PlateDesign:
    """Large vehicles, coaches, trailers: black on yellow; rear plates often in two rows."""
    bg = jitter(YELLOW, rng, 25)
    ink = jitter(BLACK, rng, 15)
    roll = rng.random()
    suffix = "学" if roll < 0.1 else "挂" if roll > 0.88 else ""
    text = _head(rng) + _serial(rng, 5 - len(suffix)) + suffix
    if suffix == "学" or rng.random() < 0.55:
        return _plate("cn_yellow", text, [Fill(Rect(0, 0, 440, 140), bg)], ink, ink, rng)
    return _two_row(text, bg, ink, rng)


def _two_row(text: str, bg: Colour, ink: Colour, rng: np.random.Generator) -> PlateDesign:
    """440 x 220 mm: province and office letter in 80 x 60 cells on top, the serial below."""
    items: list[Item] = [Fill(Rect(0, 0, 440, 220), bg), *_frame(440.0, 220.0, ink, rng)]
    items += _rivets(440.0, bg, rng)
    if rng.random() < 0.5:
        items.append(Disc(220.0, 45.0, 5.0, ink))
    items += [
        _cell(text[0], Rect(100, 15, 80, 60), ink),
        _cell(text[1], Rect(260, 15, 80, 60), ink),
    ]
    for i, ch in enumerate(text[2:]):
        items.append(_cell(ch, Rect(27.5 + i * 80.0, 95.0, 65.0, 110.0), ink))
    return PlateDesign("cn_yellow", 440.0, 220.0, tuple(items), rows=2)


def cn_green(rng: np.random.Generator) -> PlateDesign:
    """New-energy: 8 characters; small cars on gradient green (D/F then 5), large on yellow-green."""
    ink = jitter(BLACK, rng, 15)
    energy = pick(rng, "DF")
    green, pale = jitter(GREEN, rng, 25), jitter(GREEN_PALE, rng, 15)
    if rng.random() < 0.75:
        second = pick(rng, DIGITS) if rng.random() < 0.6 else pick(rng, SERIAL_LETTERS)
        text = _head(rng) + energy + second + _serial(rng, 4, p_digit=1.0)
        start, end = (pale, green) if rng.random() < 0.5 else (green, pale)
        bg: list[Item] = [Gradient(Rect(0, 0, 480, 140), start, end, vertical=True)]
    else:
        text = _head(rng) + _serial(rng, 5, p_digit=1.0) + energy
        bg = [Fill(Rect(0, 0, 480, 140), green), Fill(Rect(0, 0, 131, 140), jitter(YELLOW, rng))]
    return _plate("cn_green", text, bg, ink, ink, rng)


def cn_white(rng: np.random.Generator) -> PlateDesign:
    """Police: black on white with a red 警 last."""
    ink = jitter(BLACK, rng, 15)
    text = _head(rng) + _serial(rng, 4)
    design = _plate("cn_white", text + "警", [Fill(Rect(0, 0, 440, 140), WHITE)], ink, ink, rng)
    items = tuple(
        Char(it.char, it.box, jitter(RED, rng), it.font, it.fill)
        if isinstance(it, Char) and it.char == "警"
        else it
        for it in design.items
    )
    return PlateDesign(design.style, design.width, design.height, items)


def cn_black(rng: np.random.Generator) -> PlateDesign:
    """Cross-border cars from Hong Kong and Macau: white on black, 粤Z + 4 + 港 or 澳."""
    ink = jitter(WHITE, rng, 15)
    text = "粤Z" + _serial(rng, 4) + pick(rng, "港澳")
    bg = jitter((25, 25, 25), rng, 10)
    return _plate("cn_black", text, [Fill(Rect(0, 0, 440, 140), bg)], ink, ink, rng)
