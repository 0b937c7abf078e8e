"""Matching plate reads against watchlist entries, in memory, in microseconds.

Exact entries match the read, or one of the reader's alternative readings. Lenient entries also
match once OCR-confusable characters are folded together, and with one character missing or extra
(found with a symmetric-deletion index, so a lookup costs O(read length), not O(entries)).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from ..vision.types import Candidate
from .governance import ApprovalStatus
from .plates import canonical
from .watchlists import MatchMode, PlateEntry, Watchlist


class MatchKind(StrEnum):
    """How a read matched, strongest first (the order of this enum is the ranking)."""

    EXACT = "exact"
    CANDIDATE = "candidate"
    CONFUSABLE = "confusable"
    ONE_EDIT = "one_edit"


_STRENGTH = {kind: rank for rank, kind in enumerate(MatchKind)}


@dataclass(frozen=True)
class ReadText:
    """A text to look up: the best read of a plate or one of its alternatives."""

    text: str
    confidence: float
    is_candidate: bool = False


@dataclass(frozen=True)
class Match:
    entry: PlateEntry
    watchlist: Watchlist
    read_text: str
    kind: MatchKind
    distance: int

    def sort_key(self) -> tuple[int, int, int]:
        return (-self.entry.fields.priority, _STRENGTH[self.kind], self.distance)


class Readout(Protocol):
    """A plate's read as matching sees it (a passage's reads, or a reader's in evaluation)."""

    @property
    def text(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def candidates(self) -> tuple[Candidate, ...]: ...


def read_texts(reads: Iterable[Readout]) -> list[ReadText]:
    """What the watchlists are matched against: every read, each followed by its candidates."""
    texts: list[ReadText] = []
    for read in reads:
        texts.append(ReadText(read.text, read.confidence))
        texts.extend(ReadText(c.text, c.confidence, is_candidate=True) for c in read.candidates)
    return texts


def _deletions(text: str) -> set[str]:
    return {text[:i] + text[i + 1 :] for i in range(len(text))}


class PlateIndex:
    """An immutable snapshot of the active entries of some watchlists, ready to match.

    Entries awaiting approval or rejected are left out: a status changes only with a list
    version, so a new index follows it (expiry is checked per match, to the second).
    """

    def __init__(self, watchlists: Iterable[Watchlist], entries: Iterable[PlateEntry]) -> None:
        self.watchlists = {wl.id: wl for wl in watchlists}
        self._exact: dict[str, list[PlateEntry]] = defaultdict(list)
        self._folded: dict[str, list[PlateEntry]] = defaultdict(list)
        self._folded_deletions: dict[str, list[PlateEntry]] = defaultdict(list)
        self.size = 0
        for entry in entries:
            if (
                entry.watchlist_id not in self.watchlists
                or entry.approval.status is not ApprovalStatus.ACTIVE
            ):
                continue
            self.size += 1
            self._exact[entry.normalized_plate].append(entry)
            if entry.fields.match_mode is MatchMode.LENIENT:
                folded = canonical(entry.normalized_plate)
                self._folded[folded].append(entry)
                for deleted in _deletions(folded):
                    self._folded_deletions[deleted].append(entry)

    def match(
        self,
        reads: Sequence[ReadText],
        *,
        watchlist_ids: set[str],
        now: datetime,
    ) -> list[Match]:
        """Every active entry of the given lists that a read matches, best first, one per entry."""
        best: dict[str, Match] = {}

        def offer(entry: PlateEntry, read: ReadText, kind: MatchKind, distance: int) -> None:
            if entry.watchlist_id not in watchlist_ids or not entry.active(now):
                return
            match = Match(entry, self.watchlists[entry.watchlist_id], read.text, kind, distance)
            current = best.get(entry.id)
            if current is None or match.sort_key() < current.sort_key():
                best[entry.id] = match

        for read in reads:
            for entry in self._exact.get(read.text, ()):
                offer(entry, read, MatchKind.CANDIDATE if read.is_candidate else MatchKind.EXACT, 0)
            if read.is_candidate:
                continue  # Lenient folding of an alternative reading would stack two guesses.
            folded = canonical(read.text)
            for entry in self._folded.get(folded, ()):
                offer(entry, read, MatchKind.CONFUSABLE, 0)
            # Read has one extra character: a deletion from the read equals the entry.
            for deleted in _deletions(folded):
                for entry in self._folded.get(deleted, ()):
                    offer(entry, read, MatchKind.ONE_EDIT, 1)
            # Read misses one character: the read equals a deletion from the entry.
            for entry in self._folded_deletions.get(folded, ()):
                offer(entry, read, MatchKind.ONE_EDIT, 1)
        return sorted(best.values(), key=Match.sort_key)
