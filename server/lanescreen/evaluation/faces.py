"""1:N face identification measured the way NIST FRVT and the EU Entry/Exit System report it.

Each labelled identity enrols its first ``enrol`` photos whose face passes the quality gate (a
photo that fails counts as a failure to enrol); its other photos are *mated* probes. Every face in
the stranger folders is a *non-mated* probe. Each probe is searched against the whole gallery
(cosine similarity, a subject scoring its best template), exactly as the service searches.

* **rank-1**: mated probes whose best-scoring subject is their own, over *all* mated probes (a probe
  with no face, or refused by the quality gate, counts as a miss);
* **FPIR(t)**: searched strangers whose best score reaches ``t``; the threshold for a target FPIR is
  the lowest one the strangers reach at most that often (unresolved, and flagged, when the target
  is below one stranger in all of them);
* **FNIR(t)**: mated probes whose own subject is not the best-scoring one at ``t`` or above, again
  over all mated probes.

Every comparison of a searched probe with a subject that is not its own is an *impostor score*,
kept per camera type: the raw material of the threshold calibration
(:class:`~lanescreen.domain.face_matching.Calibration`). Frames go through the service's path:
file bytes, :func:`decode_frame`, then :meth:`FacePipeline.analyse_timed`.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np
from tqdm import tqdm

from lanescreen.domain.face_matching import Calibration, FaceGallery, ImpostorScores
from lanescreen.vision.faces.pipeline import FacePipeline, camera_type
from lanescreen.vision.faces.types import Embedding, FaceObservation
from lanescreen.vision.image import UnsupportedFormat, decode_frame
from lanescreen.vision.types import Image

from .face_sets import LabelledPhoto

TARGETS = {"1pct": 0.01, "0_1pct": 0.001}
"""Target FPIRs reported, keyed as they appear in the JSON (``fnir_at_fpir_1pct`` ...)."""
STAGES = ("decode", "detect", "align", "embed")
_MAX_BYTES = 256 * 1024 * 1024
_MAX_PIXELS = 200_000_000


@dataclass(frozen=True)
class ProbeOptions:
    """How probes (mated and strangers, never enrolment photos) are presented to the pipeline."""

    grey_copies: bool = False
    """Also search a greyscale copy of every colour probe (what an IR camera sees)."""
    scale: float = 1.0
    """Resize probes by this factor first (INTER_AREA), to measure what smaller faces cost."""
    blur_sigma: float = 0.0
    """Gaussian-blur probes with this sigma (pixels) first, to measure what blur costs."""
    embed_poor: bool = False
    """Search faces the quality gate refuses too, to measure what the gate saves."""
    max_faces: int = 32
    """Faces analysed per stranger photo, largest first (a mated probe uses its largest face)."""


def load_photo(path: Path) -> Image:
    """File bytes through the service's decoder; PGM/PPM/TIFF (ORL's format) through OpenCV."""
    data = path.read_bytes()
    try:
        return decode_frame(data, max_bytes=_MAX_BYTES, max_pixels=_MAX_PIXELS)
    except UnsupportedFormat:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise
        return cast(Image, image)


def degrade(image: Image, scale: float, blur_sigma: float) -> Image:
    """The probe as a smaller or blurrier camera would have taken it."""
    out = image
    if scale != 1.0:
        height, width = out.shape[:2]
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        out = cast(Image, cv2.resize(out, size, interpolation=cv2.INTER_AREA))
    if blur_sigma > 0:
        out = cast(Image, cv2.GaussianBlur(out, (0, 0), blur_sigma))
    return out


@dataclass
class _Probe:
    """One searched (or unsearchable) face: a mated probe's largest face or a stranger's face."""

    camera: str
    identity: str | None
    """The mate's subject id; None for a stranger."""
    embedding: Embedding | None
    eye_distance: float | None = None
    sharpness: float | None = None
    refused: bool = False
    problems: tuple[str, ...] = ()
    """The quality gate's reasons, whether or not the face was searched anyway."""
    top_subject: str | None = None
    top_score: float = float("nan")
    mate_score: float = float("nan")

    @property
    def searched(self) -> bool:
        return self.embedding is not None


def _threshold(scores: Sequence[float], fpir: float) -> tuple[float, bool]:
    threshold, _, resolved = ImpostorScores.of(scores).threshold_at(fpir)
    return threshold, resolved


