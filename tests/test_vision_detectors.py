"""The y5fu plate detectors on real photos: recall, geometry and robustness to odd input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from lanescreen.evaluation.plate_sets import load_scenes
from lanescreen.vision.detectors import Y5fuDetector, order_corners
from lanescreen.vision.weights import ModelError

from tests.support import EU_PHOTOS, SHARED_MODELS, needs_shared

pytestmark = needs_shared


@pytest.fixture(scope="module")
def detector() -> Y5fuDetector:
    return Y5fuDetector(SHARED_MODELS / "y5fu_320x_sim.onnx", 320, threads=1)


def test_order_corners_handles_tilt_and_shuffling() -> None:
    angle = np.deg2rad(25)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    plate = np.array([[0, 0], [100, 0], [100, 25], [0, 25]], dtype=np.float64) @ rotation.T
    for order in ([0, 1, 2, 3], [2, 0, 3, 1], [3, 2, 1, 0]):
        tl, tr, br, bl = order_corners(plate[order].astype(np.float32) + 500)
        expected = plate + 500
        assert np.allclose([tl, tr, br, bl], expected, atol=1e-3)


@pytest.mark.slow
def test_recall_on_real_eu_photos(detector: Y5fuDetector) -> None:
    scenes = load_scenes(EU_PHOTOS)[:20]
    found = total = 0
    for scene in scenes:
        image = np.asarray(cv2.imread(str(scene.image)), np.uint8)
        detections = [d for d in detector.detect(image) if d.score >= 0.45]
        for plate in scene.plates:
            total += 1
            found += any(d.box.iou(plate.box) >= 0.4 for d in detections)
    assert found / total >= 0.85  # 0.98 measured on all 54 (docs/accuracy.md)


@pytest.mark.slow
def test_detection_geometry(detector: Y5fuDetector) -> None:
    scene = load_scenes(EU_PHOTOS)[0]
    image = np.asarray(cv2.imread(str(scene.image)), np.uint8)
    height, width = image.shape[:2]
    detections = detector.detect(image)
    assert detections
    assert [d.score for d in detections] == sorted((d.score for d in detections), reverse=True)
    best = detections[0]
    assert best.box.iou(scene.plates[0].box) >= 0.4
    assert best.box.x >= 0 and best.box.x + best.box.width <= width
    assert best.box.y >= 0 and best.box.y + best.box.height <= height
    assert best.rows == 1 and 0 < best.score <= 1
    assert best.corners is not None
    tl, tr, br, bl = best.corners
    assert tl[0] < tr[0] and bl[0] < br[0] and tl[1] < bl[1] and tr[1] < br[1]


@pytest.mark.slow
def test_grey_input_and_blank_frames(detector: Y5fuDetector) -> None:
    scene = load_scenes(EU_PHOTOS)[0]
    grey = np.asarray(cv2.imread(str(scene.image), cv2.IMREAD_GRAYSCALE), np.uint8)
    assert any(d.box.iou(scene.plates[0].box) >= 0.4 for d in detector.detect(grey))
    assert detector.detect(np.zeros((480, 640, 3), np.uint8)) == []
    assert detector.detect(np.zeros((1, 1, 3), np.uint8)) == []
    assert detector.detect(np.full((3000, 20, 3), 255, np.uint8)) == []
    with pytest.raises(ValueError, match="uint8"):
        detector.detect(np.zeros((10, 10, 3), np.float32))


def test_wrong_model_or_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="320 or 640"):
        Y5fuDetector(SHARED_MODELS / "y5fu_320x_sim.onnx", 416)
    with pytest.raises(ModelError, match="not 640x640"):
        Y5fuDetector(SHARED_MODELS / "y5fu_320x_sim.onnx", 640)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"definitely not a protobuf")
    with pytest.raises(ModelError, match="cannot load ONNX model"):
        Y5fuDetector(junk, 320)
    with pytest.raises(ModelError, match="does not exist"):
        Y5fuDetector(tmp_path / "absent.onnx", 320)
