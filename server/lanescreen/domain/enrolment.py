"""Enrolment: turning an officer's photos of a person into face templates, or saying why not.

A photo is accepted only when it shows exactly one face (others at least half its size count; a
small face far in the background does not) and that face passes the quality gate. Every refusal
names the photo and the problem, so the officer can take a better one.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from ..errors import InvalidRequestError
from ..vision.faces.types import FaceObservation
from ..vision.image import FrameError, decode_frame, encode_jpeg
from .face_screening import FaceAnalyser
from .faces import NewTemplate

MAX_PHOTOS = 10
"""Photos per enrolment call."""
SECOND_FACE_SHARE = 0.5
"""A second face counts when its eyes are at least this share as far apart as the first's."""
ANALYSIS_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class PhotoResult:
    """One enrolment photo: accepted (with its template) or refused (with why)."""

    index: int
    template: NewTemplate | None
    error: str = ""
    eye_distance_px: float = 0.0
    sharpness: float = 0.0
    camera_type: str = ""

    @property
    def ok(self) -> bool:
        return self.template is not None


class Enroller:
    """Assesses enrolment photos with the server's face workers and settings."""

    def __init__(
        self, analyser: FaceAnalyser, *, embedder: str, max_bytes: int, max_pixels: int
    ) -> None:
        self._analyser = analyser
        self.embedder = embedder
        self._max_bytes = max_bytes
        self._max_pixels = max_pixels

    def assess(self, photos: Sequence[bytes]) -> list[PhotoResult]:
        if not photos:
            raise InvalidRequestError("photos: give at least one photo of the subject")
        if len(photos) > MAX_PHOTOS:
            raise InvalidRequestError(
                f"photos: at most {MAX_PHOTOS} per call ({len(photos)} given)"
            )
        return assess_photos(
            self._analyser,
            photos,
            embedder=self.embedder,
            max_bytes=self._max_bytes,
            max_pixels=self._max_pixels,
        )


def refusals(results: Sequence[PhotoResult]) -> str:
    """Every refused photo's problem, for the error when no photo was accepted."""
    return "; ".join(r.error for r in results if not r.ok)


def assess_photos(
    analyser: FaceAnalyser,
    photos: Sequence[bytes],
    *,
    embedder: str,
    max_bytes: int,
    max_pixels: int,
    jpeg_quality: int = 90,
) -> list[PhotoResult]:
    """One result per photo, in order. Photos are analysed in parallel by the face workers."""
    pending = []
    results: dict[int, PhotoResult] = {}
    for index, data in enumerate(photos):
        try:
            image = decode_frame(data, max_bytes=max_bytes, max_pixels=max_pixels)
        except FrameError as exc:
            results[index] = PhotoResult(index, None, f"photo {index + 1}: {exc}")
            continue
        pending.append((index, analyser.submit(image, max_faces=4)))
    for index, future in pending:
        try:
            observations = future.result(timeout=ANALYSIS_TIMEOUT_S)
        except FutureTimeout:
            future.cancel()
            results[index] = PhotoResult(index, None, f"photo {index + 1}: analysis timed out")
            continue
        results[index] = _judge(index, observations, embedder, jpeg_quality)
    return [results[i] for i in range(len(photos))]


def _judge(
    index: int, faces: Sequence[FaceObservation], embedder: str, quality: int
) -> PhotoResult:
    name = f"photo {index + 1}"
    if not faces:
        return PhotoResult(index, None, f"{name}: no face found")
    first = faces[0]
    eyes = first.quality.eye_distance_px
    others = [f for f in faces[1:] if f.quality.eye_distance_px >= SECOND_FACE_SHARE * eyes]
    if others:
        error = f"{name}: {len(others) + 1} faces found; enrol from a photo of the subject alone"
    elif not first.quality.ok:
        error = f"{name}: {first.quality.describe()}"
    elif first.embedding is None:
        error = f"{name}: the face could not be embedded"
    else:
        error = ""
    template = None
    if not error and first.embedding is not None:
        template = NewTemplate(
            embedder=embedder,
            camera_type=first.camera_type,
            vector=first.embedding,
            eye_distance_px=eyes,
            sharpness=first.quality.sharpness,
            chip_jpeg=encode_jpeg(first.chip, quality=quality),
        )
    return PhotoResult(index, template, error, eyes, first.quality.sharpness, first.camera_type)
