"""The in-memory face index lanes search: one exact gallery per watchlist, from one embedder.

Built from a store snapshot and swapped in whole (like the plate index), so a search never waits on
the database. Templates made by another embedder than the server's are left out (their vectors live
in another space) and counted, so start-up can say so. Expired subjects stay in the galleries and
are dropped from results, so an expiry takes effect to the second without a reload. Subjects
awaiting approval or rejected are left out altogether (their status changes only with a list
version, so the next index follows it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from .face_matching import FaceGallery
from .faces import FaceSubject, FaceTemplate
from .governance import ApprovalStatus
from .watchlists import Watchlist

SEARCH_DEPTH = 5
"""Subjects returned per list and probe before the threshold: more than one can pass it."""


@dataclass(frozen=True)
class FaceMatch:
    """A subject whose enrolled face scored at least the threshold against a probe face."""

    subject: FaceSubject
    watchlist: Watchlist
    score: float
    threshold: float

    def sort_key(self) -> tuple[int, float]:
        return (-self.subject.fields.priority, -self.score)


class FaceIndex:
    """An immutable snapshot of the subjects of every list and their templates."""

    def __init__(
        self,
        watchlists: Iterable[Watchlist],
        subjects: Iterable[FaceSubject],
        templates: Iterable[FaceTemplate],
        embedder: str,
    ) -> None:
        self.embedder = embedder
        self._watchlists = {wl.id: wl for wl in watchlists}
        self._subjects = {s.id: s for s in subjects if s.approval.status is ApprovalStatus.ACTIVE}
        rows: dict[str, list[tuple[str, npt.NDArray[np.float32]]]] = defaultdict(list)
        self.foreign_templates = 0
        for template in templates:
            subject = self._subjects.get(template.subject_id)
            if subject is None:
                continue
            if template.embedder != embedder:
                self.foreign_templates += 1
                continue
            rows[subject.watchlist_id].append((subject.id, template.vector))
        self._galleries = {
            list_id: FaceGallery([s for s, _ in pairs], np.stack([v for _, v in pairs]))
            for list_id, pairs in rows.items()
        }
        self._by_plate: dict[tuple[str, str], list[FaceSubject]] = defaultdict(list)
        for subject in self._subjects.values():
            for plate in subject.fields.plates:
                self._by_plate[(subject.watchlist_id, plate)].append(subject)

    @property
    def size(self) -> int:
        """Subjects with at least one usable template."""
        return sum(g.subjects for g in self._galleries.values())

    def subjects_in(self, watchlist_ids: Collection[str]) -> int:
        """How many subjects a search of these lists compares a face with (sets its threshold)."""
        return sum(g.subjects for i, g in self._galleries.items() if i in watchlist_ids)

    def search(
        self,
        probe: npt.NDArray[np.float32],
        watchlist_ids: Collection[str],
        threshold: float,
        now: datetime,
    ) -> tuple[list[FaceMatch], float]:
        """Active subjects of these lists scoring at least ``threshold``, and the best score seen.

        The best score (of any active subject, 0 when the lists hold none) lets a CLEAR say how
        far the face was from the nearest listed person.
        """
        matches: list[FaceMatch] = []
        best = 0.0
        probes = probe.reshape(1, -1).astype(np.float32)
        for list_id in watchlist_ids:
            gallery = self._galleries.get(list_id)
            if gallery is None:
                continue
            for subject_id, score in gallery.search(probes, k=SEARCH_DEPTH)[0]:
                subject = self._subjects[subject_id]
                if not subject.active(now):
                    continue
                best = max(best, score)
                if score >= threshold:
                    matches.append(
                        FaceMatch(subject, self._watchlists[list_id], float(score), threshold)
                    )
        return sorted(matches, key=FaceMatch.sort_key), best

    def score(self, probe: npt.NDArray[np.float32], subject_id: str) -> float | None:
        """The probe's score against one subject's enrolled face; None if they have no template."""
        subject = self._subjects.get(subject_id)
        gallery = self._galleries.get(subject.watchlist_id) if subject else None
        if gallery is None:
            return None
        return gallery.score(probe.reshape(1, -1).astype(np.float32), subject_id)

    def drivers(self, watchlist_id: str, plate: str, now: datetime) -> list[FaceSubject]:
        """Active subjects of a list enrolled as drivers of this (normalised) plate."""
        return [s for s in self._by_plate.get((watchlist_id, plate), []) if s.active(now)]

    def watchlist(self, watchlist_id: str) -> Watchlist | None:
        return self._watchlists.get(watchlist_id)
