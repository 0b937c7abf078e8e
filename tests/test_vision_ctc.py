"""CTC prefix beam search: the n most probable readings, checked against every path summed."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest
from lanescreen.vision.ctc import FLOOR, beam_search, text_probabilities

ALPHABET = ["[blank]", "A", "B", "C"]


def _softmax(logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True), np.float32)


def _collapse(path: tuple[int, ...]) -> str:
    kept = [c for i, c in enumerate(path) if c != 0 and (i == 0 or c != path[i - 1])]
    return "".join(ALPHABET[c] for c in kept)


def _greedy(probs: npt.NDArray[np.float32]) -> str:
    """The likeliest path's text: each frame's likeliest class, repeats and blanks dropped."""
    return _collapse(tuple(int(c) for c in probs.argmax(axis=1)))


def _every_reading(probs: npt.NDArray[np.float32]) -> dict[str, float]:
    """Each reading's probability: the sum over every path (class per frame) that spells it."""
    readings: dict[str, float] = {}
    for path in itertools.product(range(len(ALPHABET)), repeat=probs.shape[0]):
        p = float(np.prod([probs[t, c] for t, c in enumerate(path)]))
        readings[_collapse(path)] = readings.get(_collapse(path), 0.0) + p
    return readings


@pytest.mark.parametrize("seed", range(6))
def test_beam_search_finds_the_most_probable_readings(seed: int) -> None:
    probs = _softmax(np.random.default_rng(seed).normal(0, 2.0, (5, len(ALPHABET))))
    probs = np.where(probs < FLOOR, 0.0, probs)  # what the search prunes
    exact = sorted(_every_reading(probs).items(), key=lambda kv: -kv[1])
    found = beam_search(probs, ALPHABET, width=len(ALPHABET) ** 5)  # wide enough to prune nothing
    assert [r.text for r in found[:5]] == [t for t, _ in exact[:5]]
    assert np.allclose([r.probability for r in found[:5]], [p for _, p in exact[:5]], rtol=1e-5)


def test_the_likeliest_reading_can_beat_the_likeliest_path() -> None:
    # "B" is each frame's second choice, so the likeliest path is all blanks and greedy decoding
    # reads nothing; but B's paths (B in one frame or in two or three frames running) together
    # outweigh the one all-blank path, and the beam search reads B.
    probs = np.array([[0.55, 0.0, 0.45, 0.0]] * 3, np.float32)
    assert _greedy(probs) == ""
    readings = beam_search(probs, ALPHABET)
    assert readings[0].text == "B"
    one, two, three = 3 * 0.45 * 0.55**2, 2 * 0.45**2 * 0.55, 0.45**3
    assert readings[0].probability == pytest.approx(one + two + three, rel=1e-5)
    assert [r.text for r in readings] == ["B", "", "BB"]


def test_a_doubled_letter_needs_a_blank_between() -> None:
    a, blank = [0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]
    assert beam_search(np.array([a, a, a], np.float32), ALPHABET)[0].text == "A"
    assert beam_search(np.array([a, blank, a], np.float32), ALPHABET)[0].text == "AA"


def test_wrong_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="classes"):
        beam_search(np.zeros((5, 3), np.float32), ALPHABET)
    with pytest.raises(ValueError, match="shape"):
        beam_search(np.zeros((5,), np.float32), ALPHABET)


def test_min_share_drops_the_unlikely() -> None:
    rng = np.random.default_rng(3)
    for _ in range(40):
        probs = _softmax(rng.normal(0, 4.0, (int(rng.integers(1, 7)), len(ALPHABET))))
        full = beam_search(probs, ALPHABET, width=50)
        kept = [r.text for r in full if r.probability >= 0.01 * full[0].probability]
        assert [r.text for r in beam_search(probs, ALPHABET, width=50, min_share=0.01)] == kept


@pytest.mark.parametrize("frames", [1, 2, 5, 7])
def test_a_texts_probability_is_the_sum_over_every_path_that_spells_it(frames: int) -> None:
    """The forward algorithm, for many texts at once, against every path enumerated: doubled
    letters, the empty text, texts too long for the frames and unknown characters included."""
    probs = _softmax(np.random.default_rng(frames).normal(size=(frames, len(ALPHABET))) * 2)
    every = _every_reading(probs)
    index = {ch: i for i, ch in enumerate(ALPHABET) if i}
    texts = [*every, "AAAAAAAA", "AD", "BB", ""]
    got = text_probabilities(probs, index, texts)
    assert got == pytest.approx([every.get(t, 0.0) for t in texts], rel=1e-5, abs=1e-12)
    assert got[texts.index("AD")] == 0.0
    assert text_probabilities(probs, index, []).shape == (0,)


def test_the_beam_search_never_finds_a_reading_more_probable_than_it_is() -> None:
    """The beam sums the paths it kept, a share of them; the forward algorithm sums them all."""
    probs = _softmax(np.random.default_rng(3).normal(size=(12, len(ALPHABET))))
    readings = beam_search(probs, ALPHABET, width=3)
    index = {ch: i for i, ch in enumerate(ALPHABET) if i}
    exact = text_probabilities(probs, index, [r.text for r in readings])
    assert all(e >= r.probability * (1 - 1e-6) for e, r in zip(exact, readings, strict=True))
