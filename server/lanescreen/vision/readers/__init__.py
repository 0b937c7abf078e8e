"""Plate readers, chosen by name (``vision.reader``)."""

from __future__ import annotations

from pathlib import Path

from ..types import PlateReader
from ..weights import FUSED_READERS, READER_MODELS, SHIPPED_READERS, require

READER_NAMES = (*READER_MODELS, *SHIPPED_READERS, *FUSED_READERS)
"""``fast_plate_ocr`` (ONNX), ``easyocr`` (PyTorch, imported only when chosen), ``lanescreen``
(the project's own model, shipped in the package, read through EasyOCR) and ``fused`` and
``lanescreen_fused`` (the first and the third together, led by one or the other, :mod:`.fused`)."""


def build_reader(
    name: str, model_dir: Path, threads: int = 1, plate_model: Path | None = None
) -> PlateReader:
    """Load the named reader from ``model_dir``; a missing or corrupt model raises ModelError.
    ``plate_model``: a training run's folder whose model ``lanescreen`` reads instead of the
    shipped one."""
    if name == "fast_plate_ocr":
        from .fast_plate_ocr import FastPlateOcrReader

        return FastPlateOcrReader(require(model_dir, READER_MODELS[name]), threads)
    if name == "easyocr":
        from .easyocr_reader import EasyOcrReader

        return EasyOcrReader(model_dir, threads=threads)
    if name == "lanescreen":
        from .lanescreen_reader import build_lanescreen_reader

        return build_lanescreen_reader(threads, plate_model)
    if name in FUSED_READERS:
        from .fast_plate_ocr import FastPlateOcrReader
        from .fused import ALWAYS, FusedReader
        from .lanescreen_reader import build_lanescreen_reader

        fast = FastPlateOcrReader(require(model_dir, READER_MODELS["fast_plate_ocr"]), threads)
        own = build_lanescreen_reader(threads, plate_model)
        if name == "fused":
            return FusedReader(fast, own)
        # Only the own reader writes a Chinese plate's province: it leads, on every crop.
        return FusedReader(own, fast, name=name, gate=ALWAYS, provinces=True)
    raise ValueError(f"unknown plate reader {name!r} (known: {', '.join(READER_NAMES)})")
