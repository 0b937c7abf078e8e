"""Labelled plate sets on disk: openalpr-style scenes and LPRNet-style crops.

* scenes: ``NAME.jpg`` beside ``NAME.txt``, whose lines are
  ``image<TAB>x<TAB>y<TAB>w<TAB>h<TAB>PLATE`` (one line per plate; openalpr's benchmark format);
* crops: ``ground_truth.csv`` with ``image_file,plate_text[,...]`` and the images beside it or in
  ``images/``.

Published labels have errors (openalpr_eu_dev labels four Slovak and British plates with the
letter O where the plate shows the digit 0); :func:`corrected` applies a reviewed list of them,
so a figure can be given both ways, never silently.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from lanescreen.vision.types import Box


class DatasetError(ValueError):
    """A plate set is missing, empty or malformed; the message names the file and line."""


@dataclass(frozen=True)
class LabelledPlate:
    box: Box
    text: str


@dataclass(frozen=True)
class Scene:
    """A full photo and every plate labelled in it."""

    image: Path
    plates: tuple[LabelledPlate, ...]


@dataclass(frozen=True)
class LabelledCrop:
    """A photo holding only a plate, and its text."""

    image: Path
    text: str


def dataset_kind(directory: Path) -> str:
    """``crops`` if the directory has ground_truth.csv, ``scenes`` if it has label .txt files."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DatasetError(f"{directory} is not a directory")
    if (directory / "ground_truth.csv").is_file():
        return "crops"
    if any(directory.glob("*.txt")):
        return "scenes"
    raise DatasetError(
        f"{directory} holds neither ground_truth.csv (plate crops) nor openalpr .txt labels "
        "(scenes)"
    )


def _parse_label(line: str, where: str) -> tuple[str, LabelledPlate]:
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) < 6:
        raise DatasetError(f"{where}: expected image, x, y, w, h, plate separated by tabs")
    try:
        x, y, w, h = (float(v) for v in fields[1:5])
    except ValueError as exc:
        raise DatasetError(f"{where}: box is not numeric: {fields[1:5]}") from exc
    if w <= 0 or h <= 0:
        raise DatasetError(f"{where}: box has no area: {fields[1:5]}")
    return fields[0], LabelledPlate(Box(x, y, w, h), fields[5].strip())


def load_scenes(directory: Path) -> list[Scene]:
    """Every labelled scene in ``directory``, sorted by label file name."""
    directory = Path(directory)
    scenes: dict[Path, list[LabelledPlate]] = {}
    for label_file in sorted(directory.glob("*.txt")):
        lines = label_file.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            name, plate = _parse_label(line, f"{label_file}:{number}")
            image = directory / name
            if not image.is_file():
                raise DatasetError(f"{label_file}:{number}: image {image} does not exist")
            scenes.setdefault(image, []).append(plate)
    if not scenes:
        raise DatasetError(f"{directory} has no labelled plates")
    return [Scene(image, tuple(plates)) for image, plates in scenes.items()]


def load_crops(directory: Path) -> list[LabelledCrop]:
    """Every crop listed in ``directory/ground_truth.csv``, in file order."""
    directory = Path(directory)
    table = directory / "ground_truth.csv"
    crops = []
    with table.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), 2):
            name, text = row.get("image_file"), row.get("plate_text")
            if not name or text is None:
                raise DatasetError(f"{table}:{number}: needs image_file and plate_text columns")
            image = next(
                (p for p in (directory / "images" / name, directory / name) if p.is_file()), None
            )
            if image is None:
                raise DatasetError(f"{table}:{number}: image {name} not found")
            crops.append(LabelledCrop(image, text.strip()))
    if not crops:
        raise DatasetError(f"{table} lists no crops")
    return crops


@dataclass(frozen=True)
class Correction:
    """A label a set's publisher got wrong, with what the photo shows and how that is known."""

    image: str
    label: str
    corrected: str
    why: str


def load_errata(path: Path) -> list[Correction]:
    """Corrections from a tab-separated file (``image, label, corrected, why``; ``#`` comments),
    such as the project's ``docs/eval-errata.tsv``."""
    corrections = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 4 or not all(f.strip() for f in fields):
            raise DatasetError(f"{path}:{number}: expected image, label, corrected, why")
        corrections.append(Correction(*(f.strip() for f in fields)))
    return corrections


def corrected(
    scenes: Sequence[Scene], errata: Sequence[Correction]
) -> tuple[list[Scene], list[Correction]]:
    """``scenes`` with each erratum applied where its image and label are found; returns them
    and the corrections applied (errata of other sets are not)."""
    fixes = {(c.image, c.label): c for c in errata}
    applied: list[Correction] = []
    out = []
    for scene in scenes:
        plates = []
        for plate in scene.plates:
            fix = fixes.get((scene.image.name, plate.text))
            if fix is not None:
                applied.append(fix)
                plate = replace(plate, text=fix.corrected)
            plates.append(plate)
        out.append(replace(scene, plates=tuple(plates)))
    return out, applied
