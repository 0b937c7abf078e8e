"""One place that opens ONNX models, so thread settings and load errors are handled alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnxruntime as ort

from .weights import ModelError


def load_session(model_path: Path, threads: int) -> Any:
    """An onnxruntime CPU session with ``threads`` intra-op threads and no inter-op pool.

    Parallelism across frames comes from the caller's worker threads, so each session stays small.
    """
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    path = Path(model_path)
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
        raise ModelError(f"cannot load ONNX model {path}: {exc}") from exc
