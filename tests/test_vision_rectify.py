"""Plate crops: perspective warps undo real tilt; bad corners fall back to the box."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from lanescreen.evaluation.plate_sets import load_scenes
from lanescreen.vision.rectify import crop_plate
from lanescreen.vision.types import Box, PlateDetection

from tests.support import EU_PHOTOS, needs_shared

pytestmark = needs_shared


@pytest.fixture(scope="module")
def plate() -> np.ndarray:
    """A real plate cut from a labelled EU_PHOTOS photo (its box, no margin)."""
    scene = load_scenes(EU_PHOTOS)[0]
    box = scene.plates[0].box
    image = np.asarray(cv2.imread(str(scene.image)), np.uint8)
    x, y, w, h = int(box.x), int(box.y), int(box.width), int(box.height)
    return image[y : y + h, x : x + w].copy()


def _tilted_scene(plate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paste the plate into a grey frame under a known perspective; return frame and corners."""
    h, w = plate.shape[:2]
    corners = np.array(
        [[210, 140], [210 + w * 1.1, 120], [200 + w * 1.15, 120 + h * 1.3], [195, 150 + h]]
    )
    matrix = cv2.getPerspectiveTransform(
        np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32), corners.astype(np.float32)
    )
    frame = cv2.warpPerspective(plate, matrix, (800, 500), borderValue=(90, 90, 90))
    return frame, corners


def test_warp_recovers_a_tilted_plate(plate: np.ndarray) -> None:
    frame, corners = _tilted_scene(plate)
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    detection = PlateDetection(
        Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0)),
        0.9,
        corners=tuple((float(x), float(y)) for x, y in corners),  # type: ignore[arg-type]
    )
    crop = crop_plate(frame, detection, out_h=64, pad=0.0)
    assert crop.shape[0] == 64 and crop.dtype == np.uint8 and crop.shape[2] == 3
    expected = cv2.resize(plate, (crop.shape[1], 64), interpolation=cv2.INTER_AREA)
    # Straightened, the crop matches the original plate closely; the tilted box crop does not.
    assert np.abs(crop.astype(int) - expected.astype(int)).mean() < 20
    boxed = crop_plate(frame, PlateDetection(detection.box, 0.9), out_h=64, pad=0.0)
    boxed = np.asarray(cv2.resize(boxed, (crop.shape[1], 64)), np.uint8)
    assert (
        np.abs(boxed.astype(int) - expected.astype(int)).mean()
        > np.abs(crop.astype(int) - expected.astype(int)).mean()
    )


def test_padding_adds_margin(plate: np.ndarray) -> None:
    frame, corners = _tilted_scene(plate)
    detection = PlateDetection(
        Box(190, 110, 260, 100),
        0.9,
        corners=tuple(map(tuple, corners.tolist())),  # type: ignore[arg-type]
    )
    tight = crop_plate(frame, detection, out_h=64, pad=0.0)
    padded = crop_plate(frame, detection, out_h=64, pad=0.2)
    assert padded.shape[0] == tight.shape[0] == 64
    # The plate shrinks to 64 / 1.4 px tall inside the padded crop, with 0.2 x that each side.
    aspect = tight.shape[1] / 64
    assert abs(padded.shape[1] - (46 * aspect + 2 * 0.2 * 64 / 1.4)) <= 2
    # The margin shows the frame around the plate (grey 90), which the tight crop does not.
    assert abs(padded[:4].mean() - 90) < abs(tight[:4].mean() - 90)


def test_bad_corners_fall_back_to_the_box(plate: np.ndarray) -> None:
    frame, _ = _tilted_scene(plate)
    box = Box(200, 120, 200, 60)
    collapsed = PlateDetection(box, 0.9, corners=((200, 120), (200, 120), (201, 121), (200, 121)))
    twisted = PlateDetection(box, 0.9, corners=((200, 120), (400, 180), (400, 120), (200, 180)))
    for detection in (collapsed, twisted):
        crop = crop_plate(frame, detection, out_h=48, pad=0.1)
        assert crop.shape[0] == 48 and crop.shape[1] >= 48


def test_boxes_at_or_past_the_edges(plate: np.ndarray) -> None:
    frame, _ = _tilted_scene(plate)
    for box in (Box(-50, -20, 100, 40), Box(790, 490, 60, 30), Box(5000, 5000, 10, 5)):
        crop = crop_plate(frame, PlateDetection(box, 0.5), out_h=32)
        assert crop.shape[0] == 32 and crop.size > 0
    grey = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8)
    assert crop_plate(grey, PlateDetection(Box(200, 120, 200, 60), 0.5)).ndim == 3


def test_invalid_arguments() -> None:
    image = np.zeros((100, 100, 3), np.uint8)
    detection = PlateDetection(Box(10, 10, 50, 20), 0.5)
    with pytest.raises(ValueError, match="out_h"):
        crop_plate(image, detection, out_h=2)
    with pytest.raises(ValueError, match="pad"):
        crop_plate(image, detection, pad=-0.1)
    with pytest.raises(ValueError, match="no area"):
        crop_plate(image, PlateDetection(Box(10, 10, 0, 20), 0.5))
