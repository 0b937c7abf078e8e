"""Spliced real crops: characters cut where the network aligns them, pasted between crops."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from lanescreen.training.data import PlateStream
from lanescreen.training.easyocr_format import ModelSpec, load_exported
from lanescreen.training.real_sets import CN_SET, RealCrop, cn_half
from lanescreen.training.splice import (
    CutCrop,
    align,
    cut_crops,
    snap_to_gaps,
    splice,
    spliced_crops,
)
from lanescreen.training.synth import CHARSET
from lanescreen.training.train import TrainConfig, train
from lanescreen.vision.readers.lanescreen_reader import MODEL_DIR, build_lanescreen_reader

from tests.support import EVAL_PLATES, needs_plate_fonts, needs_shared


def _peaks(frames: int, classes: int, at: dict[int, int]) -> np.ndarray:
    """Log-probabilities that are blank everywhere but the given frames' labels."""
    probs = np.full((frames, classes), 0.01, np.float32)
    probs[:, 0] = 0.9
    for frame, label in at.items():
        probs[frame] = 0.01
        probs[frame, label] = 0.9
    return np.log(probs / probs.sum(axis=1, keepdims=True))


def test_alignment_finds_where_each_label_is_emitted() -> None:
    log_probs = _peaks(12, 6, {2: 3, 5: 4, 9: 3})
    assert align(log_probs, [3, 4, 3]) == [2, 5, 9]
    # A doubled label needs a blank between its two emissions; the path still fits.
    doubled = _peaks(12, 6, {2: 3, 4: 3})
    assert align(doubled, [3, 3]) == [2, 4]
    assert align(log_probs, [1, 2, 3, 4, 5] * 3) is None  # more labels than frames


def test_cuts_snap_onto_the_gaps_between_characters() -> None:
    crop = np.full((24, 100, 3), 40, np.uint8)
    for x in range(5, 95, 15):  # six 10-px characters with 5-px gaps at 15, 30, ...
        crop[5:19, x + 2 : x + 8] = 230
    late = (8, 23, 38, 53, 68, 83, 98)  # each cut 3 px past the gap's middle
    snapped = snap_to_gaps(crop, late)
    for cut, gap in zip(snapped[1:-1], (17, 32, 47, 62, 77), strict=True):
        assert abs(cut - gap) <= 2, snapped


def test_splicing_pastes_a_character_into_its_place() -> None:
    def plate(colour: int) -> np.ndarray:
        image = np.full((20, 60, 3), 30, np.uint8)
        for x in range(0, 60, 20):
            image[4:16, x + 5 : x + 15] = colour
        return image

    base = CutCrop(plate(200), "AAA", (0, 20, 40, 60))
    donor = CutCrop(plate(100), "BBB", (0, 20, 40, 60))
    image, text = splice(base, [donor], random.Random(3))
    changed = [i for i in range(3) if text[i] == "B"]
    assert 1 <= len(changed) <= 3 and text.count("A") == 3 - len(changed)
    for i in range(3):
        band = image[4:16, 20 * i + 7 : 20 * i + 13]
        # A pasted character takes the crop's lighting: its strokes stay bright on the dark plate.
        assert band.mean() > 150, (i, text)
        assert image[0:3, 20 * i + 8].mean() < 60
    assert splice(base, [CutCrop(plate(100), "BBBB", (0, 15, 30, 45, 60))], random.Random(0)) == (
        base.image,
        "AAA",
    )


@needs_plate_fonts
def test_a_share_of_real_samples_are_spliced_ones() -> None:
    real = RealCrop(np.full((24, 94, 3), 90, np.uint8), "A", "real")
    spliced = replace(real, text="B", source="spliced")
    stream = PlateStream(
        seed=0, batch_size=16, charset=CHARSET, img_h=32, real=[real], real_fraction=1.0
    )
    assert set("".join(next(iter(stream)).texts)) == {"A"}
    stream = PlateStream(
        seed=0,
        batch_size=64,
        charset=CHARSET,
        img_h=32,
        real=[real],
        real_fraction=1.0,
        spliced=[spliced],
    )
    texts = "".join(next(iter(stream)).texts)
    assert 16 <= texts.count("B") <= 48, texts


