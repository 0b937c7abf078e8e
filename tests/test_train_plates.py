"""The plate recogniser's training, EasyOCR export and the shipped model, for real and fast."""

from __future__ import annotations

import os
import random
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from lanescreen.domain.plates import normalize_plate
from lanescreen.training import model as model_module
from lanescreen.training.data import PlateStream, make_batch
from lanescreen.training.easyocr_format import ModelSpec, NetworkParams, build_model, export
from lanescreen.training.preprocess import model_input
from lanescreen.training.synth import CHARSET, PlateRenderer
from lanescreen.training.train import ctc_loss
from lanescreen.vision.readers.lanescreen_reader import (
    MODEL_CARD,
    MODEL_DIR,
    NETWORK,
    PINNED_SHA256,
    build_lanescreen_reader,
    model_charset,
    verify_shipped,
)
from lanescreen.vision.weights import ModelError

from tests.support import EVAL_PLATES, REPO, needs_plate_fonts, needs_shared

SMALL = NetworkParams(input_channel=1, output_channel=32, hidden_size=32)


@needs_plate_fonts
def test_a_few_steps_reduce_the_ctc_loss() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(2)
    samples = PlateRenderer(3).batch(8)
    batch = make_batch([(model_input(s.image, 32), s.text) for s in samples], CHARSET)
    network = build_model(ModelSpec("t", CHARSET, SMALL))
    optimiser = torch.optim.AdamW(network.parameters(), lr=3e-3)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    losses = []
    for _ in range(25):
        loss = ctc_loss(network, batch, ctc)
        optimiser.zero_grad()
        torch.autograd.backward(loss)
        optimiser.step()
        losses.append(loss.item())
    assert np.mean(losses[-3:]) < 0.7 * np.mean(losses[:3])


@needs_plate_fonts
def test_export_is_what_easyocr_loads(tmp_path: Path) -> None:
    import easyocr

    spec = ModelSpec("lanescreen_export_probe", CHARSET, SMALL)
    files = export(build_model(spec), spec, tmp_path / "model", tmp_path / "network")
    assert files.weights == tmp_path / "model" / "lanescreen_export_probe.pth"
    assert files.yaml.parent == files.network.parent == tmp_path / "network"
    # The network code exists once: EasyOCR's NAME.py is model.py byte for byte.
    assert files.network.read_bytes() == Path(str(model_module.__file__)).read_bytes()
    reader = easyocr.Reader(
        ["en"],
        gpu=False,
        model_storage_directory=str(files.weights.parent),
        user_network_directory=str(files.yaml.parent),
        recog_network=spec.name,
        detector=False,
        download_enabled=False,
        verbose=False,
    )
    crop = PlateRenderer(5).sample().image
    grey = np.asarray(crop.mean(axis=2), np.uint8)
    (result,) = reader.recognize(grey, detail=1, allowlist=CHARSET)
    _, text, confidence = result
    assert isinstance(text, str) and set(text) <= set(CHARSET) and 0.0 <= confidence <= 1.0


def test_shipped_files_match_their_pins(tmp_path: Path) -> None:
    verify_shipped()
    assert set(PINNED_SHA256) == {f"{NETWORK}.pth", f"{NETWORK}.yaml", f"{NETWORK}.py"}
    assert (MODEL_DIR / f"{NETWORK}.py").read_bytes() == Path(
        str(model_module.__file__)
    ).read_bytes()
    assert model_charset() == CHARSET
    for name in PINNED_SHA256:
        (tmp_path / name).write_bytes((MODEL_DIR / name).read_bytes())
    weights = tmp_path / f"{NETWORK}.pth"
    data = weights.read_bytes()
    weights.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))  # one byte changed
    with pytest.raises(ModelError, match="sha256"):
        verify_shipped(tmp_path)


def test_the_shipped_model_card_names_the_shipped_files() -> None:
    """New weights cannot ship with the old model's card: the card quotes every pinned sha256."""
    card = MODEL_CARD.read_text(encoding="utf-8")
    for name, digest in PINNED_SHA256.items():
        assert f"| {name} | `{digest}` |" in card, name


@needs_plate_fonts
def test_shipped_model_reads_rendered_plates() -> None:
    reader = build_lanescreen_reader(threads=1)
    assert reader.name == "lanescreen"
    samples = PlateRenderer(20261121).batch(20)
    reads = reader.read([s.image for s in samples])
    exact = sum(normalize_plate(r.text) == s.text for r, s in zip(reads, samples, strict=True))
    assert exact >= 14, [(r.text, s.text) for r, s in zip(reads, samples, strict=True)]


