"""Plate styles: each a function from a random generator to a plate design with its label."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from lanescreen.domain.plates import CN_PROVINCES

from ..elements import PlateDesign
from .br import br_mercosur, br_old
from .cn import SERIAL_LETTERS, SPECIALS, cn_black, cn_blue, cn_green, cn_white, cn_yellow
from .eu import eu_de, eu_generic, eu_uk
from .us import us

Layout = Callable[[np.random.Generator], PlateDesign]

STYLES: dict[str, Layout] = {
    "cn_blue": cn_blue,
    "cn_yellow": cn_yellow,
    "cn_green": cn_green,
    "cn_white": cn_white,
    "cn_black": cn_black,
    "eu_de": eu_de,
    "eu_generic": eu_generic,
    "eu_uk": eu_uk,
    "us": us,
    "br_old": br_old,
    "br_mercosur": br_mercosur,
}

_P, _L, _S = f"[{CN_PROVINCES}]", f"[{SERIAL_LETTERS}]", f"[{SERIAL_LETTERS}0-9]"
LABELS: dict[str, re.Pattern[str]] = {
    "cn_blue": re.compile(f"{_P}{_L}{_S}{{5}}"),
    "cn_yellow": re.compile(f"{_P}{_L}({_S}{{5}}|{_S}{{4}}[学挂])"),
    "cn_green": re.compile(f"{_P}{_L}([DF]{_S}[0-9]{{4}}|[0-9]{{5}}[DF])"),
    "cn_white": re.compile(f"{_P}{_L}{_S}{{4}}警"),
    "cn_black": re.compile(f"粤Z{_S}{{4}}[港澳]"),
    "eu_de": re.compile("[A-Z]{2,6}[1-9][0-9]{0,3}[EH]?"),
    "eu_generic": re.compile("[A-Z0-9]{5,10}"),
    "eu_uk": re.compile("[A-Z0-9]{7}"),
    "us": re.compile("[A-Z0-9]{2,7}"),
    "br_old": re.compile("[A-Z]{3}[0-9]{4}"),
    "br_mercosur": re.compile("[A-Z]{3}[0-9][A-Z][0-9]{2}"),
}
"""What each style's labels look like (checked by the tests)."""


def design(style: str, rng: np.random.Generator) -> PlateDesign:
    """A random plate of ``style``."""
    try:
        layout = STYLES[style]
    except KeyError:
        raise ValueError(f"unknown plate style {style!r} (known: {', '.join(STYLES)})") from None
    return layout(rng)


__all__ = ["LABELS", "SPECIALS", "STYLES", "Layout", "design"]
