"""Exact-read rates of a recogniser: in process while training, through EasyOCR once exported.

The in-process check (float network, greedy CTC, EasyOCR's input) is for watching a run; the
figures a model card quotes come from reading through ``easyocr.Reader`` itself, quantisation and
second pass included, as the server reads.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lanescreen.domain.plates import normalize_plate
from lanescreen.vision.rows import read_plates
from lanescreen.vision.types import Image, PlateReader

from .preprocess import collate, model_input


@dataclass(frozen=True)
class Score:
    """Exact reads out of a set, and reading time."""

    name: str
    total: int
    exact: int
    ms_per_crop: float = 0.0
    errors: tuple[tuple[str, str], ...] = ()
    """A few (label, read) pairs that were wrong."""

    @property
    def rate(self) -> float:
        return self.exact / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "set": self.name,
            "crops": self.total,
            "exact": self.exact,
            "exact_read_rate": round(self.rate, 4),
            "ms_per_crop": round(self.ms_per_crop, 2),
            "errors": [list(pair) for pair in self.errors],
        }


def greedy_decode(logits: torch.Tensor, charset: str) -> list[str]:
    """Best path: collapse repeats, drop blanks (index 0), as EasyOCR's ``decode_greedy``."""
    best = logits.argmax(dim=2).cpu().numpy()
    texts = []
    for row in best:
        keep = np.insert(row[1:] != row[:-1], 0, True) & (row != 0)
        texts.append("".join(charset[i - 1] for i in row[keep]))
    return texts


def _score(name: str, labels: Sequence[str], reads: Sequence[str], ms: float) -> Score:
    pairs = [(normalize_plate(t), normalize_plate(r)) for t, r in zip(labels, reads, strict=True)]
    wrong = tuple((t, r) for t, r in pairs if t != r)
    return Score(name, len(pairs), len(pairs) - len(wrong), ms, wrong[:8])


@torch.no_grad()
def score_network(
    network: torch.nn.Module,
    name: str,
    images: Sequence[Image],
    labels: Sequence[str],
    *,
    charset: str,
    img_h: int,
    batch_size: int = 64,
) -> Score:
    """Exact reads of the float network (eval mode) on crops, batched by similar width."""
    was_training = network.training
    network.eval()
    inputs = [model_input(image, img_h) for image in images]
    order = sorted(range(len(inputs)), key=lambda i: inputs[i].shape[2])
    reads = [""] * len(inputs)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        logits = network(collate([inputs[i] for i in chunk]))
        for i, text in zip(chunk, greedy_decode(logits, charset), strict=True):
            reads[i] = text
    network.train(was_training)
    return _score(name, labels, reads, 0.0)


def score_reader(
    reader: PlateReader,
    name: str,
    images: Sequence[Image],
    labels: Sequence[str],
    rows: int = 1,
) -> Score:
    """Exact reads of a pipeline reader, one crop per call, with mean milliseconds per crop;
    ``rows=2`` reads each crop as the service reads one its detector calls two-row."""
    reads = []
    start = time.perf_counter()
    for image in images:
        reads.append(read_plates(reader, [image], [rows])[0].text)
    ms = (time.perf_counter() - start) * 1000 / max(1, len(images))
    return _score(name, labels, reads, ms)
