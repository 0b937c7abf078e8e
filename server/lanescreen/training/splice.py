"""Plates no camera saw, in real cameras' pixels: characters of real crops pasted into each other.

Fine-tuning on a few hundred real crops teaches the network those plates more than their
characters: after stage 4 it read 249 of the 250 lprnet_cn_dev crops it trained on and 216 of the
250 it did not. A spliced crop is a real crop with one to three of its characters replaced by the
same position's characters of other real crops of the same length, so the network meets new
combinations of real glyphs, blur and lighting rather than the same 250 again.

Where to cut comes from the network's own CTC alignment of each crop's label: the frame where
each character is emitted, cuts midway between consecutive characters, then moved onto the gaps
between characters (:func:`snap_to_gaps`). Cutting so needs a network that already reads, as a
resumed stage's does; a crop whose alignment puts two characters in one frame is left unspliced,
and a spliced crop whose label that network finds implausible (:data:`PLAUSIBLE_NLL`) is dropped.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import torch

from lanescreen.vision.image import to_bgr
from lanescreen.vision.types import Image

from .data import encode, make_batch
from .preprocess import collate, model_input
from .real_sets import RealCrop
from .train import ctc_loss

PLAUSIBLE_NLL = 3.0
"""Largest CTC loss (negative log-likelihood of its label) a spliced crop may have under the
network that cut it. A cut in the wrong place pastes half a character, a crop the label no longer
fits: of 600 spliced crops, those above 4 were never read as labelled, those under 2.3 were read so
92% of the time; real crops the network has never seen and misreads lie mostly under 6."""
SEAM = 2
"""Pixels over which a pasted character fades into the crop it is pasted into."""


@dataclass(frozen=True)
class CutCrop:
    """A real crop and where its characters are: character ``i`` spans ``cuts[i]:cuts[i + 1]``."""

    image: Image
    text: str
    cuts: tuple[int, ...]


def align(log_probs: npt.NDArray[np.float32], labels: Sequence[int]) -> list[int] | None:
    """The frame at which each label is first emitted on the likeliest CTC path that spells
    ``labels`` (blank 0), from ``(T, C)`` log-probabilities; ``None`` where no path fits."""
    frames, count = log_probs.shape[0], len(labels)
    states = [0]
    for label in labels:
        states += [label, 0]
    size = len(states)
    if count == 0 or frames < count:
        return None
    score = np.full((frames, size), -np.inf)
    back = np.zeros((frames, size), dtype=np.int64)
    score[0, 0] = log_probs[0, 0]
    score[0, 1] = log_probs[0, states[1]]
    for t in range(1, frames):
        for s in range(size):
            options = [(score[t - 1, s], s)]
            if s >= 1:
                options.append((score[t - 1, s - 1], s - 1))
            if s >= 2 and states[s] != 0 and states[s] != states[s - 2]:
                options.append((score[t - 1, s - 2], s - 2))
            best, origin = max(options)
            score[t, s] = best + log_probs[t, states[s]]
            back[t, s] = origin
    end = size - 1 if score[-1, size - 1] >= score[-1, size - 2] else size - 2
    if not np.isfinite(score[-1, end]):
        return None
    path = [end]
    for t in range(frames - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    path.reverse()
    first: dict[int, int] = {}
    for t, s in enumerate(path):
        if s % 2 == 1:
            first.setdefault(s // 2, t)
    return [first[i] for i in range(count)]


def cuts_from_frames(frames: Sequence[int], total_frames: int, width: int) -> tuple[int, ...]:
    """Column boundaries of the characters emitted at ``frames`` (of ``total_frames`` across a
    crop ``width`` wide): midway between consecutive characters, the outer edges half a
    character's pitch beyond the first and last."""
    step = width / total_frames
    centres = [(f + 0.5) * step for f in frames]
    pitch = (centres[-1] - centres[0]) / max(1, len(centres) - 1) if len(centres) > 1 else width
    inner = [(a + b) / 2 for a, b in itertools.pairwise(centres)]
    edges = [centres[0] - pitch / 2, *inner, centres[-1] + pitch / 2]
    return tuple(round(min(max(x, 0.0), float(width))) for x in edges)


