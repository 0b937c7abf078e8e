"""One read of a plate from many frames: per-character voting over aligned reads.

A vehicle at a gate is read in 20-40 frames, each read alone: far frames are small and blurred,
near ones sharp, a plate entering or leaving the picture is read in part (``3GSR5`` of
``C3GSR5``). :func:`fuse` aligns every read of one plate track to a reference reading (free of
cost at the ends, so a partial read covers the part it saw) and lets each frame vote for the
character it read at each position, weighted by that character's confidence; a frame that read
nothing at a position votes for the gap. The result is the usual read type (``PlateRead``), with
the frames it fuses, per-character confidences from the votes, and candidates: the runner-up
character where the vote was closest, then the frames' own readings.

Confidences are posteriors under a tempered independence model. Each frame's character is an
observation that is right with its confidence ``p`` and otherwise any of the other ``K - 1``
characters; frames of one plate share blur and glare, so their log-likelihoods are scaled by
``1 / (1 + (n - 1) * CORRELATION)`` (``n`` frames behave like fewer independent ones). One frame
gives its own confidence back; agreeing frames raise it, disagreeing ones lower it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..vision.types import Candidate, other_readings
from .decisions import PlateRead

ALPHABET = 36
"""Characters a Latin plate position can take (the ``K`` of the model)."""
CORRELATION = 0.5
"""How alike two frames' errors are (0: independent frames; 1: one frame counted n times)."""
MAX_CANDIDATES = 5
GAP = ""


@dataclass(frozen=True)
class _Vote:
    char: str
    """The character read there; :data:`GAP` for a frame whose read skips the position."""
    p: float


