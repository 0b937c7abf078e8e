"""Matching plate reads against watchlist entries, in memory, in microseconds.

Exact entries match the read, or one of the reader's alternative readings. Lenient entries also
match once OCR-confusable characters are folded together, and with one character missing or extra
(found with a symmetric-deletion index, so a lookup costs O(read length), not O(entries)).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
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
    """The active entries of some watchlists, ready to match, kept up to date in place.

    Entries awaiting approval or rejected are left out (expiry is checked per match, to the
    second). :meth:`apply` changes it while lanes match against it: every bucket is replaced,
    never changed, so a match running meanwhile sees each bucket whole, before or after.
    """

    def __init__(self, watchlists: Iterable[Watchlist], entries: Iterable[PlateEntry]) -> None:
        self.watchlists = {wl.id: wl for wl in watchlists}
        self._by_id: dict[str, PlateEntry] = {}
        exact: dict[str, list[PlateEntry]] = defaultdict(list)
        folded: dict[str, list[PlateEntry]] = defaultdict(list)
        deletions: dict[str, list[PlateEntry]] = defaultdict(list)
        for entry in entries:
            if self._indexable(entry):
                self._by_id[entry.id] = entry
                for bucket, key in self._keys(entry):
                    (exact, folded, deletions)[bucket][key].append(entry)
        self._exact = dict(exact)
        self._folded = dict(folded)
        self._folded_deletions = dict(deletions)

    @property
    def size(self) -> int:
        return len(self._by_id)

    def _indexable(self, entry: PlateEntry) -> bool:
        return (
            entry.watchlist_id in self.watchlists and entry.approval.status is ApprovalStatus.ACTIVE
        )

    @staticmethod
    def _keys(entry: PlateEntry) -> Iterator[tuple[int, str]]:
        """(bucket, key) pairs the entry is found under: 0 exact, 1 folded, 2 folded deletions."""
        yield 0, entry.normalized_plate
        if entry.fields.match_mode is MatchMode.LENIENT:
            folded = canonical(entry.normalized_plate)
            yield 1, folded
            for deleted in _deletions(folded):
                yield 2, deleted

    def apply(
        self, watchlists: Iterable[Watchlist], changed: Iterable[PlateEntry], removed: Iterable[str]
    ) -> None:
        """Bring the index to the lists as they are now: ``changed`` entries (in any state)
        replace their earlier selves, ``removed`` ones go. Costs what changed, not the lists'
        size. Callers apply one change at a time (the cache's refresh is serialised)."""
        self.watchlists = {wl.id: wl for wl in watchlists}
        changed = list(changed)
        for entry_id in {*removed, *(e.id for e in changed)}:
            old = self._by_id.pop(entry_id, None)
            if old is not None:
                for bucket, key in self._keys(old):
                    self._replace(
                        bucket, key, [e for e in self._bucket(bucket, key) if e.id != entry_id]
                    )
        for entry in changed:
            if self._indexable(entry):
                self._by_id[entry.id] = entry
                for bucket, key in self._keys(entry):
                    self._replace(bucket, key, [*self._bucket(bucket, key), entry])

    def _bucket(self, bucket: int, key: str) -> list[PlateEntry]:
        return (self._exact, self._folded, self._folded_deletions)[bucket].get(key, [])

    def _replace(self, bucket: int, key: str, entries: list[PlateEntry]) -> None:
        table = (self._exact, self._folded, self._folded_deletions)[bucket]
        if entries:
            table[key] = entries
        else:
            table.pop(key, None)

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
