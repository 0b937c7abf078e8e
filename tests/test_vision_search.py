"""The cascade finds, on real photos, the plates one detector size misses, and pays for its
second size only where the first is unsure."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from lanescreen.evaluation.plate_sets import Scene, load_scenes
from lanescreen.vision.pipeline import build_detector
from lanescreen.vision.search import CascadeDetector, select, square_around
from lanescreen.vision.types import Box, Image, PlateDetection, PlateDetector

from tests.support import EVAL_PLATES, SHARED_MODELS, needs_shared

US = EVAL_PLATES / "openalpr_us"
LARGE_PLATE = "us4.jpg"
"""A plate half the frame wide: y5fu_640 scores nothing above the threshold, y5fu_320 does."""
DOUBTFUL_PLATE = "wts-lg-000018.jpg"
"""A small plate both sizes score under the threshold on the whole frame; zoomed in, found."""
SURE_PLATES = 30


class Counting:
    """A real detector that counts the frames it is given and their sizes."""

    def __init__(self, detector: PlateDetector) -> None:
        self.detector = detector
        self.name = detector.name
        self.calls: list[tuple[int, int]] = []

    def detect(self, image: Image) -> list[PlateDetection]:
        self.calls.append(image.shape[:2])
        return self.detector.detect(image)


@pytest.fixture(scope="module")
def scenes() -> dict[str, Scene]:
    if not US.is_dir():
        pytest.skip(f"needs {US}")
    return {s.image.name: s for s in load_scenes(US)}


@pytest.fixture
def cascade() -> CascadeDetector:
    built = build_detector("y5fu_cascade", SHARED_MODELS)
    assert isinstance(built, CascadeDetector)
    built.first, built.second = Counting(built.first), Counting(built.second)
    return built


def _finds(detector: PlateDetector, scene: Scene) -> bool:
    found = select(detector.detect(cv2.imread(str(scene.image))), 0.45, 4)
    return any(d.box.iou(p.box) >= 0.4 for d in found for p in scene.plates)


@needs_shared
@pytest.mark.parametrize("name", [LARGE_PLATE, DOUBTFUL_PLATE])
def test_the_cascade_finds_what_the_large_size_misses(
    name: str, scenes: dict[str, Scene], cascade: CascadeDetector
) -> None:
    assert not _finds(build_detector("y5fu_640", SHARED_MODELS), scenes[name])
    assert _finds(cascade, scenes[name])


@needs_shared
def test_a_zoomed_look_is_a_small_square_around_the_doubtful_plate(
    scenes: dict[str, Scene], cascade: CascadeDetector
) -> None:
    _finds(cascade, scenes[DOUBTFUL_PLATE])
    first, second = cascade.first, cascade.second
    assert isinstance(first, Counting) and isinstance(second, Counting)
    assert first.calls == [(720, 1280)]
    whole, *zooms = second.calls
    assert whole == (720, 1280)
    assert zooms and all(h == w and h < 720 for h, w in zooms)


@needs_shared
def test_the_second_size_runs_only_where_the_first_is_unsure(
    scenes: dict[str, Scene], cascade: CascadeDetector
) -> None:
    second = cascade.second
    assert isinstance(second, Counting)
    frames = list(scenes.values())[:SURE_PLATES]
    shapes = [cv2.imread(str(scene.image)) for scene in frames]
    for image in shapes:
        cascade.detect(image)
    whole_frames = sum(1 for call in second.calls if call in {i.shape[:2] for i in shapes})
    assert whole_frames < SURE_PLATES / 3


def test_a_square_around_a_plate_stays_inside_the_frame() -> None:
    assert square_around(Box(10, 10, 40, 20), 3.0, 640, 480) == (0, 0, 160, 160)
    assert square_around(Box(600, 400, 100, 50), 3.0, 640, 480) == (340, 180, 640, 480)
    assert square_around(Box(300, 200, 100, 50), 3.0, 1280, 720) == (200, 75, 500, 375)


def test_unknown_detector_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="y5fu_cascade"):
        build_detector("y5fu_1280", tmp_path)