@needs_shared
def test_spliced_real_crops_read_as_labelled() -> None:
    """The shipped network cuts real Chinese crops; the crops spliced from them are read by the
    shipped reader as their new labels say, far more often than crops cut half a character off."""
    torch.set_num_threads(1)
    crops = cn_half(EVAL_PLATES / CN_SET, "a")[:60]
    network = load_exported(
        ModelSpec("lanescreen_plate", CHARSET), MODEL_DIR / "lanescreen_plate.pth"
    )
    cut = cut_crops(network, crops, charset=CHARSET, img_h=32)
    assert len(cut) >= 54
    made = spliced_crops(network, crops, count=60, seed=0, charset=CHARSET, img_h=32)
    assert len(made) == 60 and {len(m.text) for m in made} <= {7, 8}
    originals = {c.text for c in crops}
    assert sum(m.text not in originals for m in made) >= 50
    reader = build_lanescreen_reader()
    read = sum(
        r.text == m.text for r, m in zip(reader.read([m.image for m in made]), made, strict=True)
    )
    assert read >= 42, read

    def read_as_labelled(cuts: list[CutCrop]) -> int:
        rng = random.Random(0)
        spliced = [splice(rng.choice(cuts), cuts, rng) for _ in range(60)]
        reads = reader.read([image for image, _ in spliced])
        return sum(r.text == text for r, (_, text) in zip(reads, spliced, strict=True))

    # Ungated, where the cuts are and where they are not: 5 px is less than half a character.
    shifted = [CutCrop(c.image, c.text, tuple(min(x + 5, 94) for x in c.cuts)) for c in cut]
    in_place, misplaced = read_as_labelled(cut), read_as_labelled(shifted)
    assert misplaced < in_place - 10, (misplaced, in_place)


@needs_plate_fonts
@needs_shared
def test_a_run_splices_real_crops_once_its_network_reads(tmp_path: Path) -> None:
    """One command trains the whole schedule: at ``spliced_from`` the run cuts its real crops with
    the network trained so far (here the shipped one, resumed at step 0) and goes on with them."""
    spec = ModelSpec("lanescreen_plate", CHARSET)
    network = load_exported(spec, MODEL_DIR / "lanescreen_plate.pth")
    optimiser = torch.optim.AdamW(network.parameters(), lr=1e-5)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=1e-5, total_steps=3)
    start = tmp_path / "start.pt"
    state = {"optimiser": optimiser.state_dict(), "schedule": schedule.state_dict()}
    torch.save({"model": network.state_dict(), "step": 0, "history": [], **state}, start)
    config = TrainConfig(
        out=tmp_path / "run",
        steps=3,
        batch=4,
        lr=1e-5,
        finetune_cn="a",
        spliced=40,
        spliced_from=2,
        data_dir=EVAL_PLATES,
        eval_samples=8,
        resume=start,
        coarse_steps=0,
    )
    lines: list[str] = []
    _, result = train(config, spec, progress=False, log=lines.append)
    made = [line for line in lines if line.startswith("made ")]
    assert len(made) == 1 and made[0].endswith("at step 2"), lines
    assert int(made[0].split()[1]) >= 30, made  # the shipped network reads: most pass the gate
    assert result.steps == 3
    saved = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)
    assert saved["step"] == 3 and saved["config"]["spliced_from"] == "2"
    # Its card's command resumes from the earlier stage, not from the run's own checkpoint.
    assert result.went_on_from == start
    own = replace(config, resume=tmp_path / "run" / "checkpoint.pt")
    assert train(own, spec, progress=False, log=lines.append)[1].went_on_from is None
