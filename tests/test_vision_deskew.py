"""Levelling slanted plate crops: the angle found undoes the slant; level crops stay as they are."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from lanescreen.vision.deskew import STEP, level, skew_angle

from tests.support import EVAL_PLATES, needs_shared


def _plate() -> np.ndarray:
    """A level plate crop: a pale plate with a dark rim and dark characters, on a grey margin."""
    image = np.full((64, 220, 3), 90, np.uint8)
    cv2.rectangle(image, (10, 12), (210, 52), (235, 235, 235), -1)
    cv2.rectangle(image, (10, 12), (210, 52), (30, 30, 30), 2)
    cv2.putText(image, "AB 123 CD", (22, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (20, 20, 20), 3)
    return image


@pytest.mark.parametrize("slant", [-9.0, -5.0, 4.0, 8.0])
def test_the_angle_found_undoes_the_slant(slant: float) -> None:
    slanted = level(_plate(), slant)
    found = skew_angle(slanted)
    assert abs(found + slant) <= STEP
    assert abs(skew_angle(level(slanted, found))) <= STEP


def test_level_blank_and_tiny_crops_are_left_alone() -> None:
    assert skew_angle(_plate()) == 0.0
    assert skew_angle(np.full((64, 200, 3), 128, np.uint8)) == 0.0
    assert skew_angle(np.zeros((5, 40), np.uint8)) == 0.0
    same = level(_plate(), 0.0)
    assert same.shape == (64, 220, 3) and same.dtype == np.uint8
    assert np.array_equal(same, _plate())


@needs_shared
def test_the_own_reader_reads_a_slanted_real_crop_levelled() -> None:
    """Two openalpr_us box crops of tilted plates: read unsurely as they are, exactly levelled."""
    from lanescreen.training.real_sets import truth_crops
    from lanescreen.vision.readers.easyocr_reader import BAND_TRUSTED
    from lanescreen.vision.readers.lanescreen_reader import build_lanescreen_reader

    wanted = {"wts-lg-000026.jpg": "ML0C2S", "car9-7.jpg": "ASV9218"}
    crops = {c.source: c for c in truth_crops(EVAL_PLATES / "openalpr_us") if c.source in wanted}
    reader = build_lanescreen_reader()
    for name, label in wanted.items():
        crop = crops[name]
        assert crop.text == label and skew_angle(crop.image) != 0.0
        reader.level_unsure = False
        as_is = reader.read([crop.image])[0]
        reader.level_unsure = True
        levelled = reader.read([crop.image])[0]
        assert as_is.confidence < BAND_TRUSTED and as_is.text != label
        assert levelled.text == label and levelled.confidence > as_is.confidence
