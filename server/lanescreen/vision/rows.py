"""Two-row plates read as one line: the rows cut apart and set side by side.

A CTC reader reads one line, left to right, so a two-row plate (a Chinese truck's rear plate, a
square European plate, a US or Brazilian motorcycle plate) read whole is read as neither row.
HyperLPR reads its detector's two-row plates by cutting the crop at fixed heights (5/12 and 1/3)
and setting the rows side by side; fixed heights fit Chinese plates only (a US motorcycle plate's
rows meet at 58% of its height). Here the cut is the valley of stroke energy between the rows,
looked for only in crops the detector says have two rows (looked for in every crop, such valleys
split one-row plates under their state names: 10-34 of 222 real US crops, docs/plate-model.md),
and such a crop is read both ways, the better reading kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import cv2
import numpy as np

from .textband import stroke_profile
from .types import Candidate, Image, PlateReader, PlateText, other_readings

SEARCH = (0.28, 0.72)
"""Where the cut is looked for, as shares of the height of the rows with strokes: the rows of
Chinese (34-43%), European square (49-51%), US (57-59%) and Brazilian (58-60%) plates meet in
there."""
EXTENT = 0.35
"""Rows with at least this share of the strongest row's stroke energy bound the plate's text."""
OVERLAP = 0.03
"""Each row keeps this share of the crop's height beyond the cut, for a cut a little off."""


def row_cut(crop: Image) -> int | None:
    """The row of the crop where its two rows of characters meet, or None for a crop too small
    or without strokes."""
    height, width = crop.shape[:2]
    if height < 8 or width < 8:
        return None
    profile = stroke_profile(crop, window=max(3, height // 16))
    if profile.max() <= 0:
        return None
    # The rows with strokes (the plate's, in a loose crop) bound the search, not the crop's edges.
    busy = np.flatnonzero(profile >= EXTENT * profile.max())
    first, span = int(busy[0]), int(busy[-1] - busy[0] + 1)
    low, high = first + int(SEARCH[0] * span), first + max(1, int(SEARCH[1] * span))
    return low + int(np.argmin(profile[low:high]))


def side_by_side(crop: Image) -> Image:
    """The crop's top row, scaled to the bottom row's height, set left of the bottom row: one
    line in reading order. A crop too small to cut is returned as it is."""
    cut = row_cut(crop)
    if cut is None:
        return crop
    height, width = crop.shape[:2]
    overlap = max(1, round(OVERLAP * height))
    top, bottom = crop[: cut + overlap], crop[cut - overlap :]
    scaled_width = max(1, round(width * bottom.shape[0] / top.shape[0]))
    scaled = cv2.resize(top, (scaled_width, bottom.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(np.hstack([scaled, bottom]))


ROWS_MARGIN = 0.2
"""The rows-side-by-side reading wins outright only when surer than the one-line reading by
this much: HyperLPR's detector calls a third of US one-row plates two-row, and the cut of such a
crop falls above its characters, so the side-by-side view reads the state name and the characters."""
ROWS_SURE = 0.7
"""A rows reading that holds the one-line reading wins when at least this confident: read as one
line, a two-row plate's band is its bigger row, which reads confidently alone (``54909`` of
``闽G54909``)."""


def prefer(one_line: PlateText, rows: PlateText) -> PlateText:
    """The better of a crop's two readings, as one line and with its rows side by side; the
    other becomes the first candidate, so a watchlist still sees it."""
    holds = bool(one_line.text) and one_line.text in rows.text
    rows_win = rows.confidence >= one_line.confidence + ROWS_MARGIN or (
        holds and rows.confidence >= ROWS_SURE
    )
    winner, loser = (rows, one_line) if rows_win else (one_line, rows)
    others = [Candidate(loser.text, loser.confidence), *winner.candidates, *loser.candidates]
    return replace(winner, candidates=other_readings(winner.text, others))


def read_plates(
    reader: PlateReader, crops: Sequence[Image], rows: Sequence[int] | None = None
) -> list[PlateText]:
    """Read crops whose detector said how many rows each has (``rows``, 1 or 2; None: one each):
    a crop said to have two is read as it is and with its rows side by side, and the better
    reading kept. The detector's word alone is not enough: HyperLPR's, trained on Chinese plates,
    calls 81 of 220 US one-row plates two-row (their shape is a Chinese two-row plate's)."""
    if rows is None:
        rows = [1] * len(crops)
    if len(rows) != len(crops):
        raise ValueError(f"{len(crops)} crops but {len(rows)} row counts")
    views = [side_by_side(crop) for crop, n in zip(crops, rows, strict=True) if n == 2]
    texts = reader.read([*crops, *views]) if crops else []
    split = iter(texts[len(crops) :])
    return [
        prefer(text, next(split)) if n == 2 else text
        for text, n in zip(texts[: len(crops)], rows, strict=True)
    ]
