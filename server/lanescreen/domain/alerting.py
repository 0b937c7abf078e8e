"""Which passages have an alert: one per vehicle, even when the tracker sees a vehicle twice.

A passage's alert opens at its first HIT or firm REVIEW and stays for its later frames. A
vehicle whose far, small plate was found early (the cascade detector finds plates a single size
missed) may be followed as two passages: a glimpse that lost its track, then the passage that
follows it near. Both HIT the same watchlist entry within seconds on one lane; officers get one
alert for them, the first one's: a listed plate is one vehicle, and a second alert for it in the
same seconds would be the same stop twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TypeVar

from .passages import PassageView

_K = TypeVar("_K")
_V = TypeVar("_V")

MAX_ALERTED = 10_000
"""Passages (and listed entries) remembered as alerted: far more than are ever open at once."""


class AlertBook:
    """The passages that have an alert, and the entries each lane's HITs were alerted for."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        """How long after a passage was last seen another HIT of its entry on its lane is it."""
        self._alerted: dict[str, None] = {}
        self._entries: dict[tuple[str, str], tuple[str, float]] = {}
        """(lane, entry id) -> the alerted passage that HIT it and when it was last seen."""
        self._lock = threading.Lock()

    def admit(self, view: PassageView, worthy: bool, hit_entries: Iterable[str]) -> bool:
        """Whether ``view`` has an alert now: it had one, or it is ``worthy`` of one (a HIT,
        ``hit_entries`` the entries it matched; a firm REVIEW) and is no second passage of a
        vehicle already alerted for the same entries."""
        keys = [(view.lane_id, entry) for entry in hit_entries]
        with self._lock:
            if view.key not in self._alerted and worthy and not self._seen_twice(view, keys):
                self._alerted[view.key] = None
                _trim(self._alerted)
            alerted = view.key in self._alerted
            if alerted:
                for key in keys:
                    self._entries[key] = (view.key, view.last_seen)
                _trim(self._entries)
            return alerted

    def _seen_twice(self, view: PassageView, keys: list[tuple[str, str]]) -> bool:
        """Whether every entry of ``keys`` is alerted for another passage of the lane seen
        within the window of this one's start."""
        held = [self._entries.get(key) for key in keys]
        return bool(keys) and all(
            h is not None and h[0] != view.key and view.first_seen - h[1] <= self.window_s
            for h in held
        )


def _trim(table: dict[_K, _V]) -> None:
    """Forget the oldest beyond :data:`MAX_ALERTED`."""
    while len(table) > MAX_ALERTED:
        del table[next(iter(table))]
