"""Training the plate recogniser: CTC on rendered plates, optionally fine-tuned on real CN crops.

One seed fixes everything random (initial weights, the rendered stream, the mix of real crops),
so the same seed, steps and batch reproduce the model up to floating-point scheduling noise.
AdamW with a one-cycle schedule gets far in few steps, which is what CPU training can afford.
A checkpoint (weights, optimiser, schedule, step) is written every ``checkpoint_every`` steps;
resuming restarts the rendered stream from a seed derived from the step reached (as does the step
where spliced real crops join it), and resuming with another ``steps`` re-plans the learning-rate
schedule from the step reached.
"""

from __future__ import annotations

import json
import random
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from .data import Batch, PlateStream
from .easyocr_format import ModelSpec, build_model
from .evaluate import Score, score_network
from .real_sets import CN_SET, RealCrop, cn_half

DEFAULT_NAME = "lanescreen_plate"


RECIPE = (  # TrainConfig fields that decide what a run trains
    "steps", "batch", "seed", "lr", "weight_decay", "finetune_cn", "real_fraction",
    "spliced", "spliced_from", "name", "coarse_steps",
)  # fmt: skip


@dataclass(frozen=True)
class TrainConfig:
    """One training run (everything the model card reports about how it was made)."""

    out: Path
    steps: int = 12000
    batch: int = 64
    seed: int = 0
    lr: float = 2e-3
    weight_decay: float = 0.01
    finetune_cn: str | None = None
    """Half (``a``/``b``) of lprnet_cn_dev mixed into training; the other half is measured."""
    real_fraction: float = 0.2
    spliced: int = 8000
    """Spliced real crops (:mod:`~lanescreen.training.splice`) made from the fine-tuning half
    once the network reads (:meth:`splice_step`); half of the real samples from then on."""
    spliced_from: int | None = None
    """Step at which the spliced crops are made; default 88% of ``steps`` (66000 of 75000, where
    the shipped model's stage 5 began). Cutting real crops needs a network that already reads
    them: the cuts come from its own alignment."""
    data_dir: Path = Path("../shared/eval/plates")
    checkpoint_every: int = 500
    eval_every: int = 1000
    eval_samples: int = 500
    threads: int = 1
    """Torch threads for the network. With one renderer worker on a 2-core machine, 1 is fastest:
    a second intra-op thread contends with the renderer and halves the step rate (measured)."""
    workers: int = 1
    """Renderer processes; each renders its own seeded stream, so the count changes the data."""
    resume: Path | None = None
    name: str = DEFAULT_NAME
    coarse_steps: int | None = None
    """Steps trained at ``time_scale`` 1 before the network's own (2); default 40% of ``steps``.
    CTC learns to find characters quickly at the coarse scale, and stalls at the fine one."""

    def coarse_until(self) -> int:
        return round(0.4 * self.steps) if self.coarse_steps is None else self.coarse_steps

    def splice_step(self) -> int:
        return round(0.88 * self.steps) if self.spliced_from is None else self.spliced_from

    def settings(self) -> dict[str, str]:
        """Every setting as text: what a checkpoint stores and the model card prints."""
        return {k: str(v) for k, v in asdict(self).items()}

    def recipe(self) -> dict[str, str]:
        """The settings that decide what is trained (not where, how fast, or how often it is
        measured), as a checkpoint stores them: equal recipes are the same run."""
        return {k: v for k, v in self.settings().items() if k in RECIPE}


@dataclass
class TrainResult:
    """What a run did: final loss, in-process checks along the way, wall time."""

    steps: int
    seconds: float
    samples_per_s: float
    final_loss: float
    history: list[dict[str, float]] = field(default_factory=list)
    went_on_from: Path | None = None
    """The checkpoint of another recipe (an earlier stage) this run trained on from; None when
    it started from step 0 or went on from its own checkpoint, so that it reproduces whole."""


def validation_seed(seed: int) -> int:
    """Renderer seed of the held-back synthetic set: never the training stream's."""
    return 1_000_003 + seed * 7919


def _stream_seed(seed: int, start_step: int) -> int:
    return random.Random(f"{seed}:{start_step}").getrandbits(31)


def _synthetic_set(seed: int, count: int) -> tuple[list[Any], list[str]]:
    from .synth import PlateRenderer

    samples = PlateRenderer(validation_seed(seed)).batch(count)
    return [s.image for s in samples], [s.text for s in samples]


def ctc_loss(network: torch.nn.Module, batch: Batch, ctc: torch.nn.CTCLoss) -> torch.Tensor:
    """``ctc``'s loss of ``network`` on ``batch`` (one number, or one a sample with
    ``reduction="none"``)."""
    # channels_last: about 20% faster convolutions on the CPU (measured), same results.
    logits = network(batch.images.contiguous(memory_format=torch.channels_last))  # B, T, C
    log_probs = logits.log_softmax(2).permute(1, 0, 2)  # T, B, C
    steps = torch.full((logits.shape[0],), logits.shape[1], dtype=torch.long)
    loss: torch.Tensor = ctc(log_probs, batch.targets, steps, batch.lengths)
    return loss


