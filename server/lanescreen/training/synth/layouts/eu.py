"""European plates: German (DIN), UK, and a generic EU plate with each country's number format.

520 x 110 mm, dark characters on white (yellow for Dutch, Luxembourg and UK rear plates), the
blue EU band with the country code on the left; French, Italian and Portuguese plates carry a
second band on the right whose small print is not part of the number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..elements import Colour, Disc, Fill, Item, Outline, PlateDesign, Rect, Stars, Text
from .common import (
    BLACK,
    BLUE_EU,
    LETTERS,
    WHITE,
    YELLOW,
    MarkPainter,
    Row,
    emblem,
    fill_pattern,
    jitter,
    layout_row,
    pick,
    stickers,
)

WIDTH, HEIGHT = 520.0, 110.0
BAND_W = 42.0


@dataclass(frozen=True)
class Country:
    """A country's plate numbers: patterns (``|`` an emblem, ``:`` stickers) and colours."""

    code: str
    patterns: tuple[str, ...]
    background: Colour = WHITE
    ink: Colour = BLACK
    letters: str = LETTERS
    right_band: str = ""
    band: bool = True


_CONSONANTS = "BCDFGHJKLMNPRSTVWXYZ"
_CYRILLIC_LIKE = "ABEKMHOPCTYX"

COUNTRIES: tuple[Country, ...] = (
    Country("SK", ("@@-###@@", "@@|###@@", "@@###@@")),
    Country("CZ", ("#@# ####", "#@#:####", "#@@ ####")),
    Country("PL", ("@@ #####", "@@ ####@", "@@@ ####", "@@@ ##@@", "@@ ###@@")),
    Country("F", ("@@-###-@@",), right_band="fr"),
    Country("I", ("@@ ###@@",), right_band="it"),
    Country("E", ("#### @@@",), letters=_CONSONANTS),
    Country("NL", ("##-@@@-#", "@@-###-@", "#-@@@-##", "@@-##-@@", "##-@@-@@"), (25, 190, 245)),
    Country("B", ("#-@@@-###",), ink=(40, 30, 180)),
    Country("A", ("@ #####@", "@@ ###@@", "@@|###@")),
    Country("H", ("@@@-###", "@@ @@-###")),
    Country("RO", ("@ ### @@@", "@@ ## @@@")),
    Country("P", ("@@-##-@@", "##-@@-##"), right_band="pt"),
    Country("HR", ("@@ ###-@@", "@@|###-@@")),
    Country("SLO", ("@@|@@-###",)),
    Country("LT", ("@@@ ###",)),
    Country("LV", ("@@-####",)),
    Country("EST", ("### @@@",)),
    Country("BG", ("@@ #### @@",), letters=_CYRILLIC_LIKE),
    Country("DK", ("@@ ## ###",)),
    Country("S", ("@@@ ##@", "@@@ ###")),
    Country("FIN", ("@@@-###",)),
    Country("L", ("@@ ####",), YELLOW),
    Country("IRL", ("###-@@-####", "##-@-#####")),
    Country("GR", ("@@@-####",), letters=_CYRILLIC_LIKE),
    Country("CH", ("@@ ######", "@@ ####"), band=False),
    Country("UA", ("@@ #### @@",), letters=_CYRILLIC_LIKE, band=False),
)


def eu_band(
    code: str, height: float, rng: np.random.Generator, *, stars: bool = True
) -> list[Item]:
    """The blue band on the left: stars above the country code."""
    blue = jitter(BLUE_EU, rng, 25)
    items: list[Item] = [Fill(Rect(1.5, 1.5, BAND_W, height - 3), blue, radius=3.0)]
    if stars:
        items.append(Stars(1.5 + BAND_W / 2, 0.33 * height, 0.13 * height, jitter(YELLOW, rng)))
    code_h = 0.3 * height if len(code) < 3 else 0.24 * height
    items.append(Text(code, Rect(4.0, 0.6 * height, BAND_W - 5, code_h), WHITE, "text"))
    return items


def _base(bg: Colour, rng: np.random.Generator, height: float = HEIGHT) -> list[Item]:
    line = jitter(BLACK, rng, 20)
    items: list[Item] = [Fill(Rect(0, 0, WIDTH, height), bg)]
    if rng.random() < 0.85:
        items.append(Outline(Rect(1.0, 1.0, WIDTH - 2, height - 2), 2.5, line, radius=4.0))
    return items


def eu_de(rng: np.random.Generator) -> PlateDesign:
    """German plate: district, stickers, letters, digits, optional E/H; DIN-like lettering."""
    district = fill_pattern("@" * int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25])), rng)
    letters = fill_pattern("@" * int(rng.choice([1, 2], p=[0.35, 0.65])), rng)
    room = 8 - len(district) - len(letters)
    digits = fill_pattern("#" * int(rng.integers(1, min(4, room) + 1)), rng)
    digits = digits.lstrip("0") or "1"
    suffix = ""
    if len(district) + len(letters) + len(digits) < 8 and rng.random() < 0.08:
        suffix = pick(rng, "EH")
    separator = ":" if rng.random() < 0.85 else "-"
    text = f"{district}{separator}{letters} {digits}{suffix}"
    items = [*_base(jitter(WHITE, rng, 10), rng), *eu_band("D", HEIGHT, rng)]
    row = Row(75.0, 47.5, 2.5, jitter(BLACK, rng, 15), "din")
    area = Rect(BAND_W + 5, 5.0, WIDTH - BAND_W - 10, HEIGHT - 10)
    items += layout_row(text, area, row, rng, marks={":": stickers})
    return PlateDesign("eu_de", WIDTH, HEIGHT, tuple(items))


