"""After training: measure the exported model through EasyOCR and write its model card.

Every figure here is read through ``easyocr.Reader(recog_network=NAME, detector=False)`` on one
CPU thread, as the server reads: quantisation, second contrast pass and all. Real sets that are
missing are skipped and said so. The openalpr sets are measured on ground-truth crops only; the
end-to-end figures (with the detector) come from ``lanescreen eval plates``.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from lanescreen.vision.readers.easyocr_reader import EasyOcrReader

from .easyocr_format import ExportedFiles, ModelSpec
from .evaluate import Score, score_reader
from .real_sets import CN_SET, TRUTH_CROP_SETS, cn_half, other_half, truth_crops
from .train import TrainConfig, TrainResult, validation_seed

SYNTHETIC_SET = 1000
"""Held-back rendered plates measured at the end."""


@dataclass(frozen=True)
class Report:
    """The figures of one trained model."""

    scores: tuple[Score, ...]
    skipped: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"scores": [s.as_dict() for s in self.scores], "skipped": list(self.skipped)}


def measure(
    files: ExportedFiles,
    spec: ModelSpec,
    config: TrainConfig,
    *,
    synthetic: int = SYNTHETIC_SET,
    log: Callable[[str], None] = print,
) -> Report:
    """Exact-read rates of the exported files on every set this run may be measured on."""
    from .synth import PlateRenderer

    reader = EasyOcrReader(
        files.weights.parent,
        spec.name,
        files.network.parent,
        allowlist=spec.charset,
        threads=1,
    )
    sets: list[tuple[str, list[Any], list[str], int]] = []
    samples = PlateRenderer(validation_seed(config.seed)).batch(synthetic)
    sets.append(("synthetic_held_out", [s.image for s in samples], [s.text for s in samples], 1))
    two_row = [s for s in samples if s.rows == 2]
    if two_row:
        # Read as the service reads a crop its detector calls two-row (vision.rows).
        images, labels = [s.image for s in two_row], [s.text for s in two_row]
        sets.append(("synthetic_two_row", images, labels, 2))
    skipped: list[str] = []
    cn_dir = config.data_dir / CN_SET
    if cn_dir.is_dir():
        halves = [other_half(config.finetune_cn)] if config.finetune_cn else ["a", "b"]
        for half in halves:
            crops = cn_half(cn_dir, half)
            name = f"{CN_SET}_{half}" + ("_held_out" if config.finetune_cn else "")
            sets.append((name, [c.image for c in crops], [c.text for c in crops], 1))
    else:
        skipped.append(f"{CN_SET}: {cn_dir} not found")
    for set_name in TRUTH_CROP_SETS:
        directory = config.data_dir / set_name
        if not directory.is_dir():
            skipped.append(f"{set_name}: {directory} not found")
            continue
        crops = truth_crops(directory)
        images, labels = [c.image for c in crops], [c.text for c in crops]
        sets.append((f"{set_name}_truth_crops", images, labels, 1))
    scores = []
    for name, images, labels, rows in sets:
        score = score_reader(reader, name, images, labels, rows)
        log(
            f"{name}: {score.exact}/{score.total} = {score.rate:.3f}, {score.ms_per_crop:.1f} ms/crop"
        )
        scores.append(score)
    return Report(tuple(scores), tuple(skipped))


def reproduce_command(config: TrainConfig, went_on_from: Path | None = None) -> str:
    """The ``lanescreen train plates`` command line that trains ``config`` again (``DIR`` for
    the output folder); ``--resume`` only for an earlier stage's checkpoint
    (:attr:`TrainResult.went_on_from`), since a run resumed from its own trains whole without."""
    return (
        f"lanescreen train plates --out DIR --steps {config.steps} --batch {config.batch} "
        f"--seed {config.seed} --coarse-steps {config.coarse_until()}"
        + (f" --finetune-cn {config.finetune_cn}" if config.finetune_cn else "")
        + (
            f" --spliced {config.spliced} --spliced-from {config.splice_step()}"
            if config.finetune_cn
            else ""
        )
        + (f" --resume {went_on_from}" if went_on_from is not None else "")
    )


def write_card(
    path: Path,
    spec: ModelSpec,
    config: TrainConfig,
    result: TrainResult,
    files: ExportedFiles,
    report: Report,
) -> None:
    """MODEL_CARD.md beside the model: what it was trained on, how, and how well it reads."""
    rows = "\n".join(
        f"| {s.name} | {s.total} | {s.exact} | {s.rate:.3f} | {s.ms_per_crop:.1f} |"
        for s in report.scores
    )
    real = (
        f"plus half `{config.finetune_cn}` of `{CN_SET}` (250 crops, Apache-2.0, "
        f"sirius-ai/LPRNet_Pytorch) mixed in at {config.real_fraction:.0%} of samples with "
        "photometric and framing augmentation"
        + (
            f", half of them, from step {config.splice_step()}, crops spliced from its "
            f"characters (up to {config.spliced})"
            if config.spliced and config.splice_step() < config.steps
            else ""
        )
        + "; the other half is only measured"
        if config.finetune_cn
        else "no real images"
    )
    settings = config.settings()
    reproduce = reproduce_command(config, result.went_on_from)
    text = f"""# {spec.name}: lanescreen's plate recogniser (EasyOCR custom network)

Written {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")} by `lanescreen train plates`.

## Model
CTC recogniser (`lanescreen/training/model.py`, copied as `{spec.name}.py`): strided VGG-style
convolutions to one row of columns, dilated 1-D convolutions, a linear classifier;
`network_params` {json.dumps(asdict(spec.params))}, `imgH` {spec.img_h}, {len(spec.charset)}
characters + blank. {sum(p.numel() for p in _params(files))} parameters.
`{files.weights.name}` {files.weights.stat().st_size} bytes, sha256 `{files.sha256}`.

## Data
Rendered plates from `lanescreen.training.synth` (seeded, on the fly; fonts and styles as that
package documents), {real}. The openalpr sets (AGPL-3.0) are measured on, never trained on.

## Training
{result.steps} steps of batch {config.batch} (seed {config.seed}), AdamW (lr {config.lr},
weight decay {config.weight_decay}) with a one-cycle schedule, CTC loss; {result.seconds / 60:.1f}
minutes on {config.threads} CPU threads ({result.samples_per_s:.0f} samples/s,
{platform.machine()}, torch {torch.__version__}); final smoothed loss {result.final_loss:.3f}.
Settings: `{json.dumps(settings)}`.

## Exact-read rate, read through EasyOCR (one CPU thread)
| set | crops | exact | rate | ms / crop |
|---|---|---|---|---|
{rows}

Skipped: {", ".join(report.skipped) or "none"}. Ground-truth crops are the labelled box cut as the
pipeline cuts crops (64 px tall, margin 0.2 x height). Two-row synthetic plates are read as the
service reads a crop its detector calls two-row (as it is and rows side by side, the better
reading kept: `lanescreen.vision.rows`). End-to-end figures (detector included):
`lanescreen eval plates DIR --reader lanescreen`.

## Reproduce
`{reproduce}` (same fonts, renderer and library versions; figures within a few points).
"""
    path.write_text(text, encoding="utf-8")


def _params(files: ExportedFiles) -> list[torch.Tensor]:
    state = torch.load(files.weights, map_location="cpu", weights_only=True)
    return [v for k, v in state.items() if k.endswith(("weight", "bias"))]