def set_time_scale(network: torch.nn.Module, scale: int) -> None:
    """Switch the network between the coarse (1) and its own output resolution."""
    setattr(network, "time_scale", scale)  # noqa: B010 - a plain attribute torch's typing hides


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def train(
    config: TrainConfig,
    spec: ModelSpec,
    *,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> tuple[torch.nn.Module, TrainResult]:
    """Train ``spec``'s network per ``config``; returns the float network (eval mode)."""
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    network = build_model(spec).to(memory_format=torch.channels_last)
    optimiser = torch.optim.AdamW(
        network.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=config.lr, total_steps=max(2, config.steps), pct_start=0.08
    )
    start_step, history = 0, []
    went_on_from: Path | None = None
    if config.resume is not None:
        state = torch.load(config.resume, map_location="cpu", weights_only=False)
        network.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        start_step, history = int(state["step"]), list(state["history"])
        if state["schedule"]["total_steps"] == schedule.total_steps:
            schedule.load_state_dict(state["schedule"])
        else:
            # A different --steps re-plans the schedule: the one-cycle curve for the new total,
            # taken up at the step reached (how a run is shortened or lengthened midway). Stepping
            # a schedule with no optimiser step is what replaying means, so torch's warning is not.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step")
                for _ in range(start_step):
                    schedule.step()
        stored = state.get("config", {})
        if {k: stored.get(k) for k in RECIPE} != config.recipe():
            went_on_from = config.resume  # an earlier stage, part of the recipe
        log(f"resumed from {config.resume} at step {start_step} of {config.steps}")
    real: list[RealCrop] = []
    held_out: list[RealCrop] = []
    if config.finetune_cn:
        from .real_sets import other_half

        real = cn_half(config.data_dir / CN_SET, config.finetune_cn)
        held_out = cn_half(config.data_dir / CN_SET, other_half(config.finetune_cn))
    step = start_step
    fine_scale = spec.params.time_scale
    set_time_scale(network, 1 if step < config.coarse_until() else fine_scale)
    splice_at = config.splice_step() if real and config.spliced > 0 else config.steps

    def batches(at_step: int) -> Iterator[Batch]:
        """The data stream from ``at_step`` on: a resumed run at step S draws what a run
        that made its spliced crops at S draws."""
        spliced: list[RealCrop] = []
        if at_step >= splice_at and at_step < config.steps:
            from .splice import spliced_crops

            spliced = spliced_crops(
                network,
                real,
                count=config.spliced,
                seed=_stream_seed(config.seed, at_step),
                charset=spec.charset,
                img_h=spec.img_h,
            )
            log(f"made {len(spliced)} spliced crops from {len(real)} real ones at step {at_step}")
        stream = PlateStream(
            seed=_stream_seed(config.seed, at_step),
            batch_size=config.batch,
            charset=spec.charset,
            img_h=spec.img_h,
            real=real,
            real_fraction=config.real_fraction,
            spliced=spliced,
        )
        return iter(DataLoader(stream, batch_size=None, num_workers=config.workers))

    loader = batches(step)
    val_images, val_labels = _synthetic_set(config.seed, config.eval_samples)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    network.train()
    smoothed, samples, started = 0.0, 0, time.perf_counter()
    bar = tqdm(
        total=config.steps, initial=start_step, disable=not progress, unit="step", mininterval=5
    )
    while step < config.steps:
        if step == splice_at and step != start_step:
            loader = batches(step)  # the renderer worker of the old stream stops with it
        batch = next(loader)
        if step == config.coarse_until() and fine_scale != 1:
            set_time_scale(network, fine_scale)
            log(json.dumps({"step": float(step), "time_scale": float(fine_scale)}))
        loss = ctc_loss(network, batch, ctc)
        optimiser.zero_grad(set_to_none=True)
        torch.autograd.backward(loss)
        torch.nn.utils.clip_grad_norm_(network.parameters(), 5.0)
        optimiser.step()
        schedule.step()
        step += 1
        samples += batch.images.shape[0]
        smoothed = loss.item() if step == start_step + 1 else 0.98 * smoothed + 0.02 * loss.item()
        bar.update(1)
        bar.set_postfix(
            loss=f"{smoothed:.3f}", lr=f"{schedule.get_last_lr()[0]:.1e}", refresh=False
        )
        if step % config.eval_every == 0 or step == config.steps:
            checks: list[Score] = [
                score_network(
                    network,
                    "synthetic",
                    val_images,
                    val_labels,
                    charset=spec.charset,
                    img_h=spec.img_h,
                )
            ]
            if held_out:
                checks.append(
                    score_network(
                        network,
                        "cn_held_out",
                        [c.image for c in held_out],
                        [c.text for c in held_out],
                        charset=spec.charset,
                        img_h=spec.img_h,
                    )
                )
            entry = {"step": float(step), "loss": round(smoothed, 4)}
            entry.update({s.name: round(s.rate, 4) for s in checks})
            history.append(entry)
            log(json.dumps(entry))
        if step % config.checkpoint_every == 0 or step == config.steps:
            save_checkpoint(
                out / "checkpoint.pt",
                {
                    "model": network.state_dict(),
                    "optimiser": optimiser.state_dict(),
                    "schedule": schedule.state_dict(),
                    "step": step,
                    "history": history,
                    "config": config.settings(),
                },
            )
    bar.close()
    seconds = time.perf_counter() - started
    set_time_scale(network, fine_scale)
    network.eval()
    return network, TrainResult(
        steps=step,
        seconds=seconds,
        samples_per_s=samples / seconds if seconds else 0.0,
        final_loss=smoothed,
        history=history,
        went_on_from=went_on_from,
    )
