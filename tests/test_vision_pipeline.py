"""The configured pipeline end to end on real photos, with models fetched by the real code."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from lanescreen.config import VisionConfig
from lanescreen.domain.plates import normalize_plate
from lanescreen.evaluation.plate_sets import load_scenes
from lanescreen.vision.pipeline import (
    PlatePipeline,
    build_detector,
    build_pipeline,
    ensure_models,
)
from lanescreen.vision.search import search_region, select
from lanescreen.vision.types import Box, PlateDetection
from lanescreen.vision.weights import ModelError

from tests.support import EU_PHOTOS, SHARED_MODELS, needs_shared

pytestmark = needs_shared


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> PlatePipeline:
    model_dir = tmp_path_factory.mktemp("models")
    vision = VisionConfig(detector="y5fu_320", model_mirror=str(SHARED_MODELS))
    paths = ensure_models(vision, model_dir)
    assert sorted(p.name for p in paths) == ["cct_xs_v1_global.onnx", "y5fu_320x_sim.onnx"]
    return build_pipeline(vision, model_dir)


@pytest.mark.slow
def test_recognize_reads_real_plates(pipeline: PlatePipeline) -> None:
    hits = total = 0
    for scene in load_scenes(EU_PHOTOS)[:10]:
        image = np.asarray(cv2.imread(str(scene.image)), np.uint8)
        results = pipeline.recognize(image)
        assert len(results) <= pipeline.max_plates
        for plate in scene.plates:
            total += 1
            hits += any(
                d.box.iou(plate.box) >= 0.4 and normalize_plate(t.text) == plate.text
                for d, t in results
            )
    assert hits / total >= 0.7


@pytest.mark.slow
def test_stages_compose_like_recognize(pipeline: PlatePipeline) -> None:
    image = np.asarray(cv2.imread(str(load_scenes(EU_PHOTOS)[0].image)), np.uint8)
    detections = pipeline.detect(image)
    crops = [pipeline.crop(image, d) for d in detections]
    assert all(c.shape[0] == pipeline.crop_height for c in crops)
    texts = pipeline.read(crops)
    assert [(d, t.text) for d, t in zip(detections, texts, strict=True)] == [
        (d, t.text) for d, t in pipeline.recognize(image)
    ]
    assert pipeline.read([]) == []
    assert pipeline.recognize(np.zeros((240, 320, 3), np.uint8)) == []


def test_select_filters_and_limits() -> None:
    dets = [PlateDetection(Box(i * 20, 0, 10, 5), s) for i, s in enumerate((0.3, 0.9, 0.5, 0.7))]
    assert [d.score for d in select(dets, 0.45, 2)] == [0.9, 0.7]
    assert select(dets, 0.95, 4) == []


def test_select_reads_a_plate_found_twice_once() -> None:
    plate = PlateDetection(Box(100, 50, 120, 30), 0.9)
    band = PlateDetection(Box(110, 57, 80, 18), 0.6)  # inside it: NMS (IoU 0.5) keeps both
    shifted = PlateDetection(Box(130, 52, 120, 30), 0.7)  # most of it over the plate
    beside = PlateDetection(Box(230, 50, 120, 30), 0.8)  # a second vehicle's plate, touching
    assert plate.box.iou(band.box) < 0.5
    assert select([band, plate, shifted, beside], 0.45, 4) == [plate, beside]
    # The merged ones do not count towards the limit.
    assert select([band, plate, shifted, beside], 0.45, 2) == [plate, beside]


def test_missing_models_without_auto_fetch(tmp_path: Path) -> None:
    vision = VisionConfig(auto_fetch=False)
    with pytest.raises(ModelError, match="lanescreen models fetch y5fu_640"):
        ensure_models(vision, tmp_path)
    with pytest.raises(ValueError, match="unknown plate detector 'yolo'"):
        build_detector("yolo", tmp_path)


def test_search_region_is_a_square_around_the_plate_inside_the_frame() -> None:
    assert search_region(Box(500, 300, 100, 30), 1280, 720) == (300, 65, 800, 565)
    # At the frame's edge the square moves in rather than shrink; never larger than the frame.
    assert search_region(Box(1250, 700, 100, 30), 1280, 720) == (780, 220, 1280, 720)
    assert search_region(Box(10, 10, 400, 100), 640, 480) == (0, 0, 480, 480)
    assert search_region(Box(10, 10, 4, 2), 640, 480) == (0, 0, 160, 160)  # far: its surroundings


@pytest.mark.slow
def test_detect_near_finds_a_tracked_plate_and_says_when_one_is_lost(
    pipeline: PlatePipeline,
) -> None:
    assert pipeline.track_detector is not None  # vision.track_detector's default
    scene = load_scenes(EU_PHOTOS)[0]
    image = np.asarray(cv2.imread(str(scene.image)), np.uint8)
    plate = scene.plates[0].box
    expected = Box(plate.x + 0.3 * plate.width, plate.y, plate.width, plate.height)  # a bit off
    found = pipeline.detect_near(image, [expected])
    assert found and found[0].box.iou(plate) >= 0.5
    assert pipeline.detect_near(image, [expected, Box(2, 2, 40, 12)]) is None  # one lost
    assert pipeline.detect_near(image, [Box(-500, 10, 40, 12)]) is None  # gone from the frame
    assert pipeline.detect_near(image, []) is None
