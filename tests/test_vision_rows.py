"""Two-row plates read as one line: where the rows are cut, how the two readings are weighed."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from lanescreen.vision.rows import (
    ROWS_MARGIN,
    ROWS_SURE,
    prefer,
    read_plates,
    row_cut,
    side_by_side,
)
from lanescreen.vision.types import Candidate, PlateText

from tests.support import EVAL_PLATES, SHARED_MODELS, needs_shared

TWO_ROW_PLATES = 20
TWO_ROW_READ = 6  # the shipped model reads 9 of these 20 in full, none as one line


def _two_rows(top: str = "AB", bottom: str = "12345", pad: int = 0) -> tuple[np.ndarray, int, int]:
    """A drawn two-row plate (small top row, big bottom row, as on Chinese truck plates), in
    ``pad`` pixels of plain background; returns it with the gap's first and last rows."""
    plate = np.full((120, 220, 3), (40, 200, 230), np.uint8)
    cv2.rectangle(plate, (2, 2), (217, 117), (20, 20, 20), 2)
    cv2.putText(plate, top, (70, 38), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (20, 20, 20), 3)
    cv2.putText(plate, bottom, (12, 105), cv2.FONT_HERSHEY_SIMPLEX, 1.9, (20, 20, 20), 5)
    image = cv2.copyMakeBorder(plate, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(90, 90, 90))
    return image, pad + 40, pad + 58


@pytest.mark.parametrize("pad", [0, 12, 40])
def test_the_cut_falls_between_the_rows(pad: int) -> None:
    image, gap_top, gap_bottom = _two_rows(pad=pad)
    cut = row_cut(image)
    assert cut is not None and gap_top <= cut <= gap_bottom, (cut, gap_top, gap_bottom)


def test_side_by_side_is_one_line_top_row_first() -> None:
    image, _, _ = _two_rows()
    cut = row_cut(image)
    assert cut is not None
    line = side_by_side(image)
    height = line.shape[0]
    assert height < image.shape[0] and line.shape[1] > 1.5 * image.shape[1]
    # The right part is the bottom row itself, unscaled.
    assert np.array_equal(line[:, -image.shape[1] :], image[image.shape[0] - height :])
    assert side_by_side(np.zeros((5, 40, 3), np.uint8)).shape == (5, 40, 3)  # too small to cut
    assert row_cut(np.full((64, 160, 3), 128, np.uint8)) is None  # no strokes to cut between


def _text(text: str, confidence: float, *candidates: Candidate) -> PlateText:
    return PlateText(text, confidence, tuple(confidence for _ in text), candidates)


def test_the_surer_reading_wins_and_the_other_stays_a_candidate() -> None:
    one_line, rows = _text("ABC123", 0.9), _text("A8", 0.3, Candidate("AB", 0.1))
    chosen = prefer(one_line, rows)
    assert chosen.text == "ABC123"
    assert [c.text for c in chosen.candidates] == ["A8", "AB"]
    assert prefer(_text("X1", 0.2), _text("湘AX1234", 0.2 + ROWS_MARGIN)).text == "湘AX1234"
    assert prefer(_text("X1", 0.2), _text("湘AX1234", 0.2 + ROWS_MARGIN / 2)).text == "X1"


def test_a_sure_rows_reading_holding_the_one_line_reading_wins() -> None:
    """Read as one line, a two-row plate's bigger row reads confidently and alone."""
    bottom_row = _text("54909", 0.95)
    assert prefer(bottom_row, _text("闽G54909", ROWS_SURE)).text == "闽G54909"
    assert prefer(bottom_row, _text("闽G54909", ROWS_SURE - 0.01)).text == "54909"
    assert prefer(bottom_row, _text("闽G5490", 0.9)).text == "54909"  # not holding it


def test_row_counts_must_match_the_crops() -> None:
    with pytest.raises(ValueError, match="2 crops but 1 row counts"):
        read_plates(None, [np.zeros((8, 8, 3), np.uint8)] * 2, [1])  # type: ignore[arg-type]


@needs_shared
@pytest.mark.slow
def test_one_row_plates_called_two_row_keep_their_reading() -> None:
    """HyperLPR's detector calls a third of US one-row plates two-row: their reading survives."""
    from lanescreen.training.real_sets import truth_crops
    from lanescreen.vision.readers.lanescreen_reader import build_lanescreen_reader

    reader = build_lanescreen_reader()
    crops = truth_crops(EVAL_PLATES / "openalpr_us")[:40]
    images = [c.image for c in crops]
    as_one = read_plates(reader, images, [1] * len(images))
    as_two = read_plates(reader, images, [2] * len(images))
    exact = [i for i, c in enumerate(crops) if as_one[i].text == c.text]
    assert len(exact) >= 20
    kept = sum(as_two[i].text == crops[i].text for i in exact)
    assert kept >= 0.9 * len(exact), (kept, len(exact))
    # Whichever reading lost is offered as a candidate.
    assert all(
        as_two[i].text == as_one[i].text or as_one[i].text in [c.text for c in as_two[i].candidates]
        for i in range(len(crops))
    )


@needs_shared
@pytest.mark.slow
def test_two_row_plates_in_a_frame_are_read_in_full(tmp_path: Path) -> None:
    """Rendered Chinese two-row plates set in a frame: the detector calls most of them two-row,
    and the own reader reads them in full only with their rows side by side."""
    from lanescreen.config import VisionConfig
    from lanescreen.domain.plates import normalize_plate
    from lanescreen.training.synth import FontsMissingError, PlateRenderer, RenderConfig
    from lanescreen.vision.pipeline import build_pipeline, ensure_models

    try:
        renderer = PlateRenderer(7, styles={"cn_yellow": 1.0}, config=RenderConfig(out_h=160))
    except FontsMissingError as exc:
        pytest.skip(f"plate fonts not installed: {exc}")
    vision = VisionConfig(detector="y5fu_640", reader="lanescreen", model_mirror=str(SHARED_MODELS))
    ensure_models(vision, tmp_path)
    pipeline = build_pipeline(vision, tmp_path)
    flagged = in_full = as_one_line = 0
    while flagged < TWO_ROW_PLATES:
        sample = renderer.sample()
        if sample.rows != 2:
            continue
        frame = np.full((480, 640, 3), 110, np.uint8)
        height, width = sample.image.shape[:2]
        frame[160 : 160 + height, 200 : 200 + width] = sample.image
        detections = pipeline.detect(frame)
        if not detections or detections[0].rows != 2:
            continue
        flagged += 1
        crop = pipeline.crop(frame, detections[0])
        (read,) = pipeline.read([crop], rows=[2])
        (one_line,) = pipeline.read([crop], rows=[1])
        label = normalize_plate(sample.text)
        in_full += normalize_plate(read.text) == label
        as_one_line += normalize_plate(one_line.text) == label
    assert as_one_line == 0
    assert in_full >= TWO_ROW_READ, in_full
