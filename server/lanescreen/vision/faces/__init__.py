"""Face screening's vision layer: YuNet detection, dlib alignment and embedding, a quality gate,
and worker processes to run them (dlib holds the GIL)."""

from pathlib import Path

CALIBRATION_DIR = Path(__file__).resolve().parent / "calibration"
"""Shipped impostor-score calibrations, one ``EMBEDDER.json`` per embedder (docs/faces.md)."""
