"""Synthetic licence plates for training the project's own reader.

``PlateRenderer(seed).sample()`` gives a crop as the pipeline would cut it from a lane camera's
frame, with its label. Chinese (blue, yellow, green new-energy, police, Hong Kong/Macau), European
(German, UK, two dozen other countries), US and Brazilian (old and Mercosur) plates; fonts are
free Debian ones (``find_fonts``). See docs/synthetic-plates.md.
"""

from lanescreen.domain.plates import CN_PROVINCES

from .fonts import FontFace, FontSet, FontsMissingError, find_fonts
from .layouts import SPECIALS, STYLES
from .render import PlateRenderer, RenderConfig, Sample, default_style_weights

CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" + CN_PROVINCES + SPECIALS
"""Every character the reader must output: Latin letters and digits, the 31 province characters,
and the special-use suffixes rendered (学警挂港澳)."""

__all__ = [
    "CHARSET",
    "STYLES",
    "FontFace",
    "FontSet",
    "FontsMissingError",
    "PlateRenderer",
    "RenderConfig",
    "Sample",
    "default_style_weights",
    "find_fonts",
]