def _rate(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def _median(values: Sequence[float]) -> float | None:
    return round(float(np.median(values)), 4) if len(values) else None


def metrics(mated: Sequence[_Probe], strangers: Sequence[_Probe]) -> dict[str, Any]:
    """Rank-1, FNIR at each target FPIR (with the threshold), and the counts behind them."""
    probes = len(mated)
    searched = [p for p in mated if p.searched]
    correct = [p for p in searched if p.top_subject == p.identity]
    searched_strangers = [p for p in strangers if p.searched]
    top_scores = sorted(p.top_score for p in searched_strangers)
    out: dict[str, Any] = {
        "probes": probes,
        "failure_to_detect": sum(1 for p in mated if p.embedding is None and not p.refused),
        "refused_by_quality": sum(1 for p in mated if p.refused),
        "poor_quality_by_reason": dict(
            sorted(Counter(reason for p in mated for reason in p.problems).items())
        ),
        "strangers": len(searched_strangers),
        "strangers_refused": sum(1 for p in strangers if p.refused),
        "rank1": round(_rate(len(correct), probes), 4),
    }
    for key, fpir in TARGETS.items():
        if not top_scores or not probes:
            out |= {f"fnir_at_fpir_{key}": None, f"threshold_at_fpir_{key}": None}
            out[f"fpir_{key}_resolved"] = False
            continue
        threshold, resolved = _threshold(top_scores, fpir)
        found = sum(1 for p in correct if p.top_score >= threshold)
        out[f"fnir_at_fpir_{key}"] = round(1 - _rate(found, probes), 4)
        out[f"threshold_at_fpir_{key}"] = round(threshold, 4)
        out[f"fpir_{key}_resolved"] = resolved
    out["mated_score_median"] = _median([p.mate_score for p in searched])
    out["mated_score_min"] = round(min(p.mate_score for p in searched), 4) if searched else None
    out["stranger_top_score_median"] = _median(top_scores)
    out["stranger_top_score_max"] = round(top_scores[-1], 4) if top_scores else None
    return out


@dataclass
class FaceEvaluation:
    """Everything one run measured; :meth:`to_dict` is the ``--json`` output."""

    embedder: str
    enrol: int
    options: ProbeOptions
    identities: int = 0
    group_photos_skipped: int = 0
    failure_to_enrol: int = 0
    identities_not_enrolled: int = 0
    templates: int = 0
    stranger_photos: int = 0
    stranger_photos_without_face: int = 0
    mated: list[_Probe] = field(default_factory=list)
    strangers: list[_Probe] = field(default_factory=list)
    impostors: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    stage_ms: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    """Per analysed image (a grey copy is one more image)."""
    faces_analysed: int = 0

    def calibration(self, source: str) -> Calibration:
        """The impostor scores per camera type, as a calibration for this run's embedder."""
        made_with = {"source": source, "enrol": self.enrol, "subjects": self.identities}
        return Calibration(
            embedder=self.embedder,
            by_camera={
                kind: ImpostorScores.of(scores, f"{source}; enrol {self.enrol}")
                for kind, scores in sorted(self.impostors.items())
                if scores
            },
            notes="non-mated one-subject comparisons (subject score = best of its templates)",
            extra=made_with,
        )

    def to_dict(self) -> dict[str, Any]:
        frames = [sum(parts) for parts in zip(*self.stage_ms.values(), strict=True)]
        analysis = sum(sum(self.stage_ms[s]) for s in STAGES if s != "decode")
        found = [p for p in self.mated if p.eye_distance is not None]
        out: dict[str, Any] = {
            "embedder": self.embedder,
            "identities": self.identities,
            "enrolled_templates": self.templates,
            "failure_to_enrol": self.failure_to_enrol,
            "identities_not_enrolled": self.identities_not_enrolled,
            "group_photos_skipped": self.group_photos_skipped,
            "stranger_photos": self.stranger_photos,
            "stranger_photos_without_face": self.stranger_photos_without_face,
            **metrics(self.mated, self.strangers),
        }
        out["by_camera"] = {
            kind: metrics(
                [p for p in self.mated if p.camera == kind],
                [p for p in self.strangers if p.camera == kind],
            )
            for kind in sorted({p.camera for p in [*self.mated, *self.strangers]})
        }
        out["impostor_comparisons"] = {k: len(v) for k, v in sorted(self.impostors.items())}
        out["probe_eye_distance_median"] = _median([cast(float, p.eye_distance) for p in found])
        out["probe_sharpness_median"] = _median([cast(float, p.sharpness) for p in found])
        out["ms_per_face"] = round(analysis / self.faces_analysed, 2) if self.faces_analysed else 0
        out["ms_per_photo"] = round(float(np.mean(frames)), 2) if frames else 0.0
        out["ms_per_photo_p95"] = round(float(np.percentile(frames, 95)), 2) if frames else 0.0
        out["ms_per_stage"] = {
            s: round(float(np.mean(v)), 2) for s, v in self.stage_ms.items() if v
        }
        out["settings"] = {
            "enrol": self.enrol,
            "grey_copies": self.options.grey_copies,
            "probe_scale": self.options.scale,
            "probe_blur_sigma": self.options.blur_sigma,
            "embed_poor": self.options.embed_poor,
        }
        return out


class _Runner:
    def __init__(self, pipeline: FacePipeline, run: FaceEvaluation) -> None:
        self.pipeline = pipeline
        self.run = run

    def analyse(
        self, image: Image, decode_ms: float, *, max_faces: int, embed_poor: bool
    ) -> list[FaceObservation]:
        observations, timings = self.pipeline.analyse_timed(
            image, max_faces=max_faces, embed_poor=embed_poor
        )
        self.run.stage_ms["decode"].append(decode_ms)
        for stage in STAGES[1:]:
            self.run.stage_ms[stage].append(timings.get(stage, 0.0))
        self.run.faces_analysed += len(observations)
        return observations

    def views(self, path: Path, options: ProbeOptions) -> list[tuple[Image, float]]:
        """The probe as decoded (and degraded), plus its greyscale copy when asked for."""
        start = time.perf_counter()
        image = degrade(load_photo(path), options.scale, options.blur_sigma)
        decode_ms = (time.perf_counter() - start) * 1000
        views = [(image, decode_ms)]
        if options.grey_copies and image.ndim == 3:
            grey = cast(Image, cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
            views.append((grey, 0.0))
        return views


def _probe(observation: FaceObservation, identity: str | None) -> _Probe:
    quality = observation.quality
    return _Probe(
        camera=observation.camera_type,
        identity=identity,
        embedding=observation.embedding,
        eye_distance=quality.eye_distance_px,
        sharpness=quality.sharpness,
        refused=not quality.ok and observation.embedding is None,
        problems=tuple(str(p) for p in quality.problems),
    )


def _search(gallery: FaceGallery, probes: Sequence[_Probe], run: FaceEvaluation) -> None:
    """Score searched probes against every subject; record ranks and impostor scores."""
    searched = [p for p in probes if p.embedding is not None]
    if not searched or not gallery.subjects:
        return
    scores = gallery.scores(np.stack([cast(Embedding, p.embedding) for p in searched]))
    ids = gallery.subject_ids
    for probe, row in zip(searched, scores, strict=True):
        best = int(np.argmax(row))
        probe.top_subject, probe.top_score = ids[best], float(row[best])
        others = row
        if probe.identity is not None:
            mate = ids.index(probe.identity)
            probe.mate_score = float(row[mate])
            others = np.delete(row, mate)
        run.impostors[probe.camera].extend(float(s) for s in others)


def evaluate_faces(
    pipeline: FacePipeline,
    labelled: Sequence[LabelledPhoto],
    stranger_photos: Sequence[Path],
    *,
    enrol: int = 3,
    options: ProbeOptions | None = None,
    progress: bool = True,
) -> FaceEvaluation:
    """Enrol, search mated probes and strangers, and collect every score (see the module doc)."""
    if enrol < 1:
        raise ValueError(f"enrol must be at least 1, got {enrol}")
    options = options or ProbeOptions()
    run = FaceEvaluation(pipeline.embedder.name, enrol, options)
    runner = _Runner(pipeline, run)
    by_identity: dict[str, list[Path]] = defaultdict(list)
    for photo in labelled:
        if len(photo.identities) == 1:
            by_identity[photo.identities[0]].append(photo.path)
        else:
            run.group_photos_skipped += 1
    run.identities = len(by_identity)
    total = sum(len(v) for v in by_identity.values()) + len(stranger_photos)
    bar = tqdm(total=total, desc="faces", unit="img", disable=not progress, leave=False)
    subject_ids: list[str] = []
    vectors: list[Embedding] = []
    pending: list[tuple[str, Path]] = []
    for identity, paths in by_identity.items():
        enrolled = 0
        for index, path in enumerate(paths):
            if enrolled >= enrol:
                pending += [(identity, p) for p in paths[index:]]
                break
            bar.update()
            start = time.perf_counter()
            image = load_photo(path)
            faces = runner.analyse(
                image, (time.perf_counter() - start) * 1000, max_faces=1, embed_poor=False
            )
            if faces and faces[0].embedding is not None:
                subject_ids.append(identity)
                vectors.append(faces[0].embedding)
                enrolled += 1
            else:
                run.failure_to_enrol += 1
        run.identities_not_enrolled += enrolled == 0
    run.templates = len(vectors)
    gallery = FaceGallery(subject_ids, np.stack(vectors) if vectors else np.zeros((0, 1)))
    enrolled_ids = set(subject_ids)
    for identity, path in pending:
        bar.update()
        if identity not in enrolled_ids:
            continue
        for image, decode_ms in runner.views(path, options):
            faces = runner.analyse(image, decode_ms, max_faces=1, embed_poor=options.embed_poor)
            if faces:
                run.mated.append(_probe(faces[0], identity))
            else:
                run.mated.append(_Probe(camera_type(image), identity, None))
    for path in stranger_photos:
        bar.update()
        run.stranger_photos += 1
        for view, (image, decode_ms) in enumerate(runner.views(path, options)):
            faces = runner.analyse(
                image, decode_ms, max_faces=options.max_faces, embed_poor=options.embed_poor
            )
            run.stranger_photos_without_face += view == 0 and not faces
            run.strangers += [_probe(face, None) for face in faces]
    bar.close()
    _search(gallery, run.mated, run)
    _search(gallery, run.strangers, run)
    return run
