"""Where plates are looked for: choosing among detections, squares around expected plates, and
the cascade that finds the plates one detector size misses.

y5fu at 640 finds 0.919 of openalpr_us's plates, at 320 0.851, the two together 0.959: the 640
network misses large plates (a third of the frame) and scores some plates just under the
threshold, the 320 one misses small ones. :class:`CascadeDetector` runs the second size only
where the first is unsure, and looks again, zoomed in, at what either scored just under the
threshold (docs/accuracy.md, Detection).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from .types import Box, Image, PlateDetection, PlateDetector

SAME_PLATE_OVERLAP = 0.6
"""Two detections whose boxes share this much of the smaller one are one plate: a detector's
NMS keeps both when one box is a part of the other (a plate and its character band, say), and
reading both would report the plate twice."""

SEARCH_SIDE = 5.0
"""The square searched around a tracked plate's predicted box, in plate widths: room for its
prediction to be off by two widths either way, and the plate a fifth of what the track detector
sees (about the scale y5fu was trained at)."""
MIN_SEARCH_SIDE = 160
"""The least side of a search square, in pixels: a far plate is searched with its surroundings."""

SURE_SCORE = 0.5
"""A first-pass detection scoring this much is a plate the second size need not confirm; with
none, the second size searches the whole frame (12% of openalpr_us's frames)."""
LOOK_SCORE = 0.15
"""Detections scoring between this and the acceptance score are looked at again, zoomed in."""
ZOOM_SIDE = 3.0
"""The square a doubtful detection is looked at again in, in its widths (3 found 0.982 of
openalpr_us's plates, 2.5 and 4 0.977)."""
MAX_ZOOMS = 3
"""Doubtful detections looked at again per frame, strongest first: a cluttered frame costs at
most this many small second-size passes."""


def select(
    detections: Sequence[PlateDetection], min_score: float, limit: int
) -> list[PlateDetection]:
    """The strongest ``limit`` plates scoring at least ``min_score``, best first, each once:
    a detection overlapping a stronger one (:data:`SAME_PLATE_OVERLAP`) is merged into it."""
    kept: list[PlateDetection] = []
    for detection in sorted(detections, key=lambda d: d.score, reverse=True):
        if len(kept) == limit or detection.score < min_score:
            break
        if all(k.box.overlap(detection.box) < SAME_PLATE_OVERLAP for k in kept):
            kept.append(detection)
    return kept


def square_around(
    box: Box, side_widths: float, width: int, height: int, min_side: int = MIN_SEARCH_SIDE
) -> tuple[int, int, int, int]:
    """The square (``x0, y0, x1, y1``, inside a ``width`` x ``height`` frame) ``side_widths``
    of ``box``'s widths (at least ``min_side`` pixels) around its centre, shifted inwards at
    the frame's edges rather than cut."""
    side = int(min(max(side_widths * box.width, min_side), width, height))
    cx, cy = box.centre
    x0 = int(min(max(cx - side / 2, 0), width - side))
    y0 = int(min(max(cy - side / 2, 0), height - side))
    return x0, y0, x0 + side, y0 + side


def search_region(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    """The square where a plate predicted at ``box`` is looked for: :data:`SEARCH_SIDE` plate
    widths around its centre."""
    return square_around(box, SEARCH_SIDE, width, height)


def centre_inside(box: Box, width: int, height: int) -> bool:
    cx, cy = box.centre
    return 0 <= cx < width and 0 <= cy < height


def detect_in(
    detector: PlateDetector, image: Image, region: tuple[int, int, int, int]
) -> list[PlateDetection]:
    """``detector``'s plates in ``region`` (``x0, y0, x1, y1``) of ``image``, in the frame's
    coordinates."""
    x0, y0, x1, y1 = region
    return [shifted(d, x0, y0) for d in detector.detect(image[y0:y1, x0:x1])]


def shifted(detection: PlateDetection, dx: float, dy: float) -> PlateDetection:
    """``detection`` moved by ``dx, dy``: from a part of a frame to the frame."""
    box = detection.box
    corners = None
    if detection.corners:
        a, b, c, d = ((x + dx, y + dy) for x, y in detection.corners)
        corners = (a, b, c, d)
    return replace(
        detection, box=Box(box.x + dx, box.y + dy, box.width, box.height), corners=corners
    )


@dataclass
class CascadeDetector:
    """Two detector sizes as one detector: the first on the whole frame; the second on the
    whole frame only when the first found no plate it is sure of (:data:`SURE_SCORE`); then the
    second again on a square around each doubtful detection (scored between
    :data:`LOOK_SCORE` and ``accept_score``) that no accepted one covers, where the plate is
    larger in its input. Its detectors must report scores down to :data:`LOOK_SCORE`."""

    first: PlateDetector
    second: PlateDetector
    accept_score: float
    """The score the pipeline accepts a detection at (``vision.min_detection_score``)."""
    name: str = "y5fu_cascade"
    sure_score: float = SURE_SCORE
    look_score: float = LOOK_SCORE
    zoom_side: float = ZOOM_SIDE
    max_zooms: int = MAX_ZOOMS

    def detect(self, image: Image) -> list[PlateDetection]:
        """Every detection of every pass, best first (:func:`select` merges repeats)."""
        found = self.first.detect(image)
        if not any(d.score >= self.sure_score for d in found):
            found += self.second.detect(image)
        found += self._zoomed(image, found)
        return sorted(found, key=lambda d: d.score, reverse=True)

    def _zoomed(self, image: Image, found: list[PlateDetection]) -> list[PlateDetection]:
        """The second detector's plates around the doubtful ones of ``found``."""
        # select() merges a doubtful detection into any stronger one it overlaps, an accepted
        # one included: what stays under the acceptance score is covered by none.
        doubtful = [
            d for d in select(found, self.look_score, len(found)) if d.score < self.accept_score
        ]
        height, width = image.shape[:2]
        zoomed: list[PlateDetection] = []
        for detection in doubtful[: self.max_zooms]:
            square = square_around(detection.box, self.zoom_side, width, height)
            zoomed += detect_in(self.second, image, square)
        return zoomed
