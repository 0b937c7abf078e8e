from pathlib import Path

import pytest
from lanescreen.config import ConfigError, load_config


def test_defaults_are_usable_without_a_file() -> None:
    config = load_config(env={})
    assert config.lanes[0].id == "lane-1" and config.lanes[0].budget_ms == 250
    assert config.storage.resolved_database_url().startswith("sqlite:///")
    assert config.model_dir == config.storage.data_dir / "models"


def test_toml_then_environment(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[server]\nlisten = "0.0.0.0:6000"\n[vision]\nreader = "easyocr"\n'
        '[[lanes]]\nid = "north-1"\nbudget_ms = 180\nallow_lists = ["residents"]\n'
    )
    config = load_config(
        path, env={"LANESCREEN_READER": "fast_plate_ocr", "LANESCREEN_AUTO_FETCH": "no"}
    )
    assert config.server.listen == "0.0.0.0:6000"
    assert config.vision.reader == "fast_plate_ocr" and config.vision.auto_fetch is False
    lane = config.lane("north-1")
    assert lane is not None and lane.budget_ms == 180 and lane.allow_lists == ["residents"]
    assert lane.deny_lists is None


def test_a_chinese_lane_reads_with_the_reader_of_chinese_plates(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[[lanes]]\nid = "cn-1"\nregion = "cn"\n'
        '[[lanes]]\nid = "cn-2"\nregion = "cn"\nreader = "fast_plate_ocr"\n'
        '[[lanes]]\nid = "eu-1"\nregion = "eu"\n'
    )
    config = load_config(path, env={})
    readers = {lane.id: lane.plate_reader() for lane in config.lanes}
    assert readers == {"cn-1": "lanescreen_fused", "cn-2": "fast_plate_ocr", "eu-1": ""}
    assert config.lane_readers() == ["lanescreen_fused", "fast_plate_ocr"]
    assert load_config(env={}).lane_readers() == []


def test_approval_priority_from_toml_or_environment(tmp_path: Path) -> None:
    assert load_config(env={}).governance.approval_min_priority == 80
    path = tmp_path / "c.toml"
    path.write_text("[governance]\napproval_min_priority = 90\n")
    assert load_config(path, env={}).governance.approval_min_priority == 90
    env = {"LANESCREEN_APPROVAL_MIN_PRIORITY": "101"}
    assert load_config(path, env=env).governance.approval_min_priority == 101


def test_environment_names_are_unique_across_sections() -> None:
    import dataclasses

    from lanescreen.config import _SECTIONS

    names = [f.name for section in _SECTIONS.values() for f in dataclasses.fields(section)]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[server]\nlistne = 1\n", {}, "unknown setting 'listne'"),
        ("[vision]\nmin_read_confidence = 'high'\n", {}, "vision.min_read_confidence"),
        ("[[lanes]]\nbudget_ms = 5\n", {}, "needs an 'id'"),
        ("[[lanes]]\nid='a'\n[[lanes]]\nid='a'\n", {}, "unique"),
        ("", {"LANESCREEN_RPC_THREADS": "many"}, "LANESCREEN_RPC_THREADS"),
        ("not toml [", {}, "not valid TOML"),
        ("[governance]\napproval_min_priority = -1\n", {}, "must be 0-101"),
        ("", {"LANESCREEN_APPROVAL_MIN_PRIORITY": "102"}, "approval_min_priority"),
    ],
)
def test_bad_config_says_what_is_wrong(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path, env=env)
