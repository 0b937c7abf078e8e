"""lanescreen's own plate recogniser, shipped inside the package and read through EasyOCR.

The three files (``lanescreen_plate.pth/.yaml/.py``, EasyOCR's custom-model format, made by
``lanescreen train plates``) live in ``models/`` beside this module. Nothing is downloaded: each
file is checked against the sha256 pinned here before EasyOCR sees it (the ``.py`` is code EasyOCR
imports, and the ``.yaml`` sets its input), and EasyOCR is given that folder as both its model
and user-network directory, so it writes nothing under the home directory.

The character set (Latin, digits, the Chinese province and special characters) is the model's
own ``character_list`` and is the reader's allowlist.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..weights import ModelError, VerifyResult, file_digest
from .easyocr_reader import EasyOcrReader

READER_NAME = "lanescreen"
NETWORK = "lanescreen_plate"
MODEL_DIR = Path(__file__).resolve().parent / "models"
PINNED_SHA256 = {
    f"{NETWORK}.pth": "34c9dfbce76aeaa7f8583d3e466cac79e0dd3f6696a611c8bf6aad0b411d0084",
    f"{NETWORK}.yaml": "d03ec67dba6caf9da599143d1853bd4ded746161050eb928758cb916cbf01fef",
    f"{NETWORK}.py": "2e914e374dbe31fe0117e78436c38d66fc5d737d47a9ccf7fb74ced416f1990d",
}
"""The shipped files' checksums; ``lanescreen train plates`` prints the new ones."""
MODEL_CARD = MODEL_DIR / "MODEL_CARD.md"
"""What the shipped model is, what it learnt from, how well it reads: ships beside it, and names
the checksums above, so that new weights come with their card."""


def check_shipped(directory: Path = MODEL_DIR) -> list[VerifyResult]:
    """The state of each shipped file (``lanescreen models verify`` and ``list`` show them)."""
    results = []
    for filename, expected in PINNED_SHA256.items():
        path = directory / filename
        if not path.is_file():
            results.append(VerifyResult(READER_NAME, filename, path, "missing", "sha256", expected))
            continue
        actual = file_digest(path)
        status = "ok" if actual == expected else "corrupt"
        results.append(
            VerifyResult(READER_NAME, filename, path, status, "sha256", expected, actual)
        )
    return results


def verify_shipped(directory: Path = MODEL_DIR) -> None:
    """Raise ModelError unless every shipped file is present and matches its pinned sha256."""
    for result in check_shipped(directory):
        if result.status == "missing":
            raise ModelError(f"lanescreen's plate model is incomplete: {result.path} is missing")
        if not result.ok:
            raise ModelError(
                f"{result.path} does not match its pinned sha256 (expected {result.expected}, "
                f"got {result.actual}); reinstall lanescreen"
            )


def model_charset(directory: Path = MODEL_DIR) -> str:
    """The ``character_list`` of the network's YAML in ``directory`` (written as a JSON string)."""
    yaml_path = directory / f"{NETWORK}.yaml"
    try:
        lines = yaml_path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"cannot read the plate model's {yaml_path}: {exc}") from exc
    for line in lines:
        key, _, value = line.partition(":")
        if key == "character_list":
            try:
                charset = json.loads(value)
            except ValueError as exc:
                raise ModelError(f"{yaml_path}: character_list is not a JSON string") from exc
            if isinstance(charset, str) and charset:
                return charset
    raise ModelError(f"{yaml_path} has no character_list")


def build_lanescreen_reader(threads: int = 1, directory: Path | None = None) -> EasyOcrReader:
    """lanescreen's reader, named ``lanescreen``: the shipped model, verified first, or with
    ``directory`` the model of a training run's folder (``lanescreen train plates --out``), to
    measure before installing it. A run's files are not checked against the shipped checksums:
    name only a folder you trust, as its ``.py`` is code EasyOCR imports."""
    if directory is None:
        directory = MODEL_DIR
        verify_shipped(directory)
    reader = EasyOcrReader(
        model_dir=directory,
        recog_network=NETWORK,
        user_network_dir=directory,
        allowlist=model_charset(directory),
        threads=threads,
        read_text_band=True,
        level_unsure=True,
    )
    reader.name = READER_NAME
    return reader
