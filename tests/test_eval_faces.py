"""``lanescreen eval faces`` end to end on real photos, and the shipped calibration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lanescreen.cli.main import main
from lanescreen.config import FaceConfig
from lanescreen.domain.face_matching import Calibration, threshold_for
from lanescreen.domain.face_screening import load_calibration, shipped_calibration_path

from tests.support import FACES, SHARED_MODELS, needs_faces

pytestmark = needs_faces


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated configuration: empty model dir filled from the shared mirror."""
    monkeypatch.delenv("LANESCREEN_CONFIG", raising=False)
    monkeypatch.setenv("LANESCREEN_MODEL_MIRROR", str(SHARED_MODELS))
    monkeypatch.setenv("LANESCREEN_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("LANESCREEN_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    status = main(list(argv))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines  # one JSON object on one line
    return status, json.loads(lines[0])


@pytest.mark.slow
def test_eval_faces_json(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calibration = env / "cal.json"
    status, out = _run(
        capsys,
        *("eval", "faces", str(FACES / "opencv_tutorial_faces"), "--limit", "5", "--json"),
        *("--strangers", str(FACES / "openface_examples"), "--grey-copies"),
        *("--calibration-out", str(calibration)),
    )
    assert status == 0
    assert out["identities"] == 2 and out["enrolled_templates"] == 6
    assert out["probes"] == 8  # 2 photos each left after enrolling 3, and their grey copies
    assert out["strangers"] >= 7
    for key in ("rank1", "fnir_at_fpir_1pct", "fnir_at_fpir_0_1pct"):
        assert 0 <= out[key] <= 1
    assert out["rank1"] >= 0.75
    for key in ("threshold_at_fpir_1pct", "threshold_at_fpir_0_1pct"):
        assert -1 <= out[key] <= 1.01
    assert out["fpir_0_1pct_resolved"] is False  # 1 in 1000 needs more strangers than these
    assert set(out["by_camera"]) == {"colour", "grey"}
    assert out["by_camera"]["grey"]["probes"] == 4
    assert set(out["ms_per_stage"]) == {"decode", "detect", "align", "embed"}
    assert out["ms_per_face"] > 0
    saved = Calibration.load(calibration)
    assert saved.embedder == "dlib_resnet" and set(saved.by_camera) == {"colour", "grey"}
    assert len(saved.by_camera["colour"]) == out["impostor_comparisons"]["colour"]


def test_eval_faces_bad_input(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "faces", str(env / "nowhere")]) == 1
    assert "not a directory" in capsys.readouterr().err
    assert main(["eval", "faces", str(FACES / "orl_att_faces"), "--limit", "0"]) == 2
    assert "--limit" in capsys.readouterr().err
    assert main(["eval", "faces", str(FACES / "dlib_faces_detection")]) == 1
    assert "no labels.csv" in capsys.readouterr().err
    empty = env / "empty"
    empty.mkdir()
    args = ["eval", "faces", str(FACES / "orl_att_faces"), "--strangers", str(empty)]
    assert main(args) == 1
    assert "no photos" in capsys.readouterr().err
    bad = env / "bad"
    bad.mkdir()
    (bad / "labels.csv").write_text("file,identity\nmissing.jpg,someone\n")
    assert main(["eval", "faces", str(bad)]) == 1
    assert "labels.csv:2" in capsys.readouterr().err


def test_shipped_calibration_sets_thresholds() -> None:
    path = shipped_calibration_path("dlib_resnet")
    calibration = load_calibration(FaceConfig())
    assert path.is_file() and calibration.embedder == "dlib_resnet"
    assert set(calibration.by_camera) == {"colour", "grey"}
    small = threshold_for(calibration, "colour", 1, 0.01)
    assert not small.extrapolated and 0 < small.threshold < 1
    large = threshold_for(calibration, "grey", 100_000, 0.001)
    assert large.extrapolated and large.threshold >= small.threshold
