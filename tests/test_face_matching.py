"""Face gallery search against a brute-force loop, and thresholds from a target FPIR."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from lanescreen.domain import face_matching
from lanescreen.domain.face_matching import (
    Calibration,
    CalibrationError,
    FaceGallery,
    ImpostorScores,
    fmr_for_fpir,
    l2_normalise,
    threshold_for,
)


def _gallery_data(
    rng: np.random.Generator, subjects: int, dim: int = 16
) -> tuple[list[str], npt.NDArray[np.float32]]:
    ids = [f"s{rng.integers(subjects):03d}" for _ in range(subjects * 3)]
    return ids, l2_normalise(rng.normal(size=(len(ids), dim)))


def _brute_force(
    ids: list[str], vectors: npt.NDArray[np.float32], probe: npt.NDArray[np.float32], k: int
) -> list[tuple[str, float]]:
    best: dict[str, float] = {}
    for subject, vector in zip(ids, vectors, strict=True):
        score = float(np.dot(vector.astype(np.float64), probe.astype(np.float64)))
        best[subject] = max(best.get(subject, -2.0), score)
    return sorted(best.items(), key=lambda item: (-item[1], item[0]))[:k]


@pytest.mark.parametrize("batch_elements", [1 << 22, 37])  # one block, and many small ones
def test_search_matches_brute_force(batch_elements: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(face_matching, "_BATCH_ELEMENTS", batch_elements)
    rng = np.random.default_rng(7)
    ids, vectors = _gallery_data(rng, subjects=40)
    gallery = FaceGallery(ids, vectors)
    assert gallery.subjects == len(set(ids)) and gallery.templates == len(ids)
    probes = l2_normalise(rng.normal(size=(25, 16)))
    for k in (1, 3, 100):
        results = gallery.search(probes, k=k)
        assert len(results) == len(probes)
        for probe, found in zip(probes, results, strict=True):
            expected = _brute_force(ids, vectors, probe, k)
            assert [s for s, _ in found] == [s for s, _ in expected]
            assert np.allclose([v for _, v in found], [v for _, v in expected], atol=1e-5)


def test_a_subject_scores_its_best_template_and_one_to_one() -> None:
    vectors = l2_normalise(np.array([[1, 0, 0], [0, 1, 0], [0.6, 0.8, 0], [0, 0, 1]]))
    gallery = FaceGallery(["ann", "bob", "bob", "cy"], vectors)
    probe = l2_normalise([[0.6, 0.8, 0.0]])
    (found,) = gallery.search(probe, k=2)
    assert [s for s, _ in found] == ["bob", "ann"]
    assert [v for _, v in found] == pytest.approx([1.0, 0.6])
    assert gallery.score(probe[0], "bob") == pytest.approx(1.0)
    assert gallery.score(probe, "cy") == pytest.approx(0.0)
    assert gallery.score(probe, "nobody") is None
    assert gallery.subject_ids == ("ann", "bob", "cy")


def test_ties_rank_by_subject_id_and_empty_gallery() -> None:
    vectors = l2_normalise([[1, 0], [1, 0], [0, 1]])
    gallery = FaceGallery(["zed", "amy", "kim"], vectors)
    assert [s for s, _ in gallery.search(l2_normalise([[1, 0]]), k=2)[0]] == ["amy", "zed"]
    empty = FaceGallery([], np.zeros((0, 2), np.float32))
    assert empty.subjects == 0 and empty.search(l2_normalise([[1, 0]])) == [[]]


def test_gallery_is_an_immutable_snapshot() -> None:
    vectors = l2_normalise([[1, 0], [0, 1]])
    gallery = FaceGallery(["a", "b"], vectors)
    vectors[:] = vectors[::-1].copy()
    assert gallery.search(l2_normalise([[1, 0]]))[0][0][0] == "a"


def test_gallery_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="L2-normalised"):
        FaceGallery(["a"], [[3.0, 4.0]])
    with pytest.raises(ValueError, match="2 subject ids for 1"):
        FaceGallery(["a", "b"], l2_normalise([[1, 0]]))
    gallery = FaceGallery(["a"], l2_normalise([[1, 0]]))
    with pytest.raises(ValueError, match="L2-normalised"):
        gallery.search([[2.0, 0.0]])
    with pytest.raises(ValueError, match="probes must be"):
        gallery.search(l2_normalise([[1, 0, 0]]))
    with pytest.raises(ValueError, match="k must be"):
        gallery.search(l2_normalise([[1, 0]]), k=0)


def test_fmr_for_fpir() -> None:
    assert fmr_for_fpir(0.01, 1) == pytest.approx(0.01)
    for n in (2, 50, 10_000, 10_000_000):
        fmr = fmr_for_fpir(0.001, n)
        assert 1 - (1 - fmr) ** n == pytest.approx(0.001, rel=1e-6)
        assert fmr == pytest.approx(0.001 / n, rel=1e-3)  # the small-rate approximation
    with pytest.raises(ValueError):
        fmr_for_fpir(0.0, 10)


def _calibration() -> Calibration:
    colour = ImpostorScores.of(np.arange(1000) / 1000, "uniform 0-0.999")
    grey = ImpostorScores.of(np.arange(100) / 100 + 0.5, "uniform 0.5-1.49")
    return Calibration("dlib_resnet", {"colour": colour, "grey": grey})


def test_threshold_for_a_resolvable_rate() -> None:
    calibration = _calibration()
    choice = threshold_for(calibration, "colour", 1, 0.01)
    assert not choice.extrapolated and choice.fmr == pytest.approx(0.01)
    impostors = calibration.by_camera["colour"]
    assert impostors.fmr_at(choice.threshold) == pytest.approx(0.01)  # scores 0.990-0.999
    assert impostors.fmr_at(np.nextafter(0.989, -1)) > 0.01
    assert 0.989 < choice.threshold <= 0.990
    # Ten subjects: each comparison may false-match only ~0.1% of the time, so it is stricter.
    ten = threshold_for(calibration, "colour", 10, 0.01)
    assert ten.fmr == pytest.approx(1 - 0.99**0.1) and ten.threshold > choice.threshold
    assert impostors.fmr_at(ten.threshold) <= ten.fmr
    assert "1 of 1000 colour impostor scores" in ten.detail


def test_threshold_for_extrapolates_beyond_the_sample() -> None:
    choice = threshold_for(_calibration(), "grey", 1000, 0.001)
    assert choice.extrapolated
    assert choice.fmr == pytest.approx(1e-6, rel=1e-3)
    assert choice.threshold > 1.49 and choice.threshold == pytest.approx(1.49)
    assert "extrapolated" in choice.detail and "100 grey impostor scores" in choice.detail


def test_unknown_camera_falls_back_to_colour() -> None:
    calibration = _calibration()
    choice = threshold_for(calibration, "thermal", 1, 0.01)
    assert choice.threshold == threshold_for(calibration, "colour", 1, 0.01).threshold
    assert "no calibration for camera type 'thermal'; used 'colour'" in choice.detail
    grey_only = Calibration("x", {"grey": calibration.by_camera["grey"]})
    with pytest.raises(CalibrationError, match="thermal"):
        threshold_for(grey_only, "thermal", 1, 0.01)


def test_calibration_round_trip_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    _calibration().save(path)
    loaded = Calibration.load(path)
    assert loaded.embedder == "dlib_resnet" and set(loaded.by_camera) == {"colour", "grey"}
    assert np.allclose(loaded.by_camera["colour"].scores, np.arange(1000) / 1000)
    assert loaded.by_camera["grey"].source == "uniform 0.5-1.49"
    with pytest.raises(CalibrationError, match="does not exist"):
        Calibration.load(tmp_path / "missing.json")
    path.write_text("{not json")
    with pytest.raises(CalibrationError, match="cannot be read"):
        Calibration.load(path)
    path.write_text(json.dumps({"format": "lanescreen-face-calibration/1", "by_camera": {}}))
    with pytest.raises(CalibrationError, match="no impostor scores"):
        Calibration.load(path)
    assert math.isclose(ImpostorScores.of([0.1, 0.2]).resolution, 0.5)
