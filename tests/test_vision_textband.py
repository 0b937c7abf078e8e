"""The character band of a plate crop: found on real crops, absent where the crop is all band,
parted from a line of text merged with it."""

from __future__ import annotations

import numpy as np
import pytest
from lanescreen.vision.textband import parted_band, text_band

from tests.support import EVAL_PLATES, needs_shared


def _plate(rows: int = 64, text_rows: tuple[int, int] = (24, 44)) -> np.ndarray:
    """A white crop with dark vertical strokes only in ``text_rows`` (and a thin line above)."""
    image = np.full((rows, 160, 3), 230, np.uint8)
    top, bottom = text_rows
    for x in range(10, 150, 12):
        image[top:bottom, x : x + 4] = 20
    image[6:8, 20:140] = 60  # a horizontal rule: no vertical strokes, not text
    return image


def _plate_with_a_line_below() -> np.ndarray:
    """Characters in rows 14-46 and, a row below them, a line of smaller, denser strokes (a state
    name, a dealer's name) in rows 48-58: one band at ``LEVEL`` that fills the crop."""
    image = _plate(text_rows=(14, 46))
    for x in range(12, 148, 8):
        image[48:58, x : x + 2] = 90
    return image


def test_the_band_is_the_rows_with_the_strokes_plus_a_margin() -> None:
    band = text_band(_plate())
    assert band is not None
    top, bottom = band
    assert 15 <= top <= 24 and 44 <= bottom <= 53


def test_no_band_when_the_strokes_fill_the_crop_or_there_are_none() -> None:
    assert text_band(_plate(text_rows=(2, 62))) is None
    assert text_band(np.full((64, 160, 3), 128, np.uint8)) is None
    assert text_band(np.full((4, 160), 128, np.uint8)) is None


def test_a_line_of_text_against_the_characters_is_parted_off() -> None:
    image = _plate_with_a_line_below()
    assert text_band(image) is None
    band = parted_band(image)
    assert band is not None
    top, bottom = band
    # The characters with their margin, not the line below them.
    assert 6 <= top <= 14 and 46 <= bottom <= 53


def test_nothing_to_part_where_there_is_a_band_or_only_characters() -> None:
    assert parted_band(_plate()) is None
    assert parted_band(_plate(text_rows=(2, 62))) is None
    assert parted_band(np.full((64, 160, 3), 128, np.uint8)) is None


@needs_shared
@pytest.mark.parametrize("set_name", ["openalpr_us", "openalpr_eu_dev"])
def test_real_crops_keep_their_characters(set_name: str) -> None:
    from lanescreen.training.real_sets import truth_crops

    crops = truth_crops(EVAL_PLATES / set_name)[:40]
    bands = [text_band(c.image) for c in crops]
    found = [b for b in bands if b is not None]
    # US crops carry state names and frames: most have a band well inside the crop; wherever a
    # band is found it keeps the middle of the crop, where the characters are.
    for top, bottom in found:
        assert top < 32 < bottom
    if set_name == "openalpr_us":
        assert len(found) >= 30


@needs_shared
def test_reading_the_band_reads_more_us_plates() -> None:
    from lanescreen.domain.plates import normalize_read
    from lanescreen.training.real_sets import truth_crops
    from lanescreen.vision.readers.lanescreen_reader import build_lanescreen_reader

    crops = truth_crops(EVAL_PLATES / "openalpr_us")[:60]
    reader = build_lanescreen_reader(threads=1)

    def exact() -> int:
        reads = reader.read([c.image for c in crops])
        return sum(
            normalize_read(r.text, r.char_confidences)[0] == c.text
            for r, c in zip(reads, crops, strict=True)
        )

    with_band = exact()
    reader.read_text_band = False
    whole_crop = exact()
    # The own reader learned tight crops; a US crop is half state name and frame (measured on all
    # 222: 107 exact with the band, 31 on the whole crop).
    assert with_band >= whole_crop + 8


@needs_shared
def test_a_plate_merged_with_its_state_name_is_read_from_its_parted_band() -> None:
    from lanescreen.training.real_sets import truth_crops
    from lanescreen.vision.readers.lanescreen_reader import build_lanescreen_reader

    # An Arizona plate whose state name sits right under its characters: read whole, the shipped
    # model reads nothing (its first pass is the whole crop, as no band is found).
    (crop,) = [c for c in truth_crops(EVAL_PLATES / "openalpr_us") if c.text == "AYX8803"]
    assert text_band(crop.image) is None
    assert parted_band(crop.image) is not None
    reader = build_lanescreen_reader(threads=1)
    assert reader.read([crop.image])[0].text == "AYX8803"
