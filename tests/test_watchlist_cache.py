"""The in-memory index follows edits made behind the server's back (e.g. by the CLI)."""

from __future__ import annotations

import time

from lanescreen.domain.matching import ReadText
from lanescreen.domain.watchlist_cache import WatchlistCache
from lanescreen.domain.watchlists import EntryFields, ListKind
from lanescreen.store.db import Database
from lanescreen.store.watchlists import WatchlistStore


def test_cache_picks_up_changes_made_elsewhere_without_blocking(database: Database) -> None:
    store = WatchlistStore(database)
    wl = store.create_watchlist("stolen", ListKind.DENY, "", "officer")
    cache = WatchlistCache(store, poll_s=0.05)
    before = cache.index()
    assert before.size == 0

    # Another process (here: another store on the same database) adds an entry.
    WatchlistStore(database).add_entry("stolen", EntryFields("ABC123"), "cli-user")
    deadline = time.monotonic() + 10
    index = cache.index()
    while index.size == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
        index = cache.index()
    assert index.size == 1
    [match] = index.match([ReadText("ABC123", 0.9)], watchlist_ids={wl.id}, now=wl.created_at)
    assert match.entry.created_by == "cli-user"
