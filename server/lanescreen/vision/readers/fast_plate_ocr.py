"""fast-plate-ocr's global CCT reader (``cct_xs_v1_global.onnx``) run with onnxruntime.

Its plate config (``cct_xs_v1_global_plate_config.yaml``) is fixed, so it is written down here
instead of fetched: 9 slots over ``0-9A-Z`` plus ``_`` for padding, RGB input stretched to
128x64 with linear interpolation (no letterbox), uint8 NHWC (the network rescales itself).

Each slot is an independent softmax, so the probability of a whole reading is the product of its
slots' probabilities, pad slots included (they decide the length). That product is the read's
``confidence`` and ranks the alternative readings, which are found exactly (best first) by a
best-first walk over each slot's ranked characters.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from ..image import to_bgr
from ..onnx_session import load_session
from ..types import Candidate, Image, PlateText, ScoredRead
from ..weights import ModelError

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
PAD = "_"
SLOTS = 9
INPUT_H, INPUT_W = 64, 128

_TOP_PER_SLOT = 4
"""Characters per slot considered for alternatives; deeper ones never reach the top few."""
_MAX_EXPANSIONS = 256


_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}


def text_probability(probs: npt.NDArray[np.float32], text: str) -> float:
    """The probability of exactly ``text`` from one crop's slot probabilities (``[9, 37]``).

    A character outside ``0-9A-Z`` opening or closing the text (a Chinese plate's province,
    a special-use plate's last character) is one this reader cannot write: it writes a Latin
    glyph in its place or nothing, so both are counted (a glyph: any character but the pad in
    that slot). Anywhere else, or a text too long for the slots, gives 0."""
    head = 1 if text[:1] and text[0] not in _INDEX else 0
    tail = 1 if len(text) > head and text[-1] not in _INDEX else 0
    core = text[head : len(text) - tail]
    if any(ch not in _INDEX for ch in core):
        return 0.0
    pad = _INDEX[PAD]
    total = 0.0
    for before in range(head + 1):
        for after in range(tail + 1):
            used = before + len(core) + after
            if used > SLOTS:
                continue
            glyphs = float(probs[0, :pad].sum()) if before else 1.0
            chars = [probs[before + k, _INDEX[ch]] for k, ch in enumerate(core)]
            glyph = probs[before + len(core), :pad].sum() if after else 1.0
            pads = probs[used:, pad]
            total += float(glyphs * np.prod(chars) * glyph * np.prod(pads))
    return total


def _scores(probs: npt.NDArray[np.float32], texts: Sequence[str]) -> list[float]:
    return [text_probability(probs, text) for text in texts]


def _slots_to_text(indices: Sequence[int]) -> str:
    return "".join(ALPHABET[i] for i in indices if ALPHABET[i] != PAD)


def _alternatives(probs: npt.NDArray[np.float32], count: int) -> list[Candidate]:
    """The ``count + 1`` most probable distinct texts for one plate, best first."""
    order = np.argsort(-probs, axis=1)[:, :_TOP_PER_SLOT]
    ranked = np.take_along_axis(probs, order, axis=1).astype(np.float64)
    start = (0,) * probs.shape[0]
    heap: list[tuple[float, tuple[int, ...]]] = [(-float(np.prod(ranked[:, 0])), start)]
    seen = {start}
    found: dict[str, float] = {}
    for _ in range(_MAX_EXPANSIONS):
        if not heap or len(found) > count:
            break
        neg_prob, ranks = heapq.heappop(heap)
        text = _slots_to_text([int(order[slot, rank]) for slot, rank in enumerate(ranks)])
        found.setdefault(text, -neg_prob)
        for slot in range(len(ranks)):
            if ranks[slot] + 1 >= order.shape[1]:
                continue
            nxt = (*ranks[:slot], ranks[slot] + 1, *ranks[slot + 1 :])
            if nxt in seen:
                continue
            seen.add(nxt)
            prob = float(np.prod(ranked[np.arange(len(nxt)), nxt]))
            heapq.heappush(heap, (-prob, nxt))
    return [Candidate(text, prob) for text, prob in found.items()]


class FastPlateOcrReader:
    """Reads plate crops of any size; one batched network call per :meth:`read`."""

    name = "fast_plate_ocr"

    def __init__(self, model_path: Path, threads: int = 1, *, max_candidates: int = 4) -> None:
        self.max_candidates = max_candidates
        self._session: Any = load_session(model_path, threads)
        meta = self._session.get_inputs()[0]
        out = self._session.get_outputs()[0]
        if list(meta.shape)[1:] != [INPUT_H, INPUT_W, 3] or list(out.shape)[1:] != [
            SLOTS,
            len(ALPHABET),
        ]:
            raise ModelError(
                f"{model_path} maps {meta.shape} to {out.shape}, not the cct_xs_v1_global "
                f"layout [N,{INPUT_H},{INPUT_W},3] -> [N,{SLOTS},{len(ALPHABET)}]"
            )
        self._input_name: str = meta.name

    @staticmethod
    def _prepare(crop: Image) -> Image:
        rgb = cv2.cvtColor(to_bgr(crop), cv2.COLOR_BGR2RGB)
        resized = cv2.resize(rgb, (INPUT_W, INPUT_H), interpolation=cv2.INTER_LINEAR)
        return np.asarray(resized, dtype=np.uint8)

    def probabilities(self, crops: Sequence[Image]) -> npt.NDArray[np.float32]:
        """Per-slot character probabilities, shape [N, 9, 37]."""
        batch = np.stack([self._prepare(crop) for crop in crops])
        output = self._session.run(None, {self._input_name: batch})[0]
        return np.asarray(output, dtype=np.float32).reshape(len(crops), SLOTS, len(ALPHABET))

    def decode(self, probs: npt.NDArray[np.float32]) -> PlateText:
        """The reading of one crop's slot probabilities (``[9, 37]``), with its alternatives."""
        best = probs.argmax(axis=1)
        best_probs = probs.max(axis=1)
        kept = [(ALPHABET[i], float(p)) for i, p in zip(best, best_probs, strict=True)]
        text = "".join(ch for ch, _ in kept if ch != PAD)
        chars = tuple(p for ch, p in kept if ch != PAD)
        confidence = float(np.prod(best_probs.astype(np.float64)))
        others = [c for c in _alternatives(probs, self.max_candidates) if c.text != text]
        return PlateText(text, confidence, chars, tuple(others[: self.max_candidates]))

    def read(self, crops: Sequence[Image]) -> list[PlateText]:
        """One reading per crop, in order."""
        return [scored.read for scored in self.read_scored(crops)]

    def read_scored(self, crops: Sequence[Image]) -> list[ScoredRead]:
        """One reading per crop, in order, each with its slots' scorer (:func:`text_probability`)."""
        if len(crops) == 0:
            return []
        return [ScoredRead(self.decode(p), partial(_scores, p)) for p in self.probabilities(crops)]
