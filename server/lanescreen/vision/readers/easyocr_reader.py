"""EasyOCR's recogniser (english_g2 by default, or a custom network) as a plate reader.

EasyOCR is used through its own ``Reader(detector=False).recognize`` on the crop (or, for readers
trained on tight crops, on its character band first), with every directory given explicitly and downloads disabled, so it never writes under ``~/.EasyOCR``
and never reaches the network: its weights come through ``lanescreen models fetch`` like every
other model, pinned by checksum.

EasyOCR returns one confidence per text, not per character, so each character is given the
whole-text confidence. Its recogniser's per-frame probabilities reach the converter's decoder,
which this reader wraps (:class:`_KeepingConverter`) to find the n best readings by prefix beam
search (:mod:`~lanescreen.vision.ctc`): the likeliest becomes the reading, the rest its candidates,
for a plate grammar or a watchlist to use.

``easyocr`` and ``torch`` are imported only when this reader is built: importing torch takes
seconds, which the default (ONNX) reader should not pay.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from ..ctc import BLANK, Reading, beam_search, text_probabilities
from ..deskew import level, skew_angle
from ..image import to_bgr
from ..textband import parted_band, text_band
from ..types import Candidate, Image, PlateText, ScoredRead, other_readings
from ..weights import ModelError, require

PLATE_ALLOWLIST = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# EasyOCR's CPU path asks torch for pinned memory and quantises its LSTM with deprecated calls;
# both warnings are noise on every read, so only those two are silenced.
warnings.filterwarnings(
    "ignore", message=".*'pin_memory' argument is set as true", category=UserWarning
)
warnings.filterwarnings("ignore", message=".*torch.quantize_per_tensor", category=UserWarning)

PINNED_NETWORKS = ("english_g2",)
"""EasyOCR networks lanescreen fetches and pins (names in :mod:`lanescreen.vision.weights`)."""
USER_NETWORK_SUBDIR = "easyocr_user_network"
"""Where EasyOCR looks for custom network definitions when none is given (inside the model dir)."""
BAND_TRUSTED = 0.6
"""A character-band reading at least this confident is kept without reading the whole crop too:
one recogniser pass for most crops (measured in docs/plate-model.md: US, EU and CN crops read as
well as with both passes, at about half the time)."""
BEAM_WIDTH = 10
"""Readings kept by the beam search: the reading and up to ``BEAM_WIDTH - 1`` candidates."""
MIN_CANDIDATE = 0.01
"""Candidates less probable than this share of the reading are dropped: on the US, EU and CN
crops the stage-2 model misreads, the label was among the rest 35, 6 and 20 times with 0.01
(36, 7, 20 with none) at 1.7-4 candidates a read instead of 8.7 (docs/plate-model.md)."""


@dataclass(frozen=True)
class _Reading:
    text: str
    score: float
    """EasyOCR's confidence (from its frames' top probabilities), what the passes are ranked by."""
    candidates: tuple[Candidate, ...] = ()
    frames: tuple[npt.NDArray[np.float32], ...] = ()
    """The recogniser's per-frame probabilities of each pass behind the reading."""


def _surer(a: _Reading, b: _Reading) -> _Reading:
    """The surer of two passes' readings, with the other pass's readings among its candidates
    (each text once, at its best confidence)."""
    first, second = (a, b) if a.score >= b.score else (b, a)
    pooled = sorted(
        (*first.candidates, Candidate(second.text, second.score), *second.candidates),
        key=lambda c: -c.confidence,
    )
    return _Reading(
        first.text,
        first.score,
        other_readings(first.text, pooled)[: BEAM_WIDTH - 1],
        (*first.frames, *second.frames),
    )


def _pass_scores(
    frames: Sequence[npt.NDArray[np.float32]], index: dict[str, int], texts: Sequence[str]
) -> list[float]:
    """Each text's probability in the pass that finds it likeliest (the reading is that of the
    surest pass, and any pass may be the one that saw a character right)."""
    if not frames or not texts:
        return [0.0] * len(texts)
    best = np.max([text_probabilities(f, index, texts) for f in frames], axis=0)
    return [float(p) for p in best]


