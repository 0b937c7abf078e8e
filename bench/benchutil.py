"""What the benchmarks share: where the models and photos are, pinning to one core, percentiles."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def pin_one_core() -> str:
    """Pin this process to one CPU (figures are per core); says what it did."""
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    return "not pinned (no sched_setaffinity here)"


def model_dir(requested: Path | None, fetch_into: Callable[[], Path]) -> Path:
    """``--model-dir``, else ../shared/models beside the checkout, else what ``fetch_into``
    fetches (the configured model directory)."""
    if requested is not None:
        return requested
    if (SHARED / "models").is_dir():
        return SHARED / "models"
    return fetch_into()


def percentiles(values: list[float], digits: int = 2) -> dict[str, float]:
    """p50, p95, mean and max of some milliseconds (zeros for none)."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "mean": 0.0, "max": 0.0}
    array = np.asarray(values)
    return {
        "p50": round(float(np.percentile(array, 50)), digits),
        "p95": round(float(np.percentile(array, 95)), digits),
        "mean": round(float(array.mean()), digits),
        "max": round(float(array.max()), digits),
    }
