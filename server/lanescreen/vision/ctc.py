"""The n most probable readings of a CTC recogniser's output, by prefix beam search.

A CTC recogniser gives, for each of its frames (columns of the crop), a probability for every
character and for "no character" (the blank). Greedy decoding keeps each frame's likeliest class
and drops blanks and repeats: the likeliest *path*. A reading's probability is the sum over every
path that spells it, so the likeliest *reading* can differ (a character spread thinly over several
frames loses every frame to the blank, yet is there), and the readings behind it are what a plate
grammar or a watchlist can use when the first is wrong. Prefix beam search (Hannun et al., 2014,
"First-pass large vocabulary continuous speech recognition using bi-directional recurrent DNNs")
keeps the ``width`` likeliest prefixes frame by frame, with separate probabilities of ending in a
blank or in their last character, so a doubled letter ("AA") and one spread letter ("A") stay
apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BLANK = 0
"""Class index of the blank (EasyOCR's converters put it first)."""
FLOOR = 0.01
"""A class below this probability in a frame extends no prefix there: it could not lift a
reading into the n best, and skipping it keeps the search to a few classes per frame."""


@dataclass(frozen=True)
class Reading:
    """One reading and its probability (the sum over its CTC paths)."""

    text: str
    probability: float


def beam_search(
    probs: npt.NDArray[np.floating],
    alphabet: Sequence[str],
    *,
    width: int = 10,
    min_share: float = 0.0,
) -> list[Reading]:
    """Up to ``width`` readings of one crop, likeliest first, none under ``min_share`` of the
    first's probability.

    ``probs`` is ``(frames, classes)``, each row a distribution with the blank at
    :data:`BLANK`; ``alphabet[c]`` is class ``c``'s text.
    """
    if probs.ndim != 2 or probs.shape[1] != len(alphabet):
        raise ValueError(f"probabilities of shape {probs.shape} for {len(alphabet)} classes")
    # prefix -> (probability of its paths ending in a blank, ... ending in its last class)
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (1.0, 0.0)}
    live_mask = probs >= FLOOR
    live_mask[:, BLANK] = False
    # Each frame's live classes from one pass over the array (a per-frame search costs more than
    # the beam update itself on a plate's few dozen frames).
    live: list[list[int]] = [[] for _ in range(len(probs))]
    for frame, c in zip(*(axis.tolist() for axis in np.nonzero(live_mask)), strict=True):
        live[frame].append(c)
    for row, classes in zip(probs.tolist(), live, strict=True):
        blank = row[BLANK]
        if not classes:
            # Only the blank is likely: every prefix now ends in a blank, and their order stands.
            beams = {prefix: ((pb + pl) * blank, 0.0) for prefix, (pb, pl) in beams.items()}
            continue
        grown: dict[tuple[int, ...], list[float]] = {}
        for prefix, (p_blank, p_last) in beams.items():
            total = p_blank + p_last
            entry = grown.get(prefix)
            if entry is None:
                entry = grown[prefix] = [0.0, 0.0]
            entry[0] += total * blank
            last = prefix[-1] if prefix else -1
            for c in classes:
                p = row[c]
                if c == last:
                    # The same class again continues the last character; after a blank it is
                    # a second one.
                    entry[1] += p_last * p
                    if p_blank <= 0:
                        continue
                    gain = p_blank * p
                else:
                    gain = total * p
                longer = (*prefix, c)
                if longer in grown:
                    grown[longer][1] += gain
                else:
                    grown[longer] = [0.0, gain]
        kept: Iterable[tuple[tuple[int, ...], list[float]]] = grown.items()
        if len(grown) > width:
            kept = sorted(kept, key=lambda item: -(item[1][0] + item[1][1]))[:width]
        beams = {prefix: (pb, pl) for prefix, (pb, pl) in kept}
    readings = [
        Reading("".join(alphabet[c] for c in prefix), p_blank + p_last)
        for prefix, (p_blank, p_last) in beams.items()
        if p_blank + p_last > 0
    ]
    readings.sort(key=lambda r: -r.probability)
    if not readings:
        return []
    return [r for r in readings if r.probability >= min_share * readings[0].probability]


def text_probabilities(
    probs: npt.NDArray[np.floating], index: Mapping[str, int], texts: Sequence[str]
) -> npt.NDArray[np.float64]:
    """The probability of exactly each text under one crop's CTC output (the sum over every path
    that spells it), by the forward algorithm run for all texts at once; 0 for a text with a
    character outside ``index`` (character -> class) or longer than the frames allow.

    The beam search finds the likeliest readings; this scores a reading another reader proposed,
    so two readers can be compared on the same texts (:mod:`~lanescreen.vision.readers.fused`).
    """
    result = np.zeros(len(texts), np.float64)
    known = [i for i, t in enumerate(texts) if all(ch in index for ch in t)]
    if not known or probs.ndim != 2 or len(probs) == 0:
        return result
    labels = [[index[ch] for ch in texts[i]] for i in known]
    states = 2 * max(len(label) for label in labels) + 1
    # Each text's states: blank, its first class, blank, its second class, ..., blank; shorter
    # texts are padded with blanks, which only ever follow their last real state.
    ext = np.full((len(known), states), BLANK, np.intp)
    for row, label in enumerate(labels):
        ext[row, 1 : 2 * len(label) : 2] = label
    skip = np.zeros(ext.shape, bool)
    skip[:, 2:] = (ext[:, 2:] != BLANK) & (ext[:, 2:] != ext[:, :-2])
    with np.errstate(divide="ignore"):
        emit = np.log(np.asarray(probs, np.float64))[:, ext]  # (frames, texts, states)
    alpha = np.full(ext.shape, -np.inf)
    alpha[:, :2] = emit[0, :, :2]
    for frame in emit[1:]:
        step = alpha.copy()
        step[:, 1:] = np.logaddexp(step[:, 1:], alpha[:, :-1])
        step[:, 2:] = np.where(skip[:, 2:], np.logaddexp(step[:, 2:], alpha[:, :-2]), step[:, 2:])
        alpha = step + frame
    ends = np.array([2 * len(label) for label in labels])
    last = alpha[np.arange(len(known)), ends]
    before = np.where(ends > 0, alpha[np.arange(len(known)), np.maximum(ends - 1, 0)], -np.inf)
    result[known] = np.exp(np.logaddexp(last, before))
    return result
