"""``lanescreen eval simulate`` and ``eval passages`` end to end: lane sequences made from real
photos, streamed through the real screener with real models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lanescreen.cli.main import main

from tests.support import EU_PHOTOS, SHARED_MODELS, needs_shared

pytestmark = needs_shared


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANESCREEN_CONFIG", raising=False)
    monkeypatch.setenv("LANESCREEN_MODEL_MIRROR", str(SHARED_MODELS))
    monkeypatch.setenv("LANESCREEN_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("LANESCREEN_DATA_DIR", str(tmp_path / "data"))


@pytest.mark.slow
def test_a_simulated_lane_is_one_alert_per_vehicle_with_less_work_per_frame(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = tmp_path / "clip"
    assert main(["eval", "simulate", str(clip), "--from", str(EU_PHOTOS), "--vehicles", "3",
                 "--seed", "3"]) == 0  # fmt: skip
    assert "3 vehicles" in capsys.readouterr().out
    assert (clip / "labels.csv").read_text().startswith("plate,first_frame,last_frame")
    (clip / "frame_00002.jpg").write_bytes(b"\xff\xd8 a truncated camera frame")
    status = main(["eval", "passages", str(clip), "--fps", "24", "--no-plate-clear", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (out["vehicles"], out["alerts_per_vehicle"]) == (3, 1.0)
    assert out["passage_exact_read_rate"] >= out["frame_exact_read_rate"] > 0
    # The share of frames answered inside the budget is reported; on a machine busy with other
    # work a frame or two of the ~130 may be late (the figure itself is measured on a quiet one).
    assert out["within_budget"] >= 0.97 and out["ms_per_frame"] > 0
    assert out["frames_searched_near_tracks"] > 0.2 and out["reads_carried"] > 0
    [bad] = out["bad_frames"]  # named, and the clip went on
    assert bad.startswith("frame 2: ") and out["frames"] == len(list(clip.glob("*.jpg")))


def test_bad_sequences_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "frame_00000.jpg").write_bytes(b"not a jpeg")
    assert main(["eval", "passages", str(tmp_path)]) == 1
    assert "labels.csv does not exist" in capsys.readouterr().err
    (tmp_path / "labels.csv").write_text("plate,first_frame,last_frame\nAB123CD,x,4\n")
    assert main(["eval", "passages", str(tmp_path)]) == 1
    assert "labels.csv:2: needs plate, first_frame and last_frame" in capsys.readouterr().err
    assert main(["eval", "passages", str(tmp_path), "--fps", "0"]) == 2
