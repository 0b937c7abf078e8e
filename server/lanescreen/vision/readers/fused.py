"""Two readers as one: fast-plate-ocr reads every crop, lanescreen's own reader those it is
unsure of, and the reading both find likeliest wins.

fast-plate-ocr's slots give the exact probability of any text of up to nine characters
(:func:`text_probability`), so every reading either reader proposes is scored by both: by
fast-plate-ocr's slots, and by the own reader's confidence in it (its reading or one of its
candidates; :data:`UNSEEN` otherwise). The winner has the highest product of the two, a
product of experts with equal weights. Tuned on openalpr_us and openalpr_eu_dev crops (the
gate and the floor, docs/accuracy.md, Readers together): the own reader is asked only where
fast-plate-ocr's confidence is under :data:`GATE`, about one crop in six on openalpr_us.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..types import Candidate, Image, PlateReader, PlateText, other_readings
from .fast_plate_ocr import ALPHABET, PAD, SLOTS, FastPlateOcrReader

GATE = 0.8
"""fast-plate-ocr readings at least this confident are kept without asking the other reader."""
UNSEEN = 1e-3
"""The own reader's confidence in a text it did not propose."""
MAX_ASPECT = 5.0
"""Crops wider than this many heights are not read twice: they are a two-row detection's rows
laid side by side (:mod:`~lanescreen.vision.rows`; a one-row crop with its margin is 2 to 4
heights wide), which on a Latin lane are a one-row plate cut in two, a third of the crops the
second reader was asked about on openalpr_us and none it read right."""

_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}


def text_probability(probs: npt.NDArray[np.float32], text: str) -> float:
    """fast-plate-ocr's probability of exactly ``text`` from one crop's slot probabilities
    (``[9, 37]``): 0 for a text it cannot write (too long, or a character outside
    ``0-9A-Z``)."""
    if len(text) > SLOTS or any(ch not in _INDEX for ch in text):
        return 0.0
    padded = text + PAD * (SLOTS - len(text))
    return float(np.prod([probs[slot, _INDEX[ch]] for slot, ch in enumerate(padded)]))


@dataclass
class FusedReader:
    """fast-plate-ocr and a second reader (lanescreen's own), chosen per plate."""

    first: FastPlateOcrReader
    second: PlateReader
    name: str = "fused"
    gate: float = GATE

    def read(self, crops: Sequence[Image]) -> list[PlateText]:
        """One reading per crop, in order; the second reader reads only the unsure ones."""
        if len(crops) == 0:
            return []
        probs = self.first.probabilities(crops)
        reads = [self.first.decode(p) for p in probs]
        unsure = [
            i
            for i, (r, crop) in enumerate(zip(reads, crops, strict=True))
            if r.confidence < self.gate and crop.shape[1] <= MAX_ASPECT * crop.shape[0]
        ]
        seconds = self.second.read([crops[i] for i in unsure]) if unsure else []
        for i, second in zip(unsure, seconds, strict=True):
            reads[i] = _fuse(probs[i], reads[i], second)
        return reads


def _fuse(probs: npt.NDArray[np.float32], first: PlateText, second: PlateText) -> PlateText:
    """The reading with the highest product of both readers' confidence; the rest, ranked so,
    as its candidates. The winner's confidence is the geometric mean of the two."""
    seconds: dict[str, float] = {}
    for c in (Candidate(second.text, second.confidence), *second.candidates):
        seconds.setdefault(c.text, c.confidence)
    texts = dict.fromkeys([first.text, *(c.text for c in first.candidates), *seconds])
    scored = sorted(
        ((math.sqrt(text_probability(probs, t) * seconds.get(t, UNSEEN)), t) for t in texts if t),
        reverse=True,
    )
    if not scored or scored[0][1] == first.text:
        others = [*first.candidates, *(Candidate(t, s) for s, t in scored)]
        return PlateText(
            first.text, first.confidence, first.char_confidences, other_readings(first.text, others)
        )
    confidence, text = scored[0]
    others = [Candidate(first.text, first.confidence), *(Candidate(t, s) for s, t in scored)]
    chars = second.char_confidences if text == second.text else (confidence,) * len(text)
    return PlateText(text, confidence, chars, other_readings(text, others))
