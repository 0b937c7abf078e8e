"""Brazilian plates, 400 x 130 mm: the grey ``ABC-1234`` series and the Mercosur ``ABC1D23``.

Old plates carry the state and city in a band above the number; Mercosur plates a blue band
reading BRASIL with the Mercosur emblem and the flag. Neither band is part of the number.
"""

from __future__ import annotations

import numpy as np

from ..elements import Colour, Disc, Fill, Item, Outline, PlateDesign, Polygon, Rect, Text
from .common import BLACK, WHITE, Row, fill_pattern, jitter, layout_row, pick

WIDTH, HEIGHT = 400.0, 130.0
GREY: Colour = (178, 180, 182)
BLUE_MERCOSUR: Colour = (150, 60, 10)

CITIES = (
    "SP - SAO PAULO", "RJ - RIO DE JANEIRO", "MG - BELO HORIZONTE", "PR - CURITIBA",
    "RS - PORTO ALEGRE", "BA - SALVADOR", "SC - FLORIANOPOLIS", "PE - RECIFE", "CE - FORTALEZA",
    "GO - GOIANIA", "DF - BRASILIA", "SP - CAMPINAS", "SP - SANTOS", "MG - UBERLANDIA",
    "PA - BELEM", "AM - MANAUS", "ES - VITORIA", "PR - LONDRINA", "SP - SOROCABA",
)  # fmt: skip


def br_old(rng: np.random.Generator) -> PlateDesign:
    """Grey (private) or red (commercial) plate, city band on top, ``ABC-1234``."""
    red = rng.random() < 0.12
    bg = jitter((40, 40, 185) if red else GREY, rng, 18)
    ink = jitter(WHITE if red else BLACK, rng, 15)
    items: list[Item] = [Fill(Rect(0, 0, WIDTH, HEIGHT), bg)]
    items.append(Outline(Rect(2, 2, WIDTH - 4, HEIGHT - 4), 2.0, ink, radius=4.0))
    items.append(Text(pick(rng, CITIES), Rect(60, 6, 280, 20), ink, "text"))
    items += [
        Disc(30.0, 16.0, 4.0, jitter(bg, rng, 30)),
        Disc(370.0, 16.0, 4.0, jitter(bg, rng, 30)),
    ]
    text = fill_pattern("@@@-####", rng)
    row = Row(float(rng.uniform(66, 74)), 43.0, 4.0, ink, "din")
    items += layout_row(text, Rect(12, 32, WIDTH - 24, 92), row, rng)
    return PlateDesign("br_old", WIDTH, HEIGHT, tuple(items))


def _mercosur_band(width: float, rng: np.random.Generator) -> list[Item]:
    blue = jitter(BLUE_MERCOSUR, rng, 25)
    items: list[Item] = [Fill(Rect(0, 0, width, 30), blue, radius=3.0)]
    items.append(Text("BRASIL", Rect(width / 2 - 50, 5, 100, 20), WHITE, "text"))
    items += [Disc(20.0, 15.0, 9.0, WHITE), Disc(20.0, 15.0, 6.0, blue)]
    fx = width - 38.0
    items.append(Fill(Rect(fx, 6, 30, 18), jitter((60, 150, 20), rng, 20)))
    diamond = ((fx + 3, 15.0), (fx + 15, 8.0), (fx + 27, 15.0), (fx + 15, 22.0))
    items.append(Polygon(diamond, jitter((20, 210, 245), rng, 20)))
    items.append(Disc(fx + 15, 15.0, 4.0, jitter((140, 60, 20), rng, 20)))
    return items


def br_mercosur(rng: np.random.Generator) -> PlateDesign:
    """White plate with the blue BRASIL band; ``ABC1D23``; rarely two rows (motorcycles)."""
    roll = rng.random()
    ink = jitter(BLACK if roll < 0.85 else (30, 30, 190) if roll < 0.93 else (120, 60, 20), rng, 15)
    text = fill_pattern("@@@#@##", rng)
    if rng.random() < 0.05:
        width, height = 200.0, 170.0
        items: list[Item] = [Fill(Rect(0, 0, width, height), jitter(WHITE, rng, 10))]
        items += _mercosur_band(width, rng)
        row = Row(56.0, 40.0, 4.0, ink, "din")
        items += layout_row(text[:3], Rect(10, 36, width - 20, 62), row, rng)
        items += layout_row(text[3:], Rect(10, 102, width - 20, 62), row, rng)
        return PlateDesign("br_mercosur", width, height, tuple(items), rows=2)
    items = [Fill(Rect(0, 0, WIDTH, HEIGHT), jitter(WHITE, rng, 10)), *_mercosur_band(WIDTH, rng)]
    items.append(Outline(Rect(1.5, 1.5, WIDTH - 3, HEIGHT - 3), 1.5, jitter(BLACK, rng, 30), 4.0))
    row = Row(float(rng.uniform(62, 70)), 46.0, 4.0, ink, "din")
    items += layout_row(text, Rect(12, 36, WIDTH - 24, 90), row, rng)
    return PlateDesign("br_mercosur", WIDTH, HEIGHT, tuple(items))
