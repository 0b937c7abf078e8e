"""What a watchlist would make of a reader's reads: hits on listed plates, and false hits.

A read rate says how often the text is right; at a checkpoint what counts is whether a listed
vehicle is stopped, and how often a vehicle is stopped for another's entry. So every label of the
set is put on two deny lists, one of exact entries and one of lenient ones (OCR confusions and
one missing or extra character forgiven), and each plate's reads, candidates included, are
matched by the server's own :class:`~lanescreen.domain.matching.PlateIndex`.

* A *hit*: the plate's own entry matches. On the exact list that is the label being read or
  offered as a candidate; the lenient list forgives more.
* A *false hit*: another plate's entry matches (a plate crop, or for a frame any read in it, against
  every entry whose plate is not in that frame): a HIT an officer has to dismiss. Its rate grows
  with the list, and a set's labels are a few hundred plates where a real list holds thousands, so
  the list is filled up to ``list_size`` with plates in the labels' own formats
  (:func:`format_twins`), none of them in the set.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lanescreen.domain.matching import PlateIndex, Readout, read_texts
from lanescreen.domain.watchlists import EntryFields, ListKind, MatchMode, PlateEntry, Watchlist

MODES = (MatchMode.EXACT, MatchMode.LENIENT)
LIST_SIZE = 10_000
"""Entries of the simulated lists by default: the set's labels and plates in their formats."""
MAX_LIST_SIZE = 1_000_000
"""The most entries a simulated list may have: two lists of a million take about 2.4 GB and a
minute to index."""


def format_twins(labels: Sequence[str], count: int, seed: int = 0) -> list[str]:
    """``count`` plates in the labels' own formats, none of them a label: a label with each
    letter and digit replaced by a random one (other characters, such as a Chinese province,
    kept), so the list's plates look like the traffic's, as a real list's do."""
    rng = random.Random(seed)
    taken = set(labels)
    twins: list[str] = []
    for _ in range(20 * count):  # a set of short labels may have fewer twins than asked
        if len(twins) == count or not labels:
            break
        twin = "".join(
            rng.choice(string.digits)
            if ch in string.digits
            else rng.choice(string.ascii_uppercase)
            if ch in string.ascii_uppercase
            else ch
            for ch in rng.choice(labels)
        )
        if twin not in taken:
            taken.add(twin)
            twins.append(twin)
    return twins


class SetWatchlist:
    """Every label of a labelled set, listed once exactly and once leniently, with format twins
    up to ``list_size`` entries a list."""

    def __init__(self, labels: Iterable[str], list_size: int = LIST_SIZE) -> None:
        distinct = sorted({label for label in labels if label})
        plates = distinct + format_twins(distinct, max(0, list_size - len(distinct)))
        self.labels = len(distinct)
        self.size = len(plates)
        self._now = datetime.now(UTC)
        lists = [
            Watchlist(mode.value, f"every label, {mode.value}", ListKind.DENY) for mode in MODES
        ]
        entries = [
            PlateEntry(
                f"{mode.value}:{plate}",
                mode.value,
                EntryFields(plate, match_mode=mode),
                "lanescreen eval",
                self._now,
                self._now,
            )
            for mode in MODES
            for plate in plates
        ]
        self._index = PlateIndex(lists, entries)

    def matched(self, reads: Sequence[Readout], mode: MatchMode) -> set[str]:
        """The plates whose entries on the ``mode`` list these reads match."""
        texts = read_texts(reads)
        if not texts:
            return set()
        found = self._index.match(texts, watchlist_ids={mode.value}, now=self._now)
        return {m.entry.normalized_plate for m in found}


@dataclass
class WatchlistTally:
    """Hits per labelled plate and false hits per crop or frame, on each list."""

    plates: int = 0
    hits: dict[MatchMode, int] = field(default_factory=lambda: dict.fromkeys(MODES, 0))
    looked: int = 0
    """Crops or frames whose reads were checked for false hits."""
    false_hits: dict[MatchMode, int] = field(default_factory=lambda: dict.fromkeys(MODES, 0))

    def count_hit(self, watchlist: SetWatchlist, reads: Sequence[Readout], label: str) -> None:
        """One labelled plate, read as ``reads`` (none: not found)."""
        self.plates += 1
        for mode in MODES:
            self.hits[mode] += label in watchlist.matched(reads, mode)

    def count_false(
        self, watchlist: SetWatchlist, reads: Sequence[Readout], labels: Iterable[str]
    ) -> None:
        """One crop or frame whose plates are ``labels``: does any read match another's entry?"""
        self.looked += 1
        own = set(labels)
        for mode in MODES:
            self.false_hits[mode] += bool(watchlist.matched(reads, mode) - own)

    def to_dict(self) -> dict[str, Any]:
        return {
            mode.value: {
                "hit_rate": round(self.hits[mode] / self.plates, 4) if self.plates else 0.0,
                "false_hit_rate": (
                    round(self.false_hits[mode] / self.looked, 4) if self.looked else 0.0
                ),
            }
            for mode in MODES
        }