def eu_uk(rng: np.random.Generator) -> PlateDesign:
    """UK: white front or yellow rear, ``AB12 CDE`` (or older prefix/suffix forms)."""
    letters = "ABCDEFGHJKLMNOPRSTUVWXYZ"
    pattern = pick(rng, ["@@## @@@"] * 6 + ["@### @@@", "@@@ ###@"])
    text = fill_pattern(pattern, rng, letters=letters)
    bg = jitter(YELLOW, rng, 20) if rng.random() < 0.55 else jitter(WHITE, rng, 10)
    items = _base(bg, rng)
    left = 8.0
    if rng.random() < 0.5:
        items += eu_band(pick(rng, ["GB", "UK", "GB"]), HEIGHT, rng, stars=rng.random() < 0.4)
        left = BAND_W + 5
    row = Row(79.0, 50.0, 3.0, jitter(BLACK, rng, 15), "uk")
    items += layout_row(text, Rect(left, 5.0, WIDTH - left - 8, HEIGHT - 10), row, rng)
    return PlateDesign("eu_uk", WIDTH, HEIGHT, tuple(items))


def _right_band(kind: str, height: float, rng: np.random.Generator) -> list[Item]:
    x = WIDTH - 1.5 - BAND_W
    if kind == "pt":
        colour: Colour = jitter(YELLOW, rng, 20)
        ink: Colour = BLACK
    else:
        colour, ink = jitter(BLUE_EU, rng, 25), WHITE
    items: list[Item] = [Fill(Rect(x, 1.5, BAND_W, height - 3), colour, radius=3.0)]
    small = fill_pattern(pick(rng, ["##", "@@", "#"]), rng)
    if kind == "fr":
        items.append(Disc(x + BAND_W / 2, 0.33 * height, 0.14 * height, jitter((60, 60, 200), rng)))
    else:
        items.append(Text(fill_pattern("##", rng), Rect(x + 5, 6, BAND_W - 10, 0.25 * height), ink))
    items.append(Text(small, Rect(x + 5, 0.6 * height, BAND_W - 10, 0.3 * height), ink))
    return items


def eu_generic(rng: np.random.Generator) -> PlateDesign:
    """Another European country's plate, in its own number format; a few square two-row ones."""
    country = pick(rng, COUNTRIES)
    text = fill_pattern(pick(rng, country.patterns), rng, letters=country.letters)
    ink = jitter(country.ink, rng, 15)
    marks: dict[str, MarkPainter] = {"|": emblem, ":": stickers}
    if rng.random() < 0.08 and any(ch in text for ch in " -|:"):
        return _square(country, text, ink, marks, rng)
    items = _base(jitter(country.background, rng, 12), rng)
    left, right = 8.0, WIDTH - 8.0
    if country.band or rng.random() < 0.3:
        items += eu_band(country.code, HEIGHT, rng, stars=country.band)
        left = BAND_W + 5
    if country.right_band:
        items += _right_band(country.right_band, HEIGHT, rng)
        right = WIDTH - BAND_W - 5
    row = Row(float(rng.uniform(70, 78)), 46.0, 3.0, ink, "din")
    items += layout_row(text, Rect(left, 5.0, right - left, HEIGHT - 10), row, rng, marks=marks)
    return PlateDesign("eu_generic", WIDTH, HEIGHT, tuple(items))


def _square(
    country: Country,
    text: str,
    ink: Colour,
    marks: dict[str, MarkPainter],
    rng: np.random.Generator,
) -> PlateDesign:
    """A square (280 x 200 mm) plate: the number split in two rows at its first separator."""
    width, height = 280.0, 200.0
    cut = min(text.index(ch) for ch in " -|:" if ch in text)
    top, bottom = text[:cut], text[cut + 1 :]
    items: list[Item] = [Fill(Rect(0, 0, width, height), jitter(country.background, rng, 12))]
    items.append(Outline(Rect(1, 1, width - 2, height - 2), 2.5, jitter(BLACK, rng, 20), 4.0))
    left = 8.0
    if country.band:
        items += eu_band(country.code, height, rng)
        left = BAND_W + 5
    row = Row(80.0, 44.0, 3.0, ink, "din")
    items += layout_row(top, Rect(left, 8, width - left - 8, 90), row, rng, marks=marks)
    items += layout_row(bottom, Rect(left, 102, width - left - 8, 90), row, rng, marks=marks)
    return PlateDesign("eu_generic", width, height, tuple(items), rows=2)
