"""Two readers as one: a lead reader reads every crop, a second one those the lead is unsure of,
and the reading both find likeliest wins.

Both readers score any text exactly: fast-plate-ocr by its slots
(:func:`~.fast_plate_ocr.text_probability`), lanescreen's own reader by its CTC frames
(:func:`~lanescreen.vision.ctc.text_probabilities`). Every reading either proposes is scored by
both, and the winner has the highest ``log lead + SECOND_WEIGHT * log second``: a product of
experts in which the second opinion counts half; its confidence is the lead's probability of it.
Two of them ship:

* ``fused``: fast-plate-ocr leads (the better reader of Latin plates), lanescreen's own reader is
  asked where fast-plate-ocr's confidence is under :data:`GATE`, about one crop in six on
  openalpr_us;
* ``lanescreen_fused``: lanescreen's own reader leads and fast-plate-ocr scores every crop: the
  reader of a Chinese lane, since only the own reader writes the province character
  (fast-plate-ocr weighs the rest of the plate).

The gate and the weight were tuned on openalpr_us and openalpr_eu_dev crops and the weight kept
unchanged for Chinese plates (docs/accuracy.md, Readers together).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..types import Candidate, Image, PlateText, ScoredRead, ScoringReader, other_readings

GATE = 0.8
"""``fused``: fast-plate-ocr readings at least this confident are kept without asking the
other reader."""
ALWAYS = math.inf
"""A gate that asks the second reader about every crop."""
SECOND_WEIGHT = 0.5
"""The second reader's log-probability counts this much against the lead's."""
FLOOR = 1e-12
"""The probability a reader gives a text it cannot write at all, so one reader's 0 does not
decide alone."""
MAX_ASPECT = 5.0
"""Crops wider than this many heights are not read twice: they are a two-row detection's rows
laid side by side (:mod:`~lanescreen.vision.rows`; a one-row crop with its margin is 2 to 4
heights wide), which on a Latin lane are a one-row plate cut in two, a third of the crops the
second reader was asked about on openalpr_us and none it read right."""


@dataclass
class FusedReader:
    """A lead reader and a second reader, chosen between per plate."""

    lead: ScoringReader
    second: ScoringReader
    name: str = "fused"
    gate: float = GATE
    weight: float = SECOND_WEIGHT
    provinces: bool = False
    """Weigh readings opened by a character outside ``0-9A-Z`` (a Chinese plate's province) too,
    and cross one reader's province with the other's serial. Off for Latin lanes: there
    fast-plate-ocr would take a plate's first character for the glyph it writes in a province's
    place (``1`` of ``133GZD`` under the own reader's ``辽33GZD``)."""

    def read(self, crops: Sequence[Image]) -> list[PlateText]:
        """One reading per crop, in order; the second reader reads only the unsure ones."""
        if len(crops) == 0:
            return []
        leads = self.lead.read_scored(crops)
        reads = [lead.read for lead in leads]
        unsure = [
            i
            for i, (r, crop) in enumerate(zip(reads, crops, strict=True))
            if r.confidence < self.gate and crop.shape[1] <= MAX_ASPECT * crop.shape[0]
        ]
        seconds = self.second.read_scored([crops[i] for i in unsure]) if unsure else []
        for i, second in zip(unsure, seconds, strict=True):
            reads[i] = self._fuse(leads[i], second)
        return reads

    def _fuse(self, lead: ScoredRead, second: ScoredRead) -> PlateText:
        """The reading with the highest weighted product of both readers' probabilities, the rest
        ranked so as its candidates (the lead's own reading first). Each carries the lead
        reader's probability of it as its confidence: a confidence means what that reader's
        alone always meant, so ``vision.min_read_confidence`` keeps its measured meaning (a
        weighted mean of the two sent 36% of Chinese crops, three in four of them read right,
        under 0.5; docs/accuracy.md, Readers together)."""
        texts = [t for t in _proposals(lead.read, second.read, self.provinces) if t]
        if not texts:
            return lead.read
        by_lead, by_second = lead.score(texts), second.score(texts)
        ranked = sorted(
            zip(texts, by_lead, by_second, strict=True),
            key=lambda scores: _log(scores[1]) + self.weight * _log(scores[2]),
            reverse=True,
        )
        text, confidence, _ = ranked[0]
        first = lead.read
        others = [Candidate(first.text, first.confidence), *(Candidate(t, p) for t, p, _ in ranked)]
        own = {r.text: r.char_confidences for r in (second.read, first)}
        chars = _chars(own.get(text, ()), text, confidence)
        return PlateText(text, confidence, chars, other_readings(text, others))


def _chars(chars: Sequence[float], text: str, confidence: float) -> tuple[float, ...]:
    """Per-character confidences whose product is the fused ``confidence`` (or less, where a
    character scaled past 1 is capped there): the reading reader's own, scaled alike (their
    shape says which character is doubtful), else even.
    Frames' reads are fused per character (domain/fusion.py), so a reader's confident
    characters must not outweigh a fused reading both readers doubt."""
    if not text:
        return ()
    if len(chars) != len(text) or min(chars) <= 0:
        return (confidence ** (1 / len(text)),) * len(text)
    scale = (confidence / math.prod(chars)) ** (1 / len(text))
    return tuple(min(1.0, c * scale) for c in chars)


def _log(p: float) -> float:
    return math.log(max(p, FLOOR))


def _texts(read: PlateText) -> list[str]:
    return [read.text, *(c.text for c in read.candidates)]


def _proposals(first: PlateText, second: PlateText, provinces: bool) -> list[str]:
    """Every text either reader proposed; with ``provinces``, also each Latin text of one reader
    opened by each character the other saw opening a plate that only it can write (a Chinese
    plate's province), so that one reader's province and the other's serial can meet in one
    text, and without, only Latin texts."""
    ours, theirs = _texts(first), _texts(second)
    texts = [*ours, *theirs]
    if not provinces:
        return list(dict.fromkeys(t for t in texts if t.isascii()))
    for own, other in ((ours, theirs), (theirs, ours)):
        heads = dict.fromkeys(t[0] for t in own if t and not t[0].isascii())
        texts += [h + t for h in heads for t in other if t and t.isascii()]
    return list(dict.fromkeys(texts))
