"""Face screening of driver-camera frames: analyse faces off-process, search the lane's lists.

Face analysis (detection, alignment, quality gate, embedding) runs in worker processes behind a
:class:`FaceAnalyser`, because dlib holds the GIL for ~100 ms a face. Matching is exact search in
the in-memory :class:`~lanescreen.domain.face_index.FaceIndex`, at a threshold set for each search
from the calibration: the score a stranger reaches with probability ``target_fpir`` when compared
with as many subjects as the search covers, for the face's camera type. The decision reports the
score and that threshold.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ..config import FaceConfig
from ..vision.faces import CALIBRATION_DIR
from ..vision.faces.types import FaceObservation
from ..vision.types import Box, Image
from .decisions import DriverCheck, FaceRead
from .face_index import FaceIndex, FaceMatch
from .face_matching import Calibration, CalibrationError, threshold_for
from .matching import Match
from .passages import FaceSighting


def shipped_calibration_path(embedder: str) -> Path:
    """The calibration shipped with an embedder (written by ``lanescreen eval faces``)."""
    return CALIBRATION_DIR / f"{embedder}.json"


def load_calibration(faces: FaceConfig) -> Calibration:
    """The configured calibration file, else the one shipped for the configured embedder.

    A site should measure its own (its cameras and population set the real false-alarm rate).
    """
    path = faces.face_calibration_file or shipped_calibration_path(faces.face_embedder)
    if faces.face_calibration_file is None and not path.is_file():
        raise CalibrationError(
            f"no calibration ships for face embedder {faces.face_embedder!r}: measure one with "
            "`lanescreen eval faces DIR --strangers DIR2 --calibration-out FILE` and set "
            "faces.face_calibration_file"
        )
    calibration = Calibration.load(path)
    if calibration.embedder != faces.face_embedder:
        raise CalibrationError(
            f"calibration {path} was measured for embedder {calibration.embedder!r}, not the "
            f"configured {faces.face_embedder!r}: its scores would set wrong thresholds"
        )
    return calibration


class FaceAnalyser(Protocol):
    """Analyses frames for faces somewhere else (worker processes) and hands back a future."""

    def submit(
        self, image: Image, *, max_faces: int = 4, embed_poor: bool = False
    ) -> Future[list[FaceObservation]]: ...


@dataclass
class FaceFindings:
    """What the faces of a passage matched on the lane's lists."""

    deny: list[FaceMatch] = field(default_factory=list)
    allow: list[FaceMatch] = field(default_factory=list)
    nearest: float = 0.0
    threshold: float = 0.0
    allow_lists_hold_faces: bool = False
    drivers: list[DriverCheck] = field(default_factory=list)


def sighting(observation: FaceObservation, embedder: str, frame_id: str) -> FaceSighting:
    """A vision observation as the domain keeps it (measurements, template, chip)."""
    det, quality = observation.detection, observation.quality
    read = FaceRead(
        box=Box(det.box.x, det.box.y, det.box.width, det.box.height),
        detection_score=det.score,
        camera_type=observation.camera_type,
        eye_distance_px=quality.eye_distance_px,
        sharpness=quality.sharpness,
        yaw_deg=quality.yaw_deg,
        quality_ok=quality.ok and observation.embedding is not None,
        quality_detail="" if quality.ok else quality.describe(),
        embedder=embedder,
        frame_id=frame_id,
    )
    return FaceSighting(read, observation.embedding, observation.chip)


class FaceScreening:
    """The face side of screening: one per server."""

    def __init__(
        self,
        analyser: FaceAnalyser,
        calibration: Calibration,
        *,
        embedder: str,
        target_fpir: float,
        max_faces: int = 2,
    ) -> None:
        self.analyser = analyser
        self.calibration = calibration
        self.embedder = embedder
        self.target_fpir = target_fpir
        self.max_faces = max_faces

    def threshold(self, camera_type: str, subjects: int) -> float:
        """The score needed when one face is compared with ``subjects`` subjects."""
        choice = threshold_for(self.calibration, camera_type, max(1, subjects), self.target_fpir)
        return choice.threshold

    def match(
        self,
        index: FaceIndex,
        faces: Sequence[FaceSighting],
        *,
        deny_ids: Collection[str],
        allow_ids: Collection[str],
        plate_deny: Sequence[Match],
        now: datetime,
    ) -> FaceFindings:
        """Search the usable faces in the lane's lists, and check the drivers of listed plates."""
        found = FaceFindings(allow_lists_hold_faces=index.subjects_in(allow_ids) > 0)
        usable = [f for f in faces if f.embedding is not None and f.read.quality_ok]
        deny_size, allow_size = index.subjects_in(deny_ids), index.subjects_in(allow_ids)
        for face in usable:
            assert face.embedding is not None
            camera = face.read.camera_type
            if deny_size:
                threshold = self.threshold(camera, deny_size)
                matches, best = index.search(face.embedding, deny_ids, threshold, now)
                found.deny += matches
                if best >= found.nearest:
                    found.nearest, found.threshold = best, threshold
            if allow_size:
                threshold = self.threshold(camera, allow_size)
                matches, best = index.search(face.embedding, allow_ids, threshold, now)
                found.allow += matches
                if not deny_size and best >= found.nearest:
                    found.nearest, found.threshold = best, threshold
        if usable and not found.threshold:
            found.threshold = self.threshold(usable[0].read.camera_type, 1)
        found.deny = _best_per_subject(found.deny)
        found.allow = _best_per_subject(found.allow)
        for plate_match in plate_deny:
            drivers = index.drivers(
                plate_match.watchlist.id, plate_match.entry.normalized_plate, now
            )
            if not drivers:
                continue
            scores = [
                score
                for face in usable
                if face.embedding is not None
                for driver in drivers
                if (score := index.score(face.embedding, driver.id)) is not None
            ]
            camera = usable[0].read.camera_type if usable else "colour"
            found.drivers.append(
                DriverCheck(
                    plate_match,
                    tuple(drivers),
                    max(scores) if scores else None,
                    self.threshold(camera, 1),
                )
            )
        return found


def _best_per_subject(matches: list[FaceMatch]) -> list[FaceMatch]:
    """One match per subject (its best score over the passage's faces), in decision order."""
    best: dict[str, FaceMatch] = {}
    for m in matches:
        if m.subject.id not in best or m.score > best[m.subject.id].score:
            best[m.subject.id] = m
    return sorted(best.values(), key=FaceMatch.sort_key)
