"""The training stream: rendered plates (plus real crops when fine-tuning) as ready CTC batches.

Runs in a DataLoader worker so rendering overlaps training. Everything random comes from one seed,
so a given ``(seed, start_step)`` always yields the same batches. Samples are drawn a few batches
at a time and grouped by input width, so a batch pads little beyond what EasyOCR pads at read time.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch.utils.data import IterableDataset, get_worker_info

from lanescreen.vision.rows import side_by_side
from lanescreen.vision.textband import text_band
from lanescreen.vision.types import Image

from .preprocess import EASYOCR_ADJUST_CONTRAST, collate, jitter_crop, model_input, photometric
from .real_sets import RealCrop

POOL_BATCHES = 4
"""Batches drawn at once and regrouped by width."""
REUSE = 2
"""Each rendered plate is shown this many times, framed differently: rendering (about 12 ms a
plate) costs more than a training step per sample, so this doubles the samples the CPU feeds."""
CONTRAST_VIEW_P = 0.1
"""How often a sample is shown as EasyOCR's low-confidence second pass sees it."""
BAND_VIEW_P = 0.5
"""How often a sample is shown as the reader reads it first: only its character band
(:func:`~lanescreen.vision.textband.text_band`), where the plate's side edges and frame become
full-height bars beside the first and last characters. A model that never saw band views read
those bars as I and 1 (about 11 of the first shipped model's 116 US misreads)."""
SPLICED_P = 0.5
"""How often a real sample, where spliced crops are given, is a spliced one
(:mod:`~lanescreen.training.splice`) rather than one of the real crops as they are."""
TWO_ROW_VIEW_P = 0.8
"""How often a two-row plate is shown as the reader reads one its detector says has two rows
(:func:`~lanescreen.vision.rows.side_by_side`); a band view of it would show one row, which its
label does not match."""


@dataclass(frozen=True)
class Batch:
    """Network inputs ``(B, 1, H, W)`` and their CTC targets."""

    images: torch.Tensor
    targets: torch.Tensor
    """Concatenated label indices (1-based: 0 is the blank)."""
    lengths: torch.Tensor
    texts: tuple[str, ...]


def encode(texts: Sequence[str], charset: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Label indices as EasyOCR's ``CTCLabelConverter`` numbers them (charset position + 1)."""
    index = {ch: i + 1 for i, ch in enumerate(charset)}
    flat = [index[ch] for text in texts for ch in text]
    return torch.tensor(flat, dtype=torch.long), torch.tensor([len(t) for t in texts])


def make_batch(items: Sequence[tuple[torch.Tensor, str]], charset: str) -> Batch:
    targets, lengths = encode([text for _, text in items], charset)
    images = collate([tensor for tensor, _ in items])
    return Batch(images, targets, lengths, tuple(text for _, text in items))


class PlateStream(IterableDataset[Batch]):
    """Endless batches of rendered plates, a ``real_fraction`` of them real crops, augmented;
    given ``spliced`` crops, half of those real samples are spliced ones."""

    def __init__(
        self,
        *,
        seed: int,
        batch_size: int,
        charset: str,
        img_h: int,
        real: Sequence[RealCrop] = (),
        real_fraction: float = 0.0,
        spliced: Sequence[RealCrop] = (),
    ) -> None:
        super().__init__()
        self.seed = seed
        self.batch_size = batch_size
        self.charset = charset
        self.img_h = img_h
        self.real = list(real)
        self.real_fraction = real_fraction if self.real else 0.0
        self.spliced = list(spliced)

    def _example(
        self, image: Image, text: str, rng: random.Random, *, rows: int = 0
    ) -> tuple[torch.Tensor, str]:
        """``rows``: 1 for a one-row rendered plate, which may be shown as its band; 2 for a
        two-row one, mostly shown with its rows side by side; 0 (a real crop) as it is."""
        image = jitter_crop(image, rng)
        if rows == 2 and rng.random() < TWO_ROW_VIEW_P:
            image = side_by_side(image)
        if rows == 1 and rng.random() < BAND_VIEW_P:
            band = text_band(image)
            if band is not None:
                image = image[band[0] : band[1]]
        contrast = EASYOCR_ADJUST_CONTRAST if rng.random() < CONTRAST_VIEW_P else 0.0
        return model_input(image, self.img_h, adjust_contrast=contrast), text

    def __iter__(self) -> Iterator[Batch]:
        from .synth import PlateRenderer

        worker = get_worker_info()
        rng = random.Random(f"{self.seed}:{worker.id if worker else 0}")
        renderer = PlateRenderer(rng.getrandbits(31))
        known = set(self.charset)
        while True:
            pool: list[tuple[torch.Tensor, str]] = []
            while len(pool) < POOL_BATCHES * self.batch_size:
                if rng.random() < self.real_fraction:
                    spliced = self.spliced and rng.random() < SPLICED_P
                    crop = rng.choice(self.spliced if spliced else self.real)
                    pool.append(self._example(photometric(crop.image, rng), crop.text, rng))
                    continue
                sample = renderer.sample()
                if sample.text and set(sample.text) <= known:
                    pool.extend(
                        self._example(sample.image, sample.text, rng, rows=sample.rows)
                        for _ in range(REUSE)
                    )
            pool.sort(key=lambda item: item[0].shape[2])
            groups = [pool[i : i + self.batch_size] for i in range(0, len(pool), self.batch_size)]
            rng.shuffle(groups)
            for group in groups:
                yield make_batch(group, self.charset)
