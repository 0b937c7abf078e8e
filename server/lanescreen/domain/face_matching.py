"""1:N face search over an enrolled gallery, and thresholds set from a target false-alarm rate.

Templates are L2-normalised vectors compared by cosine similarity (a dot product); a subject may
hold several templates and scores the best of them. Search is exact brute force, a matrix multiply
in batches of bounded memory: 300,000 templates of 128 values (100,000 subjects) take about 30 ms
per probe on one core of the measuring VM, and an exact answer is auditable in a way an
approximate index is not.

Thresholds never come from an embedder's folklore value (dlib's 0.6): they come from the measured
scores of non-mated one-subject comparisons (*impostor scores*, per camera type) and a target
FPIR, the chance that a stranger searched against ``N`` subjects raises an alarm. With
independent comparisons ``FPIR(N) = 1 - (1 - FMR)^N``, so each comparison must have
``FMR = 1 - (1 - FPIR)^(1/N)``, and the threshold is the impostor score exceeded that often. When
that FMR is finer than the impostor sample can resolve (fewer than one impostor score above it),
the threshold is clamped just above the strictest measured score and the choice says so.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "FALLBACK_CAMERA",
    "Calibration",
    "CalibrationError",
    "FaceGallery",
    "ImpostorScores",
    "ThresholdChoice",
    "fmr_for_fpir",
    "l2_normalise",
    "threshold_for",
]

Vectors = npt.NDArray[np.float32]

FALLBACK_CAMERA = "colour"
CALIBRATION_FORMAT = "lanescreen-face-calibration/1"
_NORM_TOLERANCE = 1e-3
_BATCH_ELEMENTS = 1 << 22
"""Similarity-matrix cells computed at once (16 MiB of float32), bounding a search's memory."""


class CalibrationError(ValueError):
    """A calibration file is missing, malformed or holds no usable scores; the message says which."""


def l2_normalise(vectors: npt.ArrayLike) -> Vectors:
    """Rows scaled to unit length (float32); a zero row stays zero."""
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=-1, keepdims=True)
    out: Vectors = (array / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


def _check_normalised(array: Vectors, what: str) -> None:
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} hold NaN or infinite values")
    norms = np.linalg.norm(array, axis=1)
    if array.shape[0] and float(np.max(np.abs(norms - 1.0))) > _NORM_TOLERANCE:
        raise ValueError(
            f"{what} must be L2-normalised (norms range {norms.min():.3f}-{norms.max():.3f})"
        )