@needs_shared
def test_shipped_model_reads_a_real_chinese_plate() -> None:
    from lanescreen.training.real_sets import CN_SET, cn_half

    crops = cn_half(EVAL_PLATES / CN_SET, "b")[:10]
    reads = build_lanescreen_reader().read([c.image for c in crops])
    assert sum(r.text == c.text for r, c in zip(reads, crops, strict=True)) >= 8


@needs_shared
def test_cn_halves_are_fixed_and_disjoint() -> None:
    from lanescreen.training.real_sets import CN_SET, cn_half

    a, b = (cn_half(EVAL_PLATES / CN_SET, half) for half in ("a", "b"))
    assert len(a) == len(b) == 250
    assert not {c.source for c in a} & {c.source for c in b}
    assert [c.source for c in cn_half(EVAL_PLATES / CN_SET, "a")] == [c.source for c in a]


@needs_shared
def test_real_crops_of_either_kind_of_set(tmp_path: Path) -> None:
    from lanescreen.training.real_sets import CN_SET, cn_half, real_crops, truth_crops, write_half

    assert write_half(EVAL_PLATES / CN_SET, "b", tmp_path / "b") == 250
    written = real_crops(tmp_path / "b")
    assert [(c.source, c.text) for c in written] == [
        (c.source, c.text) for c in cn_half(EVAL_PLATES / CN_SET, "b")
    ]
    scenes = real_crops(EVAL_PLATES / "openalpr_eu_dev")
    assert [c.text for c in scenes] == [
        c.text for c in truth_crops(EVAL_PLATES / "openalpr_eu_dev")
    ]


def test_reading_writes_nothing_under_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    script = (
        "import numpy as np\n"
        "from lanescreen.vision.readers import build_reader\n"
        "reader = build_reader('lanescreen', __import__('pathlib').Path('unused'))\n"
        "print(reader.read([np.full((64, 200, 3), 200, np.uint8)])[0].text)\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EASYOCR", "MODULE_PATH", "XDG_"))
    }
    env.update(HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert list(home.rglob("*")) == []


def test_one_row_plates_are_also_shown_as_the_reader_sees_their_band() -> None:
    """The reader reads a crop's character band first, so training shows that view too; never
    for a two-row plate, whose band is one row and would not match its label."""
    crop = np.full((64, 160, 3), 230, np.uint8)
    for x in range(10, 150, 12):
        crop[24:44, x : x + 4] = 20  # strokes only in rows 24-44: the band is about a third
    stream = PlateStream(seed=0, batch_size=1, charset=CHARSET, img_h=32)
    rng = random.Random(0)

    def widths(rows: int) -> list[int]:
        return [stream._example(crop, "A", rng, rows=rows)[0].shape[2] for _ in range(40)]

    whole = widths(0)
    assert max(whole) < 100  # 160 x 64 scaled to 32 rows: about 80 wide, whatever the jitter
    banded = widths(1)
    assert 5 <= sum(w > 140 for w in banded) <= 35  # about half are the band, scaled up


def test_two_row_plates_are_mostly_shown_with_their_rows_side_by_side() -> None:
    """As the reader reads a crop its detector says has two rows: one line, twice as wide."""
    crop = np.full((64, 160, 3), 230, np.uint8)
    for x in range(10, 150, 12):
        crop[8:26, x : x + 4] = 20
        crop[36:58, x : x + 4] = 20
    stream = PlateStream(seed=0, batch_size=1, charset=CHARSET, img_h=32)
    rng = random.Random(0)
    widths = [stream._example(crop, "AB", rng, rows=2)[0].shape[2] for _ in range(40)]
    side_by_side = sum(w > 200 for w in widths)
    assert 24 <= side_by_side <= 39, widths  # about 80%; never a band of one row
    assert all(w > 200 or w < 100 for w in widths)


def test_the_model_cards_command_trains_the_same_run(tmp_path: Path) -> None:
    """The card's reproduce line, given back to the CLI, asks for the run that wrote it."""
    from lanescreen.cli.main import build_parser
    from lanescreen.training.report import reproduce_command
    from lanescreen.training.train import TrainConfig

    stage = tmp_path / "r4" / "checkpoint.pt"
    for resume, went_on_from in ((None, None), (tmp_path / "run.pt", None), (stage, stage)):
        config = TrainConfig(
            out=tmp_path, steps=75000, finetune_cn="a", coarse_steps=8000, resume=resume
        )
        command = reproduce_command(config, went_on_from)
        args = build_parser().parse_args(shlex.split(command)[1:])
        asked = (args.steps, args.batch, args.seed, args.coarse_steps, args.finetune_cn)
        assert asked == (75000, 64, 0, 8000, "a")
        assert (args.spliced, args.spliced_from, args.resume) == (8000, 66000, went_on_from)
