"""The committed generated code must match the .proto files (regenerate with proto/generate.py)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VERSION_LINE = re.compile(
    r"^(# Protobuf Python Version:|GRPC_GENERATED_VERSION =|_runtime_version\.ValidateProtobufRuntimeVersion).*$|^\s+\d+,$",
    re.M,
)


def _normalise(text: str) -> str:
    """Drop the lines that only record which protoc/grpc version generated the file."""
    return VERSION_LINE.sub("", text)


def test_generated_code_is_up_to_date(tmp_path: Path) -> None:
    if importlib.util.find_spec("grpc_tools") is None:
        pytest.skip("grpcio-tools not installed")
    sys.path.insert(0, str(REPO / "proto"))
    try:
        import generate  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    generate.generate(tmp_path)
    fresh = tmp_path / "lanescreen" / "v1"
    committed = REPO / "server" / "lanescreen" / "v1"
    names = sorted(p.name for p in fresh.iterdir())
    assert names == sorted(p.name for p in committed.iterdir() if p.name != "__pycache__")
    for name in names:
        assert _normalise((fresh / name).read_text()) == _normalise(
            (committed / name).read_text()
        ), f"{name} is stale: run `python proto/generate.py`"
