"""``lanescreen eval plates`` end to end: real photos, real models fetched through a mirror."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from lanescreen.cli.main import main
from lanescreen.domain.plates import normalize_plate
from lanescreen.evaluation.plate_sets import DatasetError, corrected, load_errata, load_scenes

from tests.support import EVAL_PLATES, SHARED_MODELS, needs_shared

pytestmark = needs_shared


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated configuration: empty model dir filled from the shared mirror, no home writes."""
    monkeypatch.delenv("LANESCREEN_CONFIG", raising=False)
    monkeypatch.setenv("LANESCREEN_MODEL_MIRROR", str(SHARED_MODELS))
    monkeypatch.setenv("LANESCREEN_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("LANESCREEN_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "models"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1, captured.out  # one JSON object on one line
    return status, json.loads(lines[0]), captured.err


@pytest.mark.slow
def test_eval_scenes_json(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(
        capsys,
        *("eval", "plates", str(EVAL_PLATES / "openalpr_eu_dev"), "--limit", "10", "--json"),
        *("--detector", "y5fu_320", "--detector", "y5fu_640"),
        *("--reader", "fast_plate_ocr", "--reader", "easyocr"),
    )
    assert status == 0
    assert out["images"] == 10 and out["plates"] >= 10
    assert (out["detector"], out["reader"], out["kind"]) == ("y5fu_320", "fast_plate_ocr", "scenes")
    assert out["detection_recall"] > 0.5
    assert 0.5 <= out["exact_read_rate"] <= 1 and 0.5 <= out["crop_read_rate"] <= 1
    assert out["exact_read_rate"] <= out["candidate_read_rate"] <= 1
    assert out["crop_read_rate"] <= out["crop_candidate_read_rate"] <= 1
    assert out["ms_per_frame"] > 0
    assert set(out["ms_per_stage"]) == {"decode", "detect", "rectify", "read"}
    assert [(r["detector"], r["reader"]) for r in out["runs"]] == [
        ("y5fu_320", "fast_plate_ocr"),
        ("y5fu_640", "fast_plate_ocr"),
    ]
    assert out["runs"][1]["detection_recall"] >= 0.8
    # every ground-truth crop's read is in one confidence bin, and the sure ones are right
    bins = out["confidence"]
    assert sum(b["reads"] for b in bins) == out["plates"]
    assert (bins[0]["from"], bins[0]["to"], bins[-1]["to"]) == (0.0, 0.2, 1.0)
    assert bins[-1]["reads"] > 0 and bins[-1]["exact_rate"] >= 0.8
    # EasyOCR's weights are not in the mirror: skipped with the reason, not a crash.
    assert out["skipped"][0]["reader"] == "easyocr"
    assert "english_g2" in out["skipped"][0]["reason"] and "skipped easyocr" in err
    assert (env / "y5fu_640x_sim.onnx").is_file() and not (env / "english_g2.pth").exists()


@pytest.mark.slow
def test_eval_crops_json(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(
        capsys, "eval", "plates", str(EVAL_PLATES / "lprnet_cn_dev"), "--limit", "20", "--json"
    )
    assert status == 0
    assert out["kind"] == "crops" and out["images"] == out["plates"] == 20
    assert "detection_recall" not in out and out["detector"] is None
    assert 0 <= out["exact_read_rate"] <= out["latin_read_rate"] <= 1
    assert out["exact_read_rate"] <= out["candidate_read_rate"] == out["crop_candidate_read_rate"]
    assert out["ms_per_crop"] > 0 and out["ms_per_frame"] > 0
    # By default every reader is measured, the configured one first (the summary's figures);
    # one whose weights cannot be had here is skipped with the reason.
    assert out["reader"] == "fused"
    runs = [r["reader"] for r in out["runs"]]
    assert runs == ["fused", "fast_plate_ocr", "lanescreen", "lanescreen_fused"]
    assert [s["reader"] for s in out["skipped"]] == ["easyocr"]


@pytest.mark.slow
def test_the_shipped_reader_is_measured_beside_the_others(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The half of lprnet_cn_dev the shipped model was not trained on.
    assert main(["train", "cn-half", "b", "--out", str(tmp_path / "cn_b")]) == 0
    capsys.readouterr()
    status, out, _ = _run(
        capsys,
        *("eval", "plates", str(tmp_path / "cn_b"), "--limit", "30", "--json"),
        *("--reader", "fast_plate_ocr", "--reader", "lanescreen"),
    )
    assert status == 0 and not out["skipped"]
    runs = {r["reader"]: r for r in out["runs"]}
    # Only lanescreen's own reader can output the province character that opens a Chinese plate.
    assert runs["fast_plate_ocr"]["exact_read_rate"] == 0
    assert runs["lanescreen"]["exact_read_rate"] >= 0.6
    # The own reader offers candidates: the label is among them for some plates it misreads.
    assert runs["lanescreen"]["candidate_read_rate"] > runs["lanescreen"]["exact_read_rate"]
    # Read as a US lane reads: a read's Chinese characters are dropped there (they are a coat of
    # arms or a badge on a Latin plate), so no Chinese plate reads exactly, and no reading is
    # settled by the Chinese layout (which may only ever fix a reading's Latin part).
    status, as_us, _ = _run(
        capsys,
        *("eval", "plates", str(tmp_path / "cn_b"), "--limit", "30", "--json"),
        *("--reader", "lanescreen", "--region", "US"),
    )
    assert status == 0 and as_us["region"] == "us" and out["region"] == ""
    assert as_us["exact_read_rate"] == 0
    assert 0 < as_us["latin_read_rate"] <= runs["lanescreen"]["latin_read_rate"]


@pytest.mark.slow
def test_every_plate_not_read_is_listed(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    misses = tmp_path / "misses.csv"
    status, out, _ = _run(
        capsys,
        *("eval", "plates", str(EVAL_PLATES / "openalpr_us"), "--limit", "30", "--json"),
        *("--reader", "lanescreen", "--reader", "fast_plate_ocr", "--misses", str(misses)),
    )
    assert status == 0
    with misses.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    labels = {
        line.split("\t")[5].strip()
        for txt in (EVAL_PLATES / "openalpr_us").glob("*.txt")
        for line in txt.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    for run in out["runs"]:
        plates = run["plates"]
        mine = [
            r for r in rows if r["reader"] == run["reader"] and r["detector"] == run["detector"]
        ]
        crop = [r for r in mine if r["view"] == "crop"]
        frame = [r for r in mine if r["view"] == "frame"]
        # One row per plate not read exactly, on its ground-truth crop and end to end.
        assert len(crop) == plates - round(run["crop_read_rate"] * plates)
        assert len(frame) == plates - round(run["exact_read_rate"] * plates)
        offered = round((run["candidate_read_rate"] - run["exact_read_rate"]) * plates)
        assert sum(r["offered"] == "1" for r in frame) == offered
        for row in mine:
            assert row["read"] != row["label"] and row["label"] in labels
            assert Path(row["image"]).is_file()
            assert row["offered"] == str(int(row["label"] in row["candidates"].split("|")))
        assert all(r["read"] == "" for r in frame if r["detected"] == "0")
    assert {r["reader"] for r in rows} == {"lanescreen", "fast_plate_ocr"}
    scenes = load_scenes(EVAL_PLATES / "openalpr_us")[:30]
    first_labels = {normalize_plate(p.text) for scene in scenes for p in scene.plates}
    # On the simulated watchlists (10000 plates by default, every label among them), an exact
    # entry is hit exactly when its plate is read or offered; a lenient one at least as often.
    for run in out["runs"]:
        watch = run["watchlist"]
        assert watch["entries"] == 10000 and watch["labels"] == len(first_labels)
        for view, offered in (
            ("crop", "crop_candidate_read_rate"),
            ("frame", "candidate_read_rate"),
        ):
            assert watch[view]["exact"]["hit_rate"] == run[offered]
            assert watch[view]["lenient"]["hit_rate"] >= run[offered]
            assert (
                0
                <= watch[view]["exact"]["false_hit_rate"]
                <= watch[view]["lenient"]["false_hit_rate"]
                < 0.1
            )
    # A file that cannot be written is named before any reading.
    unwritable = tmp_path / "no" / "such" / "misses.csv"
    one = ("eval", "plates", str(EVAL_PLATES / "openalpr_us"), "--limit", "1")
    assert main([*one, "--misses", str(unwritable)]) == 1
    assert "cannot write the misses to" in capsys.readouterr().err


def test_eval_bad_input(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "plates", str(tmp_path / "nowhere")]) == 1
    assert "not a directory" in capsys.readouterr().err
    assert main(["eval", "plates", str(EVAL_PLATES / "openalpr_eu_dev"), "--limit", "0"]) == 2
    assert "--limit" in capsys.readouterr().err
    for size in ("-1", "1000001"):
        assert (
            main(["eval", "plates", str(EVAL_PLATES / "openalpr_eu_dev"), "--list-size", size]) == 2
        )
        assert "--list-size must be 0-1000000" in capsys.readouterr().err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.txt").write_text("x.jpg\t1\t2\tthree\t4\tABC\n")
    assert main(["eval", "plates", str(bad)]) == 1
    assert "x.txt:1" in capsys.readouterr().err


def _run_folder(where: Path, weights: str = "as shipped") -> Path:
    """A training run's folder holding the shipped model's files; ``weights="zeroed"``: every
    weight 0, a model that reads nothing."""
    import shutil

    import torch
    from lanescreen.vision.readers.lanescreen_reader import MODEL_DIR, NETWORK

    where.mkdir()
    for suffix in ("yaml", "py", "pth"):
        shutil.copyfile(MODEL_DIR / f"{NETWORK}.{suffix}", where / f"{NETWORK}.{suffix}")
    if weights == "zeroed":
        state = torch.load(where / f"{NETWORK}.pth", map_location="cpu", weights_only=True)
        torch.save({k: torch.zeros_like(v) for k, v in state.items()}, where / f"{NETWORK}.pth")
    return where


def _eval_in_own_process(tmp_path: Path, *argv: str) -> dict[str, Any]:
    """``lanescreen eval plates`` in a process of its own: EasyOCR imports a network's ``.py``
    once per process, and this one has read with the shipped model already."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "lanescreen.cli.main", "eval", "plates", *argv, "--json"],
        env={**os.environ, "LANESCREEN_MODEL_DIR": str(tmp_path / "models")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.slow
def test_a_training_runs_model_is_measured_before_it_is_installed(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crops = ("eval", "plates", str(EVAL_PLATES / "lprnet_cn_dev"), "--limit", "12")
    status, shipped, _ = _run(capsys, *crops, "--reader", "lanescreen", "--json")
    assert status == 0 and shipped["plate_model"] is None and shipped["exact_read_rate"] > 0.5
    # The same files in a run's folder read the same; zeroed weights there read nothing, so it
    # is the folder's model that reads, not the shipped one.
    same, zeroed = (
        _eval_in_own_process(
            tmp_path, *crops[2:], "--reader", "lanescreen", "--plate-model", str(run)
        )
        for run in (_run_folder(tmp_path / "copy"), _run_folder(tmp_path / "zeroed", "zeroed"))
    )
    assert same["plate_model"] == str(tmp_path / "copy")
    assert same["exact_read_rate"] == shipped["exact_read_rate"]
    assert zeroed["exact_read_rate"] == 0 and zeroed["reader"] == "lanescreen"


def test_a_run_folder_that_cannot_be_read_is_named(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crops = ("eval", "plates", str(EVAL_PLATES / "lprnet_cn_dev"), "--limit", "2")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([*crops, "--reader", "lanescreen", "--plate-model", str(empty)]) == 1
    err = capsys.readouterr().err
    assert f"cannot read with the plate model in {empty}" in err and "lanescreen_plate.yaml" in err
    assert main([*crops, "--reader", "fast_plate_ocr", "--plate-model", str(empty)]) == 2
    assert "--reader lanescreen" in capsys.readouterr().err
    # A fused reader that holds the own reader reads with the run's model too.
    assert main([*crops, "--reader", "lanescreen_fused", "--plate-model", str(empty)]) == 1
    assert f"cannot read with the plate model in {empty}" in capsys.readouterr().err


@pytest.mark.slow
def test_one_bad_image_is_named_and_the_set_goes_on(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A truncated JPEG and a file that is no image are counted and named; the rest is read."""
    import shutil

    source = EVAL_PLATES / "lprnet_cn_dev"
    rows = (source / "ground_truth.csv").read_text(encoding="utf-8").splitlines()
    header, kept = rows[0], rows[1:4]
    crops = tmp_path / "crops"
    (crops / "images").mkdir(parents=True)
    for row in kept:
        name = row.split(",")[0]
        shutil.copyfile(source / "images" / name, crops / "images" / name)
    whole = (crops / "images" / kept[0].split(",")[0]).read_bytes()
    (crops / "images" / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    (crops / "images" / "note.jpg").write_bytes(b"not an image at all")
    extra = ["cut.jpg,皖A12345,standard_7char", "note.jpg,皖A12346,standard_7char"]
    (crops / "ground_truth.csv").write_text(
        "\n".join([header, *kept, *extra]) + "\n", encoding="utf-8"
    )
    status, out, _ = _run(
        capsys, "eval", "plates", str(crops), "--reader", "fast_plate_ocr", "--json"
    )
    assert status == 0 and (out["images"], out["plates"]) == (3, 3)
    named = {Path(b["image"]).name: b["problem"] for b in out["bad_images"]}
    assert set(named) == {"cut.jpg", "note.jpg"} and "truncated" in named["cut.jpg"]


@pytest.mark.slow
def test_a_regions_lane_reader_is_measured_first(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crops = ("eval", "plates", str(EVAL_PLATES / "lprnet_cn_dev"), "--limit", "3", "--json")
    status, out, _ = _run(capsys, *crops, "--region", "cn")
    assert status == 0 and out["reader"] == "lanescreen_fused"  # what a cn lane reads with
    assert out["exact_read_rate"] > 0
    status, out, _ = _run(capsys, *crops)
    assert status == 0 and out["reader"] == "fused"  # the site's reader


ERRATA = Path(__file__).resolve().parents[1] / "docs" / "eval-errata.tsv"


def test_the_reviewed_errata_correct_four_eu_labels_and_nothing_else() -> None:
    scenes = load_scenes(EVAL_PLATES / "openalpr_eu_dev")
    fixed, applied = corrected(scenes, load_errata(ERRATA))
    assert sorted(c.corrected for c in applied) == ["OY09FEU", "RK026AJ", "RK099AN", "RK300AG"]
    changed = [
        (a.text, b.text)
        for old, new in zip(scenes, fixed, strict=True)
        for a, b in zip(old.plates, new.plates, strict=True)
        if a != b
    ]
    assert len(changed) == 4 and all(a.replace("O", "0") == b.replace("O", "0") for a, b in changed)
    # Another set's labels are left alone.
    assert corrected(load_scenes(EVAL_PLATES / "openalpr_us"), load_errata(ERRATA))[1] == []


def test_a_malformed_erratum_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "errata.tsv"
    bad.write_text("# comment\neu5.jpg\tOYO9FEU\tOY09FEU\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"errata\.tsv:2"):
        load_errata(bad)


@pytest.mark.slow
def test_eval_lists_the_corrections_it_applied(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    for name in ("eu5", "eu1"):
        for suffix in (".jpg", ".txt"):
            (folder / f"{name}{suffix}").write_bytes(
                (EVAL_PLATES / "openalpr_eu_dev" / f"{name}{suffix}").read_bytes()
            )
    argv = ("eval", "plates", str(folder), "--reader", "fast_plate_ocr", "--json")
    status, plain, _ = _run(capsys, *argv)
    status_fixed, fixed, _ = _run(capsys, *argv, "--errata", str(ERRATA))
    assert status == status_fixed == 0
    assert plain["corrected_labels"] == []
    assert [c["corrected"] for c in fixed["corrected_labels"]] == ["OY09FEU"]
    assert fixed["exact_read_rate"] >= plain["exact_read_rate"]


def test_reliability_bins_each_read_once_by_its_confidence() -> None:
    from lanescreen.evaluation.plates import reliability

    bins = reliability([(0.0, False), (0.19, False), (0.5, True), (0.97, True), (1.0, False)])
    assert [b["reads"] for b in bins] == [2, 0, 1, 0, 2]
    assert [b["exact_rate"] for b in bins] == [0.0, 0.0, 1.0, 0.0, 0.5]