def column_energy(crop: Image) -> npt.NDArray[np.float64]:
    """Stroke energy of each column over the crop's middle rows (the plate's frame and bolts
    above and below left out), smoothed over 3 columns: low in the gaps between characters."""
    grey = cv2.cvtColor(to_bgr(crop), cv2.COLOR_BGR2GRAY).astype(np.float32)
    height = grey.shape[0]
    middle = grey[height // 5 : height - height // 5]
    energy = np.abs(cv2.Sobel(middle, cv2.CV_32F, 1, 0, ksize=3)) + np.abs(
        cv2.Sobel(middle, cv2.CV_32F, 0, 1, ksize=3)
    )
    return np.convolve(energy.mean(axis=0), np.ones(3) / 3, mode="same").astype(np.float64)


def snap_to_gaps(crop: Image, cuts: tuple[int, ...]) -> tuple[int, ...]:
    """``cuts`` moved onto the gaps between characters: all together by the shift that puts the
    inner cuts on the least stroke energy (a CTC network emits a character at a consistent
    offset from its centre), then each inner cut to the quietest column within a quarter pitch."""
    width = crop.shape[1]
    if len(cuts) < 3:
        return cuts
    energy = column_energy(crop)
    pitch = float(np.median(np.diff(cuts)))
    reach = max(1, round(0.6 * pitch))

    def at(x: int) -> float:
        return float(energy[min(max(x, 0), width - 1)])

    shift = min(range(-reach, reach + 1), key=lambda s: sum(at(c + s) for c in cuts[1:-1]))
    local = max(1, round(pitch / 4))
    inner = []
    for c in cuts[1:-1]:
        centre = c + shift
        window = range(max(0, centre - local), min(width, centre + local + 1))
        inner.append(min(window, key=at) if window else centre)
    first = min(max(cuts[0] + shift, 0), width)
    last = min(max(cuts[-1] + shift, 0), width)
    return (first, *inner, last)


@torch.no_grad()
def cut_crops(
    network: torch.nn.Module, crops: Sequence[RealCrop], *, charset: str, img_h: int
) -> list[CutCrop]:
    """Each crop with its character cuts, per ``network``'s alignment of its label; crops whose
    characters the alignment does not separate (two in one frame, or a zero-width cut) are left
    out."""
    was_training = network.training
    network.eval()
    known = set(charset)
    out: list[CutCrop] = []
    for crop in crops:
        if not crop.text or not set(crop.text) <= known:
            continue
        tensor = model_input(crop.image, img_h)
        log_probs = network(collate([tensor])).log_softmax(2)[0].numpy()
        targets, _ = encode([crop.text], charset)
        frames = align(log_probs, targets.tolist())
        if frames is None or len(set(frames)) < len(frames):
            continue
        # The input is the crop scaled to img_h, padded on the right to the batch's width.
        content = crop.image.shape[1] * img_h / crop.image.shape[0]
        span = tensor.shape[2] / content * crop.image.shape[1]
        cuts = cuts_from_frames(frames, log_probs.shape[0], round(span))
        cuts = snap_to_gaps(crop.image, tuple(min(c, crop.image.shape[1]) for c in cuts))
        if all(b > a for a, b in itertools.pairwise(cuts)):
            out.append(CutCrop(crop.image, crop.text, cuts))
    network.train(was_training)
    return out


def _matched(
    patch: npt.NDArray[np.float32], like: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """``patch`` with each channel's mean and spread set to ``like``'s: the pasted character takes
    the lighting of the crop it is pasted into."""
    patch_mean, patch_std = patch.mean(axis=(0, 1)), patch.std(axis=(0, 1)) + 1.0
    like_mean, like_std = like.mean(axis=(0, 1)), like.std(axis=(0, 1)) + 1.0
    return np.asarray((patch - patch_mean) / patch_std * like_std + like_mean, dtype=np.float32)


def splice(base: CutCrop, donors: Sequence[CutCrop], rng: random.Random) -> tuple[Image, str]:
    """``base`` with one to three characters replaced by the same positions' characters of
    crops in ``donors`` of the same length, and its new label."""
    peers = [d for d in donors if len(d.text) == len(base.text)]
    if not peers:
        return base.image, base.text
    image = base.image.astype(np.float32)
    text = list(base.text)
    height = image.shape[0]
    positions = rng.sample(range(len(text)), min(len(text), rng.randint(1, 3)))
    for i in positions:
        donor = rng.choice(peers)
        x0, x1 = base.cuts[i], base.cuts[i + 1]
        d0, d1 = donor.cuts[i], donor.cuts[i + 1]
        if x1 <= x0 or d1 <= d0:
            continue
        resized = cv2.resize(
            donor.image[:, d0:d1].astype(np.float32),
            (x1 - x0, height),
            interpolation=cv2.INTER_LINEAR,
        )
        patch = np.asarray(resized, dtype=np.float32).reshape(height, x1 - x0, -1)
        region = np.asarray(image[:, x0:x1], dtype=np.float32).reshape(height, x1 - x0, -1)
        matched = _matched(patch, region)
        fade = np.ones(x1 - x0, dtype=np.float32)
        ramp = min(SEAM, (x1 - x0) // 2)
        for k in range(ramp):
            fade[k] = fade[-1 - k] = (k + 1) / (ramp + 1)
        weight = fade[None, :, None]
        blended = region * (1 - weight) + matched * weight
        image[:, x0:x1] = blended.reshape(image[:, x0:x1].shape)
        text[i] = donor.text[i]
    return np.ascontiguousarray(np.clip(image, 0, 255), dtype=np.uint8), "".join(text)


@torch.no_grad()
def spliced_crops(
    network: torch.nn.Module,
    crops: Sequence[RealCrop],
    *,
    count: int,
    seed: int,
    charset: str,
    img_h: int,
    batch_size: int = 64,
) -> list[RealCrop]:
    """``count`` spliced crops made from ``crops``, each one whose label is plausible to
    ``network`` (:data:`PLAUSIBLE_NLL`); empty where the network separates no crop's characters.
    The same network, crops and seed give the same crops."""
    cut = cut_crops(network, crops, charset=charset, img_h=img_h)
    if not cut:
        return []
    was_training = network.training
    network.eval()
    rng = random.Random(f"splice:{seed}")
    ctc = torch.nn.CTCLoss(blank=0, reduction="none", zero_infinity=True)
    kept: list[RealCrop] = []
    tries = 0
    while len(kept) < count and tries < 20 * count:
        made = [splice(rng.choice(cut), cut, rng) for _ in range(batch_size)]
        tries += batch_size
        batch = make_batch([(model_input(image, img_h), text) for image, text in made], charset)
        losses = ctc_loss(network, batch, ctc)
        # Inputs padded to the batch's width cost a little likelihood; CN crops share one width.
        kept.extend(
            RealCrop(image, text, "spliced")
            for (image, text), loss in zip(made, losses.tolist(), strict=True)
            if loss <= PLAUSIBLE_NLL
        )
    network.train(was_training)
    return kept[:count]