class FaceGallery:
    """An immutable snapshot of enrolled templates: build a new one to change it."""

    def __init__(self, subject_ids: Sequence[str], vectors: npt.ArrayLike) -> None:
        array = np.asarray(vectors, dtype=np.float32)
        if array.ndim != 2:
            raise ValueError(f"gallery vectors must be (templates, dim), got shape {array.shape}")
        if len(subject_ids) != array.shape[0]:
            raise ValueError(f"{len(subject_ids)} subject ids for {array.shape[0]} gallery vectors")
        _check_normalised(array, "gallery vectors")
        ids = np.asarray([str(s) for s in subject_ids], dtype=object)
        # Templates grouped by subject, so a subject's best score is one reduceat over its run.
        names, index = np.unique(ids.astype(str), return_inverse=True)
        order = np.argsort(index, kind="stable")
        self._subjects: tuple[str, ...] = tuple(str(n) for n in names)
        self._position = {subject: i for i, subject in enumerate(self._subjects)}
        self._vectors: Vectors = np.ascontiguousarray(array[order])
        self._vectors.flags.writeable = False
        sorted_index = index[order]
        self._starts = np.flatnonzero(np.r_[True, sorted_index[1:] != sorted_index[:-1]])
        if not len(sorted_index):
            self._starts = np.zeros(0, np.int64)
        self.dim = int(array.shape[1])

    @property
    def subject_ids(self) -> tuple[str, ...]:
        """The enrolled subjects, in the column order of :meth:`scores`."""
        return self._subjects

    @property
    def subjects(self) -> int:
        """How many distinct subjects are enrolled."""
        return len(self._subjects)

    @property
    def templates(self) -> int:
        """How many templates are enrolled (a subject may hold several)."""
        return int(self._vectors.shape[0])

    def _chunks(self, probes_per_batch: int) -> list[tuple[int, int]]:
        """Runs of subjects ``[lo, hi)`` whose templates make one similarity block: a new block
        starts at the first subject past each multiple of the block size (so a block holds at most
        the block size plus one subject's templates)."""
        if not self.subjects:
            return []
        limit = max(1, _BATCH_ELEMENTS // max(1, probes_per_batch))
        block = self._starts // limit
        cuts = np.flatnonzero(np.diff(block)) + 1
        bounds = [0, *cuts.tolist(), self.subjects]
        return list(pairwise(bounds))

    def scores(self, probes: npt.ArrayLike) -> Vectors:
        """``(m, subjects)`` best cosine similarity of each probe with each subject's templates."""
        array = np.asarray(probes, dtype=np.float32)
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2 or (array.shape[0] and array.shape[1] != self.dim):
            raise ValueError(f"probes must be (m, {self.dim}), got shape {array.shape}")
        _check_normalised(array, "probe vectors")
        out = np.empty((array.shape[0], self.subjects), np.float32)
        batch = max(1, min(array.shape[0], _BATCH_ELEMENTS // max(1, self.subjects)))
        chunks = self._chunks(batch)
        for p0 in range(0, array.shape[0], batch):
            block = array[p0 : p0 + batch]
            for lo, hi in chunks:
                t0 = int(self._starts[lo])
                t1 = int(self._starts[hi]) if hi < self.subjects else self.templates
                sims = block @ self._vectors[t0:t1].T
                out[p0 : p0 + batch, lo:hi] = np.maximum.reduceat(
                    sims, self._starts[lo:hi] - t0, axis=1
                )
        return out

    def score(self, probe: npt.ArrayLike, subject_id: str) -> float | None:
        """1:1: one probe's best similarity with one subject's templates; None if not enrolled."""
        position = self._position.get(subject_id)
        if position is None:
            return None
        array = np.asarray(probe, dtype=np.float32).reshape(1, -1)
        if array.shape[1] != self.dim:
            raise ValueError(f"probe must have {self.dim} values, got {array.shape[1]}")
        _check_normalised(array, "probe vector")
        t0 = int(self._starts[position])
        t1 = int(self._starts[position + 1]) if position + 1 < self.subjects else self.templates
        return float(np.max(self._vectors[t0:t1] @ array[0]))

    def search(self, probes: npt.ArrayLike, k: int = 1) -> list[list[tuple[str, float]]]:
        """For each probe, the best ``k`` subjects as ``(subject id, similarity)``, best first.

        Equal scores rank by subject id, so results are reproducible.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        scores = self.scores(probes)
        k = min(k, self.subjects)
        results: list[list[tuple[str, float]]] = []
        for row in scores:
            if k == 0:
                results.append([])
                continue
            top = np.argpartition(-row, k - 1)[:k] if k < len(row) else np.arange(len(row))
            cut = row[top].min()
            tied = np.flatnonzero(row >= cut)  # keep ties at the cut, then rank them stably
            ranked = sorted(tied.tolist(), key=lambda i: (-row[i], self._subjects[i]))[:k]
            results.append([(self._subjects[i], float(row[i])) for i in ranked])
        return results


@dataclass(frozen=True, eq=False)
class ImpostorScores:
    """Similarities of non-mated one-subject comparisons for one camera type, sorted ascending."""

    scores: npt.NDArray[np.float64]
    source: str = ""
    """How they were measured (sets, enrolment), for the record."""

    @staticmethod
    def of(values: npt.ArrayLike, source: str = "") -> ImpostorScores:
        array = np.sort(np.asarray(values, dtype=np.float64).ravel())
        if not np.all(np.isfinite(array)):
            raise ValueError("impostor scores hold NaN or infinite values")
        array.flags.writeable = False
        return ImpostorScores(array, source)

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def resolution(self) -> float:
        """The smallest non-zero FMR this sample can measure: one score in all of them."""
        return 1.0 / len(self.scores) if len(self.scores) else 1.0

    def fmr_at(self, threshold: float) -> float:
        """Fraction of impostor scores at or above ``threshold``."""
        if not len(self.scores):
            return 0.0
        above = len(self.scores) - int(np.searchsorted(self.scores, threshold, side="left"))
        return above / len(self.scores)

    def threshold_at(self, fmr: float) -> tuple[float, int, bool]:
        """The lowest threshold that at most ``fmr`` of the scores reach: ``(threshold, how many
        reach it, resolved)``. Unresolved (``fmr`` below one score in all of them), it is clamped
        just above the highest score."""
        n = len(self.scores)
        if not n:
            raise ValueError("no impostor scores to set a threshold from")
        allowed = math.floor(fmr * n + 1e-9)
        if allowed < 1:
            return float(np.nextafter(self.scores[-1], np.inf)), 0, False
        if allowed >= n:
            return -1.0, n, True
        return float(np.nextafter(self.scores[n - allowed - 1], np.inf)), allowed, True

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "count": len(self.scores),
            "scores": [round(float(s), 6) for s in self.scores],
        }


@dataclass(frozen=True)
class Calibration:
    """Impostor scores per camera type (``colour``, ``grey``) for one embedder."""

    embedder: str
    by_camera: Mapping[str, ImpostorScores]
    metric: str = "cosine"
    notes: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Free-form facts about how it was made (sets, enrolment count), kept when saved."""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": CALIBRATION_FORMAT,
            "embedder": self.embedder,
            "metric": self.metric,
            "notes": self.notes,
            **({"made_with": dict(self.extra)} if self.extra else {}),
            "by_camera": {kind: s.to_json() for kind, s in sorted(self.by_camera.items())},
        }

    def save(self, path: Path) -> None:
        """Write as JSON (atomically: a temporary file renamed into place)."""
        path = Path(path)
        temp = path.with_name(f".{path.name}.part")
        temp.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        temp.replace(path)

    @staticmethod
    def from_json(data: Any, where: str = "calibration") -> Calibration:
        if not isinstance(data, dict) or data.get("format") != CALIBRATION_FORMAT:
            raise CalibrationError(f"{where} is not a {CALIBRATION_FORMAT} document")
        cameras = data.get("by_camera")
        if not isinstance(cameras, dict) or not cameras:
            raise CalibrationError(f"{where} has no impostor scores (by_camera is empty)")
        by_camera = {}
        for kind, entry in cameras.items():
            scores = entry.get("scores") if isinstance(entry, dict) else None
            if not isinstance(scores, list) or not scores:
                raise CalibrationError(f"{where}: camera type {kind!r} has no scores")
            try:
                by_camera[str(kind)] = ImpostorScores.of(scores, str(entry.get("source", "")))
            except (TypeError, ValueError) as exc:
                raise CalibrationError(f"{where}: camera type {kind!r}: {exc}") from exc
        made_with = data.get("made_with", {})
        return Calibration(
            embedder=str(data.get("embedder", "")),
            by_camera=by_camera,
            metric=str(data.get("metric", "cosine")),
            notes=str(data.get("notes", "")),
            extra=made_with if isinstance(made_with, dict) else {},
        )

    @staticmethod
    def load(path: Path) -> Calibration:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CalibrationError(f"calibration file {path} does not exist") from exc
        except (OSError, json.JSONDecodeError) as exc:
            raise CalibrationError(f"calibration file {path} cannot be read: {exc}") from exc
        return Calibration.from_json(data, str(path))


@dataclass(frozen=True)
class ThresholdChoice:
    """A similarity threshold and why: the per-comparison FMR it targets, and any caveat."""

    threshold: float
    fmr: float
    """The per-comparison false-match rate the target FPIR needs at this gallery size."""
    extrapolated: bool
    """True when that FMR is finer than the impostor sample resolves (threshold clamped)."""
    detail: str


def fmr_for_fpir(target_fpir: float, gallery_subjects: int) -> float:
    """``1 - (1 - FPIR)^(1/N)``, computed stably for tiny rates and large galleries."""
    if not 0.0 < target_fpir < 1.0:
        raise ValueError(f"target FPIR must be between 0 and 1, got {target_fpir}")
    n = max(1, gallery_subjects)
    return -math.expm1(math.log1p(-target_fpir) / n)


def threshold_for(
    calibration: Calibration, camera_type: str, gallery_subjects: int, target_fpir: float
) -> ThresholdChoice:
    """The lowest similarity threshold that keeps FPIR at ``target_fpir`` for this gallery size.

    Scores at or above the threshold alarm. An unknown camera type falls back to ``colour``.
    """
    notes = []
    kind = camera_type
    if kind not in calibration.by_camera:
        if FALLBACK_CAMERA not in calibration.by_camera:
            known = ", ".join(sorted(calibration.by_camera))
            raise CalibrationError(
                f"calibration has no scores for camera type {camera_type!r} nor {FALLBACK_CAMERA!r}"
                f" (has: {known})"
            )
        notes.append(f"no calibration for camera type {camera_type!r}; used {FALLBACK_CAMERA!r}")
        kind = FALLBACK_CAMERA
    impostors = calibration.by_camera[kind]
    fmr = fmr_for_fpir(target_fpir, gallery_subjects)
    threshold, reaching, resolved = impostors.threshold_at(fmr)
    where = f"{len(impostors)} {kind} impostor scores"
    need = (
        f"FPIR {target_fpir:g} over {gallery_subjects} subjects needs FMR {fmr:.3g} per comparison"
    )
    if not resolved:
        notes.append(
            f"{need}, finer than the {where} resolve ({impostors.resolution:.3g}); threshold "
            f"clamped just above the highest impostor score {impostors.scores[-1]:.4f}: the FPIR "
            "it gives is extrapolated, not measured, and may exceed the target"
        )
    else:
        notes.append(f"{need}: {reaching} of {where} reach {threshold:.4f}")
    return ThresholdChoice(threshold, fmr, not resolved, "; ".join(notes))
