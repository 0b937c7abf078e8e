"""Start-up failures name the problem and the fix instead of a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from lanescreen.cli.main import main


def test_missing_models_say_how_to_fetch_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LANESCREEN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LANESCREEN_AUTO_FETCH", "false")
    assert main(["serve", "--listen", "127.0.0.1:0"]) == 1
    err = capsys.readouterr().err
    assert "cannot start" in err and "lanescreen models fetch" in err


def test_corrupt_model_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "y5fu_640x_sim.onnx").write_bytes(b"not a model")
    (models / "cct_xs_v1_global.onnx").write_bytes(b"not a model either")
    monkeypatch.setenv("LANESCREEN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LANESCREEN_MODEL_DIR", raising=False)  # the models under the data dir
    monkeypatch.setenv("LANESCREEN_AUTO_FETCH", "false")
    assert main(["serve", "--listen", "127.0.0.1:0"]) == 1
    assert "sha256" in capsys.readouterr().err


def test_bad_config_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[vision]\nreadr = 'easyocr'\n")
    assert main(["--config", str(config), "serve"]) == 2
    assert "unknown setting 'readr'" in capsys.readouterr().err


def test_unreachable_database_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support import SHARED_MODELS, need_shared

    need_shared()
    monkeypatch.setenv("LANESCREEN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LANESCREEN_MODEL_MIRROR", str(SHARED_MODELS))
    monkeypatch.setenv("LANESCREEN_DATABASE_URL", "postgresql+psycopg://nobody:pw@127.0.0.1:1/none")
    assert main(["serve", "--listen", "127.0.0.1:0"]) == 1
    err = capsys.readouterr().err
    assert "cannot start" in err and "127.0.0.1:1" in err and ":pw@" not in err
