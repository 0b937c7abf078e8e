"""The in-memory index follows edits made anywhere, change by change, and knows how fresh it is."""

from __future__ import annotations

import time
from collections.abc import Mapping

import pytest
from lanescreen.domain.governance import ApprovalPolicy
from lanescreen.domain.matching import ReadText
from lanescreen.domain.watchlist_cache import WatchlistCache
from lanescreen.domain.watchlists import EntryFields, ListKind, MatchMode, WatchlistDelta
from lanescreen.store.db import Database
from lanescreen.store.watchlists import WatchlistStore


def _plates(cache: WatchlistCache, *reads: str) -> list[str]:
    index = cache.index()
    found = index.match(
        [ReadText(r, 0.9) for r in reads], watchlist_ids=set(index.watchlists), now=_now()
    )
    return sorted(m.entry.normalized_plate for m in found)


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_cache_picks_up_changes_made_elsewhere_without_blocking(database: Database) -> None:
    store = WatchlistStore(database)
    wl = store.create_watchlist("stolen", ListKind.DENY, "", "officer")
    cache = WatchlistCache(store, poll_s=0.05)
    cache.start()
    try:
        assert cache.index().size == 0
        # Another process (here: another store on the same database) adds an entry.
        WatchlistStore(database).add_entry("stolen", EntryFields("ABC123"), "cli-user")
        deadline = time.monotonic() + 10
        while cache.index().size == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        index = cache.index()
        assert index.size == 1
        [match] = index.match([ReadText("ABC123", 0.9)], watchlist_ids={wl.id}, now=_now())
        assert match.entry.created_by == "cli-user"
        assert cache.staleness_s() < 1.0
    finally:
        cache.stop()


def test_each_change_is_applied_in_place(database: Database) -> None:
    store = WatchlistStore(database, ApprovalPolicy(80))
    store.create_watchlist("stolen", ListKind.DENY, "", "officer")
    kept = store.add_entry("stolen", EntryFields("KEEP01"), "officer")
    lenient = store.add_entry("stolen", EntryFields("AB1234", match_mode=MatchMode.LENIENT), "o")
    cache = WatchlistCache(store)
    assert _plates(cache, "KEEP01", "A81234") == ["AB1234", "KEEP01"]
    index = cache.index()

    gone = store.add_entry("stolen", EntryFields("GONE01"), "officer")
    store.remove_entry(lenient.id, "officer", "recovered")
    high = store.add_entry("stolen", EntryFields("HIGH01", priority=90), "officer")  # pending
    assert cache.refresh() is True
    assert cache.index() is index  # the same index, changed where the edits were
    assert _plates(cache, "KEEP01", "A81234", "GONE01", "HIGH01") == ["GONE01", "KEEP01"]
    store.approve_entry(high.id, "supervisor.lee")
    store.remove_entry(gone.id, "officer", "error")
    assert cache.refresh() is True
    assert _plates(cache, "KEEP01", "GONE01", "HIGH01") == ["HIGH01", "KEEP01"]
    assert cache.refresh() is False  # nothing moved: a cheap check, and confirmed again
    assert cache.index().size == 2 and kept.id in {m.entry.id for m in cache.index().match(
        [ReadText("KEEP01", 0.9)], watchlist_ids=set(cache.index().watchlists), now=_now()
    )}  # fmt: skip


class _Failing:
    """A store that answered once and then stopped answering."""

    def __init__(self, store: WatchlistStore) -> None:
        self.store = store
        self.down = False

    def snapshot(self):  # type: ignore[no-untyped-def]
        return self.store.snapshot()

    def changes_since(self, applied: Mapping[str, int]) -> WatchlistDelta | None:
        if self.down:
            raise ConnectionError("database does not answer")
        return self.store.changes_since(applied)


def test_staleness_grows_while_the_store_does_not_answer(database: Database) -> None:
    now = [100.0]
    source = _Failing(WatchlistStore(database))
    cache = WatchlistCache(source, clock=lambda: now[0])
    now[0] += 0.4
    assert cache.refresh() is False and cache.staleness_s() == 0.0
    source.down = True
    now[0] += 2.5
    with pytest.raises(ConnectionError):
        cache.refresh()
    assert cache.staleness_s() == pytest.approx(2.5)
    source.down = False
    cache.refresh()
    assert cache.staleness_s() == 0.0
