"""Real plate crops for fine-tuning and measuring: the lprnet_cn_dev halves, openalpr truth crops.

``lprnet_cn_dev`` (Apache-2.0) may be trained on, but never measured on the crops trained on: it
is split in two fixed halves by the sha256 of each file name (sorted; the first 250 are half
``a``, the rest half ``b``), which depends on nothing but the names, so every run and every
machine splits alike. Fine-tuning on one half is measured on the other.

The openalpr sets are AGPL-3.0 evaluation data: they are only ever cut into ground-truth crops
(the labelled box with the pipeline's own margin and height) to measure on, never trained on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lanescreen.domain.plates import normalize_plate
from lanescreen.evaluation.plate_sets import LabelledCrop, dataset_kind, load_crops, load_scenes
from lanescreen.vision.pipeline import CROP_HEIGHT, CROP_PAD
from lanescreen.vision.rectify import crop_plate
from lanescreen.vision.types import Image, PlateDetection

CN_SET = "lprnet_cn_dev"
TRUTH_CROP_SETS = ("openalpr_us", "openalpr_eu_dev")
HALVES = ("a", "b")


@dataclass(frozen=True)
class RealCrop:
    """A real plate crop (BGR) and its label in normal form."""

    image: Image
    text: str
    source: str


def _read(path: Path) -> Image:
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot decode {path}")
    return np.ascontiguousarray(image, dtype=np.uint8)


def other_half(half: str) -> str:
    if half not in HALVES:
        raise ValueError(f"half must be one of {HALVES}, got {half!r}")
    return HALVES[1 - HALVES.index(half)]


def _half(directory: Path, half: str) -> list[LabelledCrop]:
    other_half(half)
    crops = sorted(
        load_crops(directory),
        key=lambda c: hashlib.sha256(c.image.name.encode("utf-8")).hexdigest(),
    )
    middle = len(crops) // 2
    return crops[:middle] if half == "a" else crops[middle:]


def cn_half(directory: Path, half: str) -> list[RealCrop]:
    """Half ``a`` or ``b`` of an lprnet-style crop set (see the module docstring for the split)."""
    return _decoded(_half(directory, half))


def _decoded(crops: list[LabelledCrop]) -> list[RealCrop]:
    return [RealCrop(_read(c.image), normalize_plate(c.text), c.image.name) for c in crops]


def write_half(directory: Path, half: str, out: Path) -> int:
    """A crop set of one half (``ground_truth.csv`` + links to the images) for ``lanescreen eval``.

    Returns the number of crops written.
    """
    chosen = _half(directory, half)
    images = Path(out) / "images"
    images.mkdir(parents=True, exist_ok=True)
    lines = ["image_file,plate_text"]
    for crop in chosen:
        link = images / crop.image.name
        if not link.exists():
            link.symlink_to(crop.image.resolve())
        lines.append(f"{crop.image.name},{crop.text}")
    (Path(out) / "ground_truth.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(chosen)


def truth_crops(directory: Path) -> list[RealCrop]:
    """Every labelled plate of an openalpr-style scene set, cut as the pipeline cuts crops."""
    out = []
    for scene in load_scenes(directory):
        image = _read(scene.image)
        for plate in scene.plates:
            detection = PlateDetection(plate.box, 1.0)
            crop = crop_plate(image, detection, out_h=CROP_HEIGHT, pad=CROP_PAD)
            out.append(RealCrop(crop, normalize_plate(plate.text), scene.image.name))
    return out


def real_crops(directory: Path) -> list[RealCrop]:
    """The plate crops of either kind of labelled set: a crop set's crops as they are, a scene
    set's labelled plates cut as the pipeline cuts them (:func:`truth_crops`)."""
    if dataset_kind(directory) == "scenes":
        return truth_crops(directory)
    return _decoded(load_crops(directory))