class _KeepingConverter:
    """EasyOCR's label converter, keeping what its decoder is handed.

    EasyOCR's recogniser hands its converter the whole ``(batch, frames, classes)`` probability
    array only on its beam-search path (``decoder="beamsearch"``), and its own beam search returns
    one text. This wrapper answers that call with lanescreen's beam search and keeps the readings
    of the last crop read in the calling thread (the server reads in several); everything else
    goes to EasyOCR's converter unchanged.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    @property
    def frames(self) -> list[npt.NDArray[np.float32]]:
        """The per-frame probabilities of each crop in the last call (``(frames, classes)``)."""
        return getattr(self._local, "frames", [])

    @property
    def readings(self) -> list[list[Reading]]:
        return getattr(self._local, "readings", [])

    @readings.setter
    def readings(self, value: list[list[Reading]]) -> None:
        self._local.readings = value

    def decode_beamsearch(self, mat: npt.NDArray[np.float32], beamWidth: int = 5) -> list[str]:
        alphabet = self._inner.character
        self._local.frames = [np.asarray(probs, np.float32) for probs in mat]
        self.readings = [
            beam_search(probs, alphabet, width=beamWidth, min_share=MIN_CANDIDATE) for probs in mat
        ]
        return [r[0].text if r else "" for r in self.readings]


def _check_custom_network(model_dir: Path, user_dir: Path, network: str) -> None:
    """A custom EasyOCR network needs ``NAME.yaml`` and ``NAME.py`` beside ``NAME.pth``."""
    needed = [
        user_dir / f"{network}.yaml",
        user_dir / f"{network}.py",
        model_dir / f"{network}.pth",
    ]
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        raise ModelError(
            f"EasyOCR network {network!r} is neither a pinned network "
            f"({', '.join(PINNED_NETWORKS)}) nor a complete custom network: "
            f"missing {', '.join(missing)}"
        )


def _check_not_shadowed(user_dir: Path, network: str) -> None:
    """EasyOCR imports ``NAME.py`` by its module name, and Python imports a module once per
    process: a network of the same name loaded from another folder earlier would silently stand
    in for this one (its code with these weights)."""
    loaded = getattr(sys.modules.get(network), "__file__", None)
    if loaded is not None and Path(loaded).resolve().parent != user_dir.resolve():
        raise ModelError(
            f"EasyOCR network {network!r} is already loaded from {Path(loaded).parent} in this "
            f"process, so {user_dir / (network + '.py')} cannot be loaded beside it; read it in "
            "a process of its own"
        )


class EasyOcrReader:
    """Reads plate crops with EasyOCR's CRNN recogniser on the CPU."""

    name = "easyocr"

    def __init__(
        self,
        model_dir: Path,
        recog_network: str = "english_g2",
        user_network_dir: Path | None = None,
        allowlist: str = PLATE_ALLOWLIST,
        *,
        threads: int = 1,
        read_text_band: bool = False,
        level_unsure: bool = False,
    ) -> None:
        model_dir = Path(model_dir)
        user_dir = Path(user_network_dir) if user_network_dir else model_dir / USER_NETWORK_SUBDIR
        if recog_network in PINNED_NETWORKS:
            require(model_dir, recog_network)
        else:
            _check_custom_network(model_dir, user_dir, recog_network)
            _check_not_shadowed(user_dir, recog_network)
        self.allowlist = allowlist
        self.read_text_band = read_text_band
        """Read the crop's character band (:mod:`~lanescreen.vision.textband`) first, and the
        whole crop too when the band reads unsurely: for readers trained on tight crops, like
        lanescreen's own."""
        self.level_unsure = level_unsure
        """Read a crop levelled too (:mod:`~lanescreen.vision.deskew`) when its reading is unsure
        and its characters slant: for box crops, which keep the plate's tilt."""
        try:
            import easyocr
            import torch
        except ImportError as exc:
            raise ModelError(f"the easyocr reader needs the easyocr package: {exc}") from exc
        torch.set_num_threads(threads)
        try:
            self._reader: Any = easyocr.Reader(
                ["en"],
                gpu=False,
                model_storage_directory=str(model_dir),
                user_network_directory=str(user_dir),
                recog_network=recog_network,
                detector=False,
                recognizer=True,
                download_enabled=False,
                verbose=False,
            )
        except (OSError, ValueError, RuntimeError, KeyError, AssertionError) as exc:
            raise ModelError(f"EasyOCR could not load {recog_network}: {exc}") from exc
        self._converter = _KeepingConverter(self._reader.converter)
        self._reader.converter = self._converter
        self._index = {ch: i for i, ch in enumerate(self._converter.character) if i != BLANK}

    def _recognize(self, grey: npt.NDArray[Any], box: list[int]) -> _Reading:
        results = self._reader.recognize(
            grey,
            horizontal_list=[box],
            free_list=[],
            detail=1,
            allowlist=self.allowlist,
            batch_size=1,
            # EasyOCR re-reads a crop read below 0.1 confident with its contrast stretched: on US,
            # EU and CN crops that changed no reading and cost a third of the time (p95 26 -> 14 ms).
            contrast_ths=0.0,
            decoder="beamsearch",
            beamWidth=BEAM_WIDTH,
        )
        if not results:
            return _Reading("", 0.0)
        _, text, score = results[0]
        readings = self._converter.readings[0] if self._converter.readings else []
        top = readings[0].probability if readings else 0.0
        # Candidates on the reading's own scale: its confidence times their probability relative
        # to its.
        candidates = tuple(
            Candidate(r.text, float(score) * r.probability / top)
            for r in readings[1:]
            if top > 0 and r.text
        )
        frames = tuple(self._converter.frames[:1])
        return _Reading(str(text).replace(" ", ""), float(score), candidates, frames)

    def _read_as_is(self, crop: Image) -> _Reading:
        grey = cv2.cvtColor(to_bgr(crop), cv2.COLOR_BGR2GRAY)
        height, width = grey.shape[:2]
        whole = [0, width, 0, height]
        band = text_band(crop) if self.read_text_band else None
        if band is None:
            reading = self._recognize(grey, whole)
            unsure = self.read_text_band and reading.score < BAND_TRUSTED
            parted = parted_band(crop) if unsure else None
            if parted is not None:
                # Characters merged with a state name or a dealer's text: theirs, a second opinion.
                reading = _surer(reading, self._recognize(grey, [0, width, *parted]))
            return reading
        # The band first: one pass when it reads surely, the whole crop too when it does not
        # (a band that cut a character, a two-row plate), keeping the surer reading.
        reading = self._recognize(grey, [0, width, band[0], band[1]])
        if reading.score < BAND_TRUSTED:
            reading = _surer(reading, self._recognize(grey, whole))
        return reading

    def _read_one(self, crop: Image) -> ScoredRead:
        reading = self._read_as_is(crop)
        if self.level_unsure and reading.score < BAND_TRUSTED:
            # An unsure reading of a slanted crop: read it levelled too, keep the surer reading.
            degrees = skew_angle(crop)
            if degrees:
                levelled = self._read_as_is(level(crop, degrees))
                reading = _surer(reading, levelled)
        text, score = reading.text, reading.score
        candidates = tuple(c for c in reading.candidates if c.text != text)
        read = PlateText(text, score, tuple(score for _ in text), candidates)
        return ScoredRead(read, partial(_pass_scores, reading.frames, self._index))

    def read(self, crops: Sequence[Image]) -> list[PlateText]:
        """One reading per crop, in order (EasyOCR on the CPU reads boxes one by one anyway)."""
        return [scored.read for scored in self.read_scored(crops)]

    def read_scored(self, crops: Sequence[Image]) -> list[ScoredRead]:
        """:meth:`read`, each reading with a scorer of any text by the recogniser's frames
        (:func:`~lanescreen.vision.ctc.text_probabilities`, best pass)."""
        return [self._read_one(crop) for crop in crops]
