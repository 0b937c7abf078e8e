"""What a plate is drawn from: label characters in their cells plus decorations, in millimetres.

Layouts describe a plate once, in the units its standard uses; the painter turns the description
into pixels at whatever scale a sample needs. The label is read off the ``Char`` items in order,
so the text and what is drawn cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

Colour = tuple[int, int, int]
"""BGR, 0-255, as OpenCV holds it."""


@dataclass(frozen=True)
class Rect:
    """Axis-aligned rectangle in millimetres, origin at the plate's top-left corner."""

    x: float
    y: float
    w: float
    h: float

    def shifted(self, dx: float, dy: float) -> Rect:
        return Rect(self.x + dx, self.y + dy, self.w, self.h)


@dataclass(frozen=True)
class Char:
    """One label character drawn in its cell.

    ``fill`` stretches the glyph's ink over the whole cell (Chinese characters on plates are
    narrow and tall); otherwise the ink fills the cell's height and keeps the font's proportions,
    at most the cell's width (so ``1`` stays a narrow stroke in a wide cell, as on real plates).
    """

    char: str
    box: Rect
    colour: Colour
    font: str
    fill: bool = False


@dataclass(frozen=True)
class Text:
    """Decoration text (state names, slogans, dealer names): drawn, never part of the label."""

    text: str
    box: Rect
    colour: Colour
    font: str = "text"
    align: str = "centre"


@dataclass(frozen=True)
class Fill:
    rect: Rect
    colour: Colour
    radius: float = 0.0


@dataclass(frozen=True)
class Gradient:
    """A linear blend from ``start`` to ``end``, top to bottom or left to right."""

    rect: Rect
    start: Colour
    end: Colour
    vertical: bool = True


@dataclass(frozen=True)
class Outline:
    rect: Rect
    width: float
    colour: Colour
    radius: float = 0.0


@dataclass(frozen=True)
class Disc:
    x: float
    y: float
    r: float
    colour: Colour


@dataclass(frozen=True)
class Polygon:
    points: tuple[tuple[float, float], ...]
    colour: Colour


@dataclass(frozen=True)
class Stars:
    """The EU band's ring of twelve stars, drawn as dots: at plate resolutions that is what shows."""

    x: float
    y: float
    r: float
    colour: Colour


Item = Char | Text | Fill | Gradient | Outline | Disc | Polygon | Stars


def shift_item(item: Item, dx: float, dy: float) -> Item:
    """The same item moved by (dx, dy) millimetres."""
    match item:
        case Char() | Text():
            return replace(item, box=item.box.shifted(dx, dy))
        case Fill() | Gradient() | Outline():
            return replace(item, rect=item.rect.shifted(dx, dy))
        case Disc() | Stars():
            return replace(item, x=item.x + dx, y=item.y + dy)
        case Polygon():
            return replace(item, points=tuple((x + dx, y + dy) for x, y in item.points))


@dataclass(frozen=True)
class PlateDesign:
    """A plate as its layout describes it: size, items in drawing order, rows of label text."""

    style: str
    width: float
    height: float
    items: tuple[Item, ...]
    rows: int = 1
    corner_radius: float = 4.0

    @property
    def chars(self) -> tuple[Char, ...]:
        return tuple(item for item in self.items if isinstance(item, Char))

    @property
    def text(self) -> str:
        """The label: label characters in reading order (top row, then bottom row)."""
        return "".join(c.char for c in self.chars)

    @property
    def text_height(self) -> float:
        """Height of the tallest label character, which sets the sample's scale."""
        return max(c.box.h for c in self.chars)


@dataclass(frozen=True)
class Mount:
    """What holds the plate on the vehicle: a frame around it, possibly with a dealer's text."""

    left: float
    top: float
    right: float
    bottom: float
    colour: Colour
    items: tuple[Item, ...] = ()
    """Drawn on the frame, in the mount's coordinates (plate's top-left at (left, top))."""
    front: tuple[Item, ...] = ()
    """Drawn over the plate, in the same coordinates: a frame's bars that cover the plate's
    edges, and the print on them."""


@dataclass(frozen=True)
class Mounted:
    """A plate in its mount: the painter's whole canvas."""

    design: PlateDesign
    mount: Mount | None

    @property
    def width(self) -> float:
        m = self.mount
        return self.design.width + (m.left + m.right if m else 0.0)

    @property
    def height(self) -> float:
        m = self.mount
        return self.design.height + (m.top + m.bottom if m else 0.0)

    @property
    def plate_origin(self) -> tuple[float, float]:
        return (self.mount.left, self.mount.top) if self.mount else (0.0, 0.0)