def _align(reference: str, text: str) -> tuple[list[int | None], int] | None:
    """For each position of ``reference``, the index in ``text`` aligned to it, None for an
    internal gap, -1 outside the part ``text`` covers; and the alignment's cost. Semi-global
    edit distance: skipping the reference's ends costs nothing (a partial read), every other
    edit costs 1. None when ``text`` has nothing in common with ``reference``."""
    n, m = len(reference), len(text)
    if not n or not m:
        return None
    # cost[i][j]: best cost aligning text[:j] with a suffix of reference[:i] (free prefix).
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for j in range(1, m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(
                cost[i - 1][j - 1] + (reference[i - 1] != text[j - 1]),
                cost[i - 1][j] + 1,  # the read misses a reference character
                cost[i][j - 1] + 1,  # the read has an extra character
            )
    end = min(range(n + 1), key=lambda i: (cost[i][m], -i))
    if cost[end][m] >= m:
        return None
    mapping: list[int | None] = [-1] * n
    i, j = end, m
    while j > 0 and i > 0:
        if cost[i][j] == cost[i - 1][j - 1] + (reference[i - 1] != text[j - 1]):
            mapping[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + 1:
            mapping[i - 1] = None
            i -= 1
        else:
            j -= 1
    return mapping, cost[end][m]


def distance(reference: str, text: str) -> int:
    """Edits between ``text`` and the part of ``reference`` it covers (a partial read costs
    nothing for what it did not see); ``len(text)`` when nothing lines up."""
    aligned = _align(reference, text)
    return len(text) if aligned is None else aligned[1]


def _reference(reads: Sequence[PlateRead]) -> str:
    """The reading the others are aligned to: the best-supported text among those of the most
    supported length (a partial read is shorter than the plate, never the reference if a full
    one exists)."""
    by_length: dict[int, float] = defaultdict(float)
    by_text: dict[str, float] = defaultdict(float)
    for read in reads:
        by_length[len(read.text)] += read.confidence
        by_text[read.text] += read.confidence
    length = max(by_length, key=lambda n: (by_length[n], n))
    return max((t for t in by_text if len(t) == length), key=lambda t: by_text[t])


def _char_confidences(read: PlateRead) -> tuple[float, ...]:
    if len(read.char_confidences) == len(read.text):
        return read.char_confidences
    each = read.confidence ** (1 / len(read.text)) if read.text else 0.0
    return tuple(each for _ in read.text)


def _posterior(votes: list[_Vote], temper: float) -> list[tuple[str, float]]:
    """Each character's posterior at one position, best first (gap included)."""
    chars = {v.char for v in votes}
    scores = {}
    for char in chars:
        log_likelihood = 0.0
        for vote in votes:
            p = min(max(vote.p, 1e-4), 1 - 1e-4)
            log_likelihood += math.log(p if vote.char == char else (1 - p) / (ALPHABET - 1))
        scores[char] = temper * log_likelihood
    # Characters no frame read share the rest of the mass: "none of these".
    other = temper * sum(
        math.log((1 - min(max(v.p, 1e-4), 1 - 1e-4)) / (ALPHABET - 1)) for v in votes
    )
    top = max([*scores.values(), other])
    total = sum(math.exp(s - top) for s in scores.values()) + max(
        0, ALPHABET - len(chars)
    ) * math.exp(other - top)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    return [(char, math.exp(s - top) / total) for char, s in ranked]


def fuse(reads: Sequence[PlateRead]) -> PlateRead | None:
    """The consolidated read of one plate's reads (one per frame), or None if none has text.

    Its box, corners and frame are those of the most confident read (the best view of the
    plate, which evidence shows); ``frames`` counts the reads fused."""
    reads = [r for r in reads if r.text]
    if not reads:
        return None
    best = max(reads, key=lambda r: (r.confidence, r.detection_score))
    if len(reads) == 1:
        return replace(best, frames=1)
    reference = _reference(reads)
    votes: list[list[_Vote]] = [[] for _ in reference]
    for read in reads:
        aligned = _align(reference, read.text)
        if aligned is None:
            continue
        mapping = aligned[0]
        read_confidences = _char_confidences(read)
        for position, index in enumerate(mapping):
            if index == -1:
                continue  # the part of the plate this frame did not see
            if index is None:
                votes[position].append(_Vote(GAP, read.confidence ** (1 / len(read.text))))
            else:
                votes[position].append(_Vote(read.text[index], read_confidences[index]))
    temper = 1 / (1 + (len(reads) - 1) * CORRELATION)
    chars: list[str] = []
    confidences: list[float] = []
    runners_up: list[tuple[float, int, str]] = []
    for position_votes in votes:
        if not position_votes:
            continue
        ranked = _posterior(position_votes, temper)
        char, p = ranked[0]
        if len(ranked) > 1 and ranked[1][0] != GAP:
            runners_up.append((p - ranked[1][1], len(chars), ranked[1][0]))
        if char == GAP:
            continue
        chars.append(char)
        confidences.append(p)
    text = "".join(chars)
    confidence = math.prod(confidences)
    return replace(
        best,
        text=text,
        confidence=confidence,
        char_confidences=tuple(confidences),
        candidates=_candidates(text, confidences, runners_up, reads),
        frames=len(reads),
    )


def _candidates(
    text: str,
    confidences: list[float],
    runners_up: list[tuple[float, int, str]],
    reads: Sequence[PlateRead],
) -> tuple[Candidate, ...]:
    """Next-best consolidated readings (one character changed where the vote was closest),
    then each frame's own reading and candidates, most confident first."""
    found: list[Candidate] = []
    for _, index, char in sorted(runners_up)[:MAX_CANDIDATES]:
        if index < len(text):
            changed = text[:index] + char + text[index + 1 :]
            share = confidences[index]
            found.append(Candidate(changed, math.prod(confidences) / share * (1 - share)))
    per_frame: dict[str, float] = {}
    for read in reads:
        for candidate in (Candidate(read.text, read.confidence), *read.candidates):
            per_frame[candidate.text] = max(
                per_frame.get(candidate.text, 0.0), candidate.confidence
            )
    found += [Candidate(t, c) for t, c in per_frame.items()]
    ranked = sorted(found, key=lambda c: c.confidence, reverse=True)
    return other_readings(text, ranked)[:MAX_CANDIDATES]
