"""``lanescreen models fetch|verify|list`` against the real model files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lanescreen.cli.main import main

from tests.support import SHARED_MODELS, needs_shared

pytestmark = needs_shared


@pytest.fixture
def model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LANESCREEN_CONFIG", raising=False)
    monkeypatch.delenv("LANESCREEN_MODEL_MIRROR", raising=False)
    monkeypatch.setenv("LANESCREEN_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("LANESCREEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANESCREEN_DETECTOR", "y5fu_320")
    return tmp_path / "models"


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def test_fetch_verify_list(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "verify", "--json"]) == 1
    missing = _json(capsys)
    assert missing["ok"] is False
    assert {(m["name"], m["file"].rsplit("/", 1)[-1]): m["status"] for m in missing["models"]} == {
        ("y5fu_320", "y5fu_320x_sim.onnx"): "missing",
        ("cct_xs_v1_global", "cct_xs_v1_global.onnx"): "missing",
        # the reader shipped in the package is checked too
        ("lanescreen", "lanescreen_plate.pth"): "ok",
        ("lanescreen", "lanescreen_plate.yaml"): "ok",
        ("lanescreen", "lanescreen_plate.py"): "ok",
    }
    assert main(["models", "fetch", "--mirror", str(SHARED_MODELS), "--json"]) == 0
    fetched = _json(capsys)["fetched"]
    assert set(fetched) == {"y5fu_320", "cct_xs_v1_global"}
    assert main(["models", "fetch", "yunet", "--mirror", str(SHARED_MODELS)]) == 0
    assert "yunet: " in capsys.readouterr().out
    assert main(["models", "verify", "--json"]) == 0
    verified = _json(capsys)
    assert verified["ok"] is True and len(verified["models"]) == 3 + 3
    (model_dir / "cct_xs_v1_global.onnx").write_bytes(b"tampered")
    assert main(["models", "verify"]) == 1
    assert "cct_xs_v1_global: corrupt" in capsys.readouterr().out
    assert main(["models", "list", "--json"]) == 0
    listed = {m["name"]: m for m in _json(capsys)["models"]}
    assert listed["y5fu_320"]["configured"] and listed["y5fu_320"]["status"] == "ok"
    assert (
        listed["english_g2"]["algorithm"] == "md5" and listed["english_g2"]["status"] == "missing"
    )
    # the default reader, fused, reads with the shipped one too
    assert listed["lanescreen"]["status"] == "ok" and listed["lanescreen"]["configured"]
    assert Path(listed["lanescreen"]["card"]).is_file() and listed["y5fu_320"]["card"] is None
    # naming only the shipped reader checks only it; there is nothing to fetch for it
    assert main(["models", "verify", "lanescreen", "--json"]) == 0
    assert {m["name"] for m in _json(capsys)["models"]} == {"lanescreen"}
    assert main(["models", "fetch", "lanescreen"]) == 0
    assert "nothing to fetch" in capsys.readouterr().err


def test_fetch_errors_are_messages(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "fetch", "english_g2", "--mirror", str(SHARED_MODELS)]) == 1
    assert "english_g2.pth" in capsys.readouterr().err
    assert main(["models", "fetch", "nope", "--mirror", str(SHARED_MODELS)]) == 1
    assert "unknown model 'nope'" in capsys.readouterr().err
