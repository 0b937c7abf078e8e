"""Paths and helpers the tests share: the models and labelled photos in ../shared beside the repo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_MODELS = SHARED / "models"
EVAL_PLATES = SHARED / "eval" / "plates"
FACES = SHARED / "eval" / "faces"


def need_shared() -> None:
    """Skip, with the reason, where the shared models and photos are not beside the checkout."""
    if not SHARED_MODELS.is_dir() or not EVAL_PLATES.is_dir():
        pytest.skip(f"needs the shared models and photos at {SHARED}")


def plate_labels(set_name: str) -> dict[str, str]:
    """Photo file name -> labelled plate text, for an openalpr-format set."""
    from lanescreen.evaluation.plate_sets import load_scenes

    return {scene.image.name: scene.plates[0].text for scene in load_scenes(EVAL_PLATES / set_name)}


EU_PHOTOS = EVAL_PLATES / "openalpr_eu_dev"

needs_shared = pytest.mark.skipif(
    not SHARED_MODELS.is_dir() or not EVAL_PLATES.is_dir(),
    reason=f"real models or photos not found under {SHARED}",
)
"""Mark for tests that read ../shared; use ``need_shared()`` inside fixtures instead."""

needs_faces = pytest.mark.skipif(
    not SHARED_MODELS.is_dir() or not FACES.is_dir(),
    reason=f"real models or face photos not found under {SHARED}",
)
"""Mark for tests that read the labelled face photos in ../shared/eval/faces."""


def _plate_fonts_missing() -> str:
    from lanescreen.training.synth import FontsMissingError, find_fonts

    try:
        find_fonts()
    except FontsMissingError as exc:
        return str(exc)
    return ""


PLATE_FONTS_MISSING = _plate_fonts_missing()
needs_plate_fonts = pytest.mark.skipif(
    bool(PLATE_FONTS_MISSING),
    reason=f"plate training needs the renderer's fonts (`make deps`): {PLATE_FONTS_MISSING}",
)
"""Mark for tests of plate training, which the README lists as needing ``make deps``'s fonts."""


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def cn_frame(plate: str, lane_id: str = "gate-cn") -> Any:
    """A lane frame holding a real Chinese plate photo from lprnet_cn_dev's half b (never trained
    on): the 94x24 crop enlarged three times on a noisy grey background, as a camera sees it."""
    import cv2
    import numpy as np
    from lanescreen.v1 import common_pb2, screening_pb2

    crop = cv2.imread(str(EVAL_PLATES / "lprnet_cn_dev" / "images" / f"{plate}.jpg"))
    image = np.full((720, 1280, 3), 90, np.uint8)
    cv2.randn(image, (90, 90, 90), (25, 25, 25))
    image[400:472, 500:782] = cv2.resize(crop, (282, 72), interpolation=cv2.INTER_CUBIC)
    ok, jpeg = cv2.imencode(".jpg", image)
    assert ok
    return screening_pb2.Frame(
        lane_id=lane_id, camera=common_pb2.CAMERA_ROLE_PLATE, frame_id=plate, image=jpeg.tobytes()
    )
