"""Consolidating a plate's reads over its frames: aligned per-character votes."""

from __future__ import annotations

from lanescreen.domain.decisions import PlateRead
from lanescreen.domain.fusion import distance, fuse
from lanescreen.vision.types import Box


def read(text: str, confidence: float, chars: tuple[float, ...] | None = None) -> PlateRead:
    each = confidence ** (1 / len(text)) if text else 0.0
    return PlateRead(
        text, confidence, chars or tuple(each for _ in text), (), Box(0, 0, 10, 5), None, 0.9, "r"
    )


def test_partial_reads_and_misreads_vote_for_the_plate() -> None:
    reads = [
        read("C3GSR5", 0.7),
        read("3GSR5", 0.6),  # entering the picture
        read("C3G5R5", 0.5, (0.95, 0.95, 0.95, 0.4, 0.95, 0.95)),  # S read as 5, unsure
        read("23GS", 0.3),
        read("C3GSR", 0.5),  # leaving
    ]
    fused = fuse(reads)
    assert fused is not None
    assert fused.text == "C3GSR5" and fused.frames == 5
    assert fused.confidence > max(r.confidence for r in reads)
    assert "C3G5R5" in [c.text for c in fused.candidates]  # the misread stays a candidate


def test_one_read_is_its_own_consolidation_and_disagreement_lowers_confidence() -> None:
    one = fuse([read("AB123CD", 0.8)])
    assert one is not None and one.text == "AB123CD" and abs(one.confidence - 0.8) < 1e-9
    split = fuse([read("AB123CD", 0.8), read("AB128CD", 0.8)])
    same = fuse([read("AB123CD", 0.8), read("AB123CD", 0.8)])
    assert split is not None and same is not None
    assert split.confidence < 0.8 < same.confidence
    assert fuse([read("", 0.0)]) is None


def test_a_dropped_character_is_voted_back_and_an_extra_one_out() -> None:
    reads = [read("AB123CD", 0.8)] * 3 + [read("AB13CD", 0.6), read("AB1233CD", 0.5)]
    fused = fuse(reads)
    assert fused is not None and fused.text == "AB123CD"


def test_distance_forgives_what_a_partial_read_did_not_see() -> None:
    assert distance("C3GSR5", "3GSR5") == 0
    assert distance("C3GSR5", "C3G5R5") == 1
    assert distance("AB123CD", "XY987ZW") >= 3
