"""US plates: 12 x 6 in (305 x 152 mm), every state its own artwork.

What varies is what a reader must learn to ignore: pale backgrounds and graphics, the state's
name at the top and a slogan at the bottom in small or decorative type, registration stickers,
an emblem between character groups. The number itself is dark, condensed and about 70 mm tall,
in the common 3-4 letter-and-digit formats, vanity texts, and rarely two rows (motorcycles).
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from ..elements import Colour, Disc, Fill, Gradient, Item, PlateDesign, Polygon, Rect, Text
from .common import LETTERS, Row, emblem, fill_pattern, jitter, layout_row, pick

WIDTH, HEIGHT = 305.0, 152.0

STATES = (
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut",
    "Delaware", "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas",
    "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota",
    "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire", "New Jersey",
    "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio", "Oklahoma", "Oregon",
    "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas",
    "Utah", "Vermont", "Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming",
    "Washington, D.C.",
)  # fmt: skip
SLOGANS = (
    "Land of Lincoln", "The Empire State", "Sunshine State", "Grand Canyon State",
    "Show-Me State", "Great Lakes", "The Lone Star State", "Garden State", "Peach State",
    "Live Free or Die", "Famous Potatoes", "Green Mountain State", "Keystone State",
    "America's Dairyland", "Evergreen State", "First in Flight", "10,000 Lakes",
    "The Natural State", "Wild, Wonderful", "Pure Michigan", "Spirit of America",
    "Vacationland", "Discover Oregon", "Centennial State", "The Last Frontier", "Aloha State",
    "Ocean State", "dmv.ca.gov", "visitPA.com", "Taxation without Representation",
    "Vehicle Mfr", "Collector", "Commercial", "Dealer", "Sesquicentennial 1867-2017",
    "In God We Trust", "Bluegrass State", "Big Sky Country", "Sportsman's Paradise",
)  # fmt: skip
FORMATS = (
    "@@@-####", "@@@ ####", "@@@####", "#@@@###", "# @@@ ###", "###-@@@", "### @@@",
    "@@@-###", "@@@ ###", "@@#-@#@", "@@# @#@", "@@#|@#@", "#@@-####", "@@@|####",
    "###|@@@", "@@ #####", "#@@ @##", "@@@-@##", "##@ @##",
)  # fmt: skip
SERIAL_LETTERS = LETTERS.translate(str.maketrans("", "", "IOQ"))
"""Letters of standard-issue serials: most states leave out I, O and Q (they read as 1 and 0);
vanity plates and the rest of the states use them all."""
SERIAL_WITHOUT_IOQ = 0.7
"""Share of standard-issue plates whose letters leave out I, O and Q."""
MIDDLE_MARK = 0.3
"""Share of plates whose gap or dash between character groups holds a mark instead: a state
outline, tree, flag, heart, a small sticker or bolt. A model that never saw them read them as a
character (W, I, L, R, E0: about 8 of the second shipped model's 86 US misreads)."""
SIDE_GRAPHIC = 0.15
"""Share of plates with a state graphic beside the characters (mostly on their left)."""

INKS: tuple[Colour, ...] = (
    (90, 30, 15),
    (25, 25, 25),
    (40, 25, 120),
    (35, 80, 20),
    (30, 30, 180),
    (90, 20, 70),
)
PALE: tuple[Colour, ...] = (
    (245, 245, 245),
    (215, 235, 245),
    (245, 230, 215),
    (200, 240, 250),
    (225, 225, 225),
    (240, 245, 225),
    (230, 220, 240),
)
DARK: tuple[Colour, ...] = ((110, 40, 10), (25, 25, 25), (30, 80, 20), (40, 20, 110))
STRONG: tuple[Colour, ...] = ((30, 30, 200), (150, 60, 10), (25, 25, 25), (40, 120, 30))


def _number(rng: np.random.Generator) -> str:
    """A vanity text, or a standard serial in one of the common formats (``|``: a mark)."""
    if rng.random() < 0.1:
        n = int(rng.integers(2, 8))
        return fill_pattern("*" * n, rng, p_digit=0.35)
    pattern = pick(rng, FORMATS)
    if rng.random() < MIDDLE_MARK:
        pattern = pattern.replace(" ", "|", 1).replace("-", "|", 1)
    letters = SERIAL_LETTERS if rng.random() < SERIAL_WITHOUT_IOQ else LETTERS
    return fill_pattern(pattern, rng, letters=letters)


def _outline(
    x: float, y: float, rx: float, ry: float, rng: np.random.Generator, colour: Colour
) -> Polygon:
    """A state's outline, as far as a reader can tell: an irregular blob within rx x ry."""
    n = int(rng.integers(6, 12))
    angles = np.sort(rng.uniform(0, 2 * math.pi, n))
    return Polygon(
        tuple(
            (float(x + rx * s * math.cos(a)), float(y + ry * s * math.sin(a)))
            for a, s in zip(angles, rng.uniform(0.6, 1.0, n), strict=True)
        ),
        colour,
    )


def side_graphic(
    x: float, y: float, w: float, h: float, rng: np.random.Generator, *, ink: Colour
) -> list[Item]:
    """A state's graphic beside the characters and nearly as tall, centred at (x, y) in a w x h
    slot: Arizona's cactus, a star, a mountain, a state outline or emblem. The second shipped
    model read such graphics as U, 川 or 沪 before the first character, or dropped it."""
    kind = rng.random()
    colour = ink if rng.random() < 0.3 else jitter(pick(rng, STRONG), rng, 40)
    if kind < 0.25:
        green = jitter((50, 120, 40), rng, 30)
        trunk, arm = 0.22 * w, 0.16 * w
        items: list[Item] = [
            Fill(Rect(x - trunk / 2, y - 0.45 * h, trunk, 0.9 * h), green, 0.5 * trunk)
        ]
        for side, top in ((-1, float(rng.uniform(-0.2, 0.05))), (1, float(rng.uniform(-0.3, 0.0)))):
            reach = float(rng.uniform(0.28, 0.42)) * w
            post = x + side * reach - arm / 2
            items.append(Fill(Rect(post, y + top * h, arm, 0.3 * h), green, 0.5 * arm))
            left = min(x, x + side * reach)
            items.append(Fill(Rect(left, y + (top + 0.22) * h, reach, arm), green, 0.5 * arm))
        return items
    if kind < 0.45:
        r = 0.5 * min(w, h) * float(rng.uniform(0.7, 1.0))
        points = tuple(
            (
                float(x + r * (1 if i % 2 == 0 else 0.45) * math.sin(i * math.pi / 5)),
                float(y - r * (1 if i % 2 == 0 else 0.45) * math.cos(i * math.pi / 5)),
            )
            for i in range(10)
        )
        return [Polygon(points, colour)]
    if kind < 0.65:
        base, peak = y + float(rng.uniform(0.2, 0.45)) * h, y - float(rng.uniform(0.2, 0.45)) * h
        half = 0.5 * w
        items = [Polygon(((x - half, base), (x, peak), (x + half, base)), colour)]
        if rng.random() < 0.6:
            cap = peak + 0.3 * (base - peak)
            items.append(
                Polygon(((x - 0.3 * half, cap), (x, peak), (x + 0.3 * half, cap)), (240, 240, 240))
            )
        return items
    if kind < 0.85:
        return [_outline(x, y, 0.5 * w, float(rng.uniform(0.3, 0.48)) * h, rng, colour)]
    return emblem(x, y, w, h, rng)


def middle_mark(
    x: float, y: float, w: float, h: float, rng: np.random.Generator, *, ink: Colour
) -> list[Item]:
    """What US plates put between character groups, centred at (x, y) in a w x h slot: a state
    emblem, a state outline or tree as tall as the characters, a flag, a heart, or a small
    sticker or bolt at mid-height, in the ink's colour or its own."""
    kind = rng.random()
    colour = ink if rng.random() < 0.4 else jitter(pick(rng, STRONG), rng, 40)
    if kind < 0.2:
        return emblem(x, y, w, h, rng)
    if kind < 0.45:
        # A state outline, 0.5-0.9 of the characters' height.
        r = float(rng.uniform(0.25, 0.45)) * h
        return [_outline(x, y, min(0.8 * r, 0.5 * w), r, rng, colour)]
    if kind < 0.6:
        # A tree (Oregon's fir): stacked triangles on a trunk, nearly the characters' height.
        top, half = y - 0.45 * h, float(rng.uniform(0.3, 0.45)) * w
        green = jitter((40, 110, 30), rng, 30) if rng.random() < 0.7 else colour
        items: list[Item] = [Fill(Rect(x - 0.06 * w, y + 0.25 * h, 0.12 * w, 0.2 * h), colour)]
        for i in range(3):
            y0 = top + i * 0.22 * h
            items.append(
                Polygon(((x, y0), (x + half, y0 + 0.3 * h), (x - half, y0 + 0.3 * h)), green)
            )
        return items
    if kind < 0.75:
        # A flag or a square sticker at mid-height, 0.2-0.45 of the characters' height.
        side = min(float(rng.uniform(0.2, 0.45)) * h, 0.8 * w)
        flag = Rect(x - 0.6 * side, y - 0.5 * side, 1.2 * side, side)
        items = [Fill(flag, colour, radius=0.1 * side)]
        if rng.random() < 0.5:
            inner = jitter(pick(rng, PALE), rng, 30)
            items.append(Fill(Rect(flag.x, flag.y, 0.45 * flag.w, 0.5 * side), inner))
        return items
    if kind < 0.88:
        # A heart: two discs over a triangle.
        r = min(float(rng.uniform(0.09, 0.16)) * h, 0.27 * w)
        return [
            Disc(x - 0.8 * r, y - 0.3 * r, r, colour),
            Disc(x + 0.8 * r, y - 0.3 * r, r, colour),
            Polygon(((x - 1.75 * r, y), (x + 1.75 * r, y), (x, y + 2.0 * r)), colour),
        ]
    # A bolt or a round sticker.
    bolt = jitter((70, 70, 70), rng, 30) if rng.random() < 0.5 else colour
    return [
        Disc(x, y + float(rng.uniform(-0.3, 0.1)) * h, float(rng.uniform(0.06, 0.14)) * h, bolt)
    ]


def _background(rng: np.random.Generator, dark: bool) -> list[Item]:
    plate = Rect(0, 0, WIDTH, HEIGHT)
    if dark:
        return [Fill(plate, jitter(pick(rng, DARK), rng, 20))]
    top, bottom = jitter(pick(rng, PALE), rng, 10), jitter(pick(rng, PALE), rng, 10)
    items: list[Item] = [Gradient(plate, top, bottom) if rng.random() < 0.5 else Fill(plate, top)]
    if rng.random() < 0.3:
        base = HEIGHT * rng.uniform(0.55, 0.85)
        xs = np.linspace(0, WIDTH, int(rng.integers(4, 9)))
        peaks = [(float(x), float(base - rng.uniform(0, 45))) for x in xs]
        colour = jitter(pick(rng, PALE), rng, 40)
        items.append(Polygon(((0.0, HEIGHT), *peaks, (WIDTH, HEIGHT)), colour))
    if rng.random() < 0.2:
        x, y = rng.uniform(40, 260), rng.uniform(30, 110)
        items.append(
            Disc(float(x), float(y), float(rng.uniform(20, 60)), jitter(pick(rng, PALE), rng, 40))
        )
    return items


def _decorations(rng: np.random.Generator, dark: bool, ink: Colour) -> list[Item]:
    items: list[Item] = []
    state = pick(rng, STATES)
    state = state.upper() if rng.random() < 0.5 else state
    font = "display" if rng.random() < 0.6 else "text"
    if rng.random() < 0.2:
        band = jitter(pick(rng, STRONG), rng, 30)
        items.append(Fill(Rect(0, 0, WIDTH, 32), band))
        items.append(Text(state, Rect(50, 4, 205, 24), (245, 245, 245), font))
    elif rng.random() < 0.9:
        colour = (235, 235, 235) if dark else jitter(pick(rng, STRONG), rng, 30)
        items.append(Text(state, Rect(45, 5, 215, float(rng.uniform(16, 28))), colour, font))
    if rng.random() < 0.6:
        colour = (235, 235, 235) if dark else jitter(pick(rng, (*STRONG, ink)), rng, 30)
        h = float(rng.uniform(9, 15))
        items.append(Text(pick(rng, SLOGANS), Rect(40, 146 - h, 225, h), colour, "text"))
    for x in (8.0, WIDTH - 48.0):
        if rng.random() < 0.4:
            sticker = jitter(pick(rng, ((40, 180, 240), (60, 160, 60), (200, 120, 40))), rng, 40)
            items.append(Fill(Rect(x, 8, 40, 24), sticker, radius=2.0))
            items.append(
                Text(
                    fill_pattern(pick(rng, ["##", "@@@", "#"]), rng),
                    Rect(x + 5, 11, 30, 18),
                    (20, 20, 20),
                )
            )
    bolt = jitter((70, 70, 70), rng, 30)
    if rng.random() < 0.7:
        items += [Disc(63.0, 16.0, 4.0, bolt), Disc(242.0, 16.0, 4.0, bolt)]
    return items


def us(rng: np.random.Generator) -> PlateDesign:
    """One US plate; about 3 in 100 are two-row motorcycle plates."""
    dark = rng.random() < 0.08
    if dark:
        ink = jitter(pick(rng, ((240, 240, 240), (40, 200, 245))), rng, 12)
    else:
        ink = jitter(pick(rng, INKS), rng, 15)
    if rng.random() < 0.03:
        return _motorcycle(rng, dark, ink)
    items = _background(rng, dark)
    items += _decorations(rng, dark, ink)
    char_h = float(rng.uniform(60, 74))
    row = Row(char_h, float(rng.uniform(30, 36)), float(rng.uniform(2, 6)), ink, "us")
    area = Rect(10, 34 + (78 - char_h) / 2, WIDTH - 20, char_h + 6)
    number = _number(rng)
    if rng.random() < SIDE_GRAPHIC:
        number = f":{number}" if rng.random() < 0.8 else f"{number}:"
    marks = {"|": partial(middle_mark, ink=ink), ":": partial(side_graphic, ink=ink)}
    items += layout_row(number, area, row, rng, marks=marks)
    return PlateDesign("us", WIDTH, HEIGHT, tuple(items), corner_radius=8.0)


def _motorcycle(rng: np.random.Generator, dark: bool, ink: Colour) -> PlateDesign:
    """7 x 4 in, state name on top, the number in two rows."""
    width, height = 178.0, 102.0
    bg = jitter(pick(rng, DARK if dark else PALE), rng, 12)
    state = pick(rng, STATES).upper()
    colour = (235, 235, 235) if dark else jitter(pick(rng, STRONG), rng, 30)
    items: list[Item] = [
        Fill(Rect(0, 0, width, height), bg),
        Text(state, Rect(20, 3, 138, 14), colour),
    ]
    top = fill_pattern(pick(rng, ["@@@", "###", "@@", "#@@"]), rng)
    bottom = fill_pattern(pick(rng, ["###", "####", "@@#", "##"]), rng)
    row = Row(34.0, 24.0, 3.0, ink, "us")
    items += layout_row(top, Rect(8, 20, width - 16, 38), row, rng)
    items += layout_row(bottom, Rect(8, 60, width - 16, 38), row, rng)
    return PlateDesign("us", width, height, tuple(items), rows=2, corner_radius=6.0)
