"""Face photo sets on disk: labelled identities and unlabelled strangers.

* labelled: ``labels.csv`` with a header ``file,identity[,...]``; files are relative to ``images/``
  beside it (or to the set itself). ``identity`` may name several people separated by ``;``
  (a group photo); such photos cannot be enrolled or probed and are left out, counted.
* strangers: any folder; every photo in it or below it, in name order.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".pgm", ".ppm", ".tif"})


class FaceSetError(ValueError):
    """A face set is missing, empty or malformed; the message names the file and line."""


@dataclass(frozen=True)
class LabelledPhoto:
    path: Path
    identities: tuple[str, ...]
    """Usually one person; several for a group photo."""


def _folder(directory: Path) -> Path:
    directory = Path(directory)
    if not directory.is_dir():
        raise FaceSetError(f"{directory} is not a directory")
    return directory


def load_labelled(directory: Path) -> list[LabelledPhoto]:
    """Every photo listed in ``labels.csv``, in file order, with its identities."""
    directory = _folder(directory)
    labels = directory / "labels.csv"
    if not labels.is_file():
        raise FaceSetError(f"{directory} has no labels.csv (columns file,identity)")
    base = directory / "images" if (directory / "images").is_dir() else directory
    photos = []
    with labels.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"file", "identity"} <= set(reader.fieldnames):
            raise FaceSetError(f"{labels}: the header must name the columns file and identity")
        for line, row in enumerate(reader, start=2):
            name, identity = (row.get("file") or "").strip(), (row.get("identity") or "").strip()
            if not name or not identity:
                raise FaceSetError(f"{labels}:{line}: file and identity are both needed")
            path = base / name
            if not path.is_file():
                raise FaceSetError(f"{labels}:{line}: {path} does not exist")
            people = tuple(p.strip() for p in identity.split(";") if p.strip())
            photos.append(LabelledPhoto(path, people))
    if not photos:
        raise FaceSetError(f"{labels} lists no photos")
    return photos


def find_photos(directories: Sequence[Path]) -> list[Path]:
    """Every photo in these folders and below them, each folder's in name order."""
    found: list[Path] = []
    for directory in directories:
        folder = _folder(directory)
        found += sorted(
            p for p in folder.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file()
        )
    if not found:
        names = ", ".join(str(d) for d in directories)
        raise FaceSetError(f"no photos ({', '.join(sorted(PHOTO_SUFFIXES))}) found in {names}")
    return found
