"""How fast an edit reaches the lanes: one edit on a large list, and across nodes.

    .venv/bin/python bench/bench_watchlists.py [--entries 1000000] [--edits 50] [--json]

1. **One edit on a list of ``--entries`` entries** (SQLite in a temp dir): the time to store an
   edit, the time a node takes to apply it to the index its lanes match against (what changed
   read from the database, then applied in place), and, for comparison, what a full rebuild of
   that index costs (what every edit cost before).
2. **Propagation across nodes** (a PostgreSQL server started here from the Debian binaries): two
   nodes' watchlist indexes, each on its own connection, with the ``NOTIFY`` listener the server
   runs; ``--edits`` plates added through one, timed until the other's index matches them (and as
   many removals). Target: p99 at most 1 s.
3. **Lane changes across nodes** (the same PostgreSQL): a lane added and removed through one
   node's lane store, timed until the other node's lane registry serves it (and stops).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
from benchutil import ROOT
from lanescreen.config import LaneConfig
from lanescreen.domain.lanes import LaneRegistry
from lanescreen.domain.matching import ReadText
from lanescreen.domain.watchlist_cache import WatchlistCache
from lanescreen.domain.watchlists import EntryFields, ListKind
from lanescreen.errors import NotFoundError
from lanescreen.store.db import Database
from lanescreen.store.lanes import LaneStore
from lanescreen.store.notify import EditListener
from lanescreen.store.watchlists import WatchlistStore
from tqdm import tqdm

sys.path.insert(0, str(ROOT))
from tests.store_fixtures import new_cluster


def _ms(values: list[float]) -> dict[str, float]:
    array = np.asarray(values) * 1000
    return {
        "p50_ms": round(float(np.percentile(array, 50)), 2),
        "p99_ms": round(float(np.percentile(array, 99)), 2),
        "max_ms": round(float(array.max()), 2),
    }


def one_edit_on_a_large_list(entries: int, edits: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, Database.open(f"sqlite:///{tmp}/w.db") as db:
        store = WatchlistStore(db)
        store.create_watchlist("big", ListKind.DENY, "", "bench")
        batch = 50_000
        with tqdm(total=entries, desc="filling the list", unit="entry", file=sys.stderr) as bar:
            for start in range(0, entries, batch):
                rows = [EntryFields(f"B{n:09d}") for n in range(start, min(entries, start + batch))]
                store.import_entries("big", rows, "bench")
                bar.update(len(rows))
        started = time.perf_counter()
        cache = WatchlistCache(store)
        rebuild_s = time.perf_counter() - started
        store_s, apply_s = [], []
        for n in range(edits):
            started = time.perf_counter()
            store.add_entry("big", EntryFields(f"EDIT{n:05d}"), "bench")
            stored = time.perf_counter()
            assert cache.refresh()
            store_s.append(stored - started)
            apply_s.append(time.perf_counter() - stored)
        index = cache.index()
        found = index.match(
            [ReadText(f"EDIT{edits - 1:05d}", 0.9)],
            watchlist_ids=set(index.watchlists),
            now=datetime.now(UTC),
        )
        assert len(found) == 1 and index.size == entries + edits
    return {
        "entries": entries,
        "store_edit": _ms(store_s),
        "apply_edit": _ms(apply_s),
        "full_rebuild_ms": round(rebuild_s * 1000, 1),
    }


def _node(url: str) -> tuple[Database, WatchlistStore, WatchlistCache, EditListener]:
    db = Database.open(url)
    store = WatchlistStore(db)
    cache = WatchlistCache(store)
    listener = EditListener(db.engine, cache.wake)
    cache.start()
    listener.start()
    return db, store, cache, listener


def _seen(cache: WatchlistCache, plate: str) -> bool:
    index = cache.index()
    return bool(
        index.match(
            [ReadText(plate, 0.9)], watchlist_ids=set(index.watchlists), now=datetime.now(UTC)
        )
    )


def propagation(edits: int) -> dict[str, Any]:
    cluster = new_cluster(durable=True)
    server = cluster.start()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/{server.database}"
    nodes = [_node(url), _node(url)]
    try:
        _, editor, _, _ = nodes[0]
        _, _, watcher, _ = nodes[1]
        editor.create_watchlist("stolen", ListKind.DENY, "", "bench")
        time.sleep(0.5)
        added: list[float] = []
        removed: list[float] = []
        for n in range(edits):
            plate = f"PROP{n:05d}"
            entry = editor.add_entry("stolen", EntryFields(plate), "bench")
            committed = time.perf_counter()
            while not _seen(watcher, plate):
                time.sleep(0.0005)
            added.append(time.perf_counter() - committed)
            editor.remove_entry(entry.id, "bench", "bench")
            committed = time.perf_counter()
            while _seen(watcher, plate):
                time.sleep(0.0005)
            removed.append(time.perf_counter() - committed)
    finally:
        for db, _, cache, listener in nodes:
            listener.stop()
            cache.stop()
            db.close()
        cluster.stop()
    over = sum(seconds > 1.0 for seconds in added + removed)
    return {"edits": edits, "add_seen": _ms(added), "remove_seen": _ms(removed), "over_1s": over}


def _serves(registry: LaneRegistry, lane_id: str) -> bool:
    try:
        registry.lane(lane_id)
    except NotFoundError:
        return False
    return True


def lane_propagation(edits: int) -> dict[str, Any]:
    cluster = new_cluster(durable=True)
    server = cluster.start()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/{server.database}"
    editor_db, watcher_db = Database.open(url), Database.open(url)
    editor = LaneStore(editor_db, {"fast_plate_ocr"})
    watched = LaneStore(watcher_db, {"fast_plate_ocr"})
    registry = LaneRegistry([], watched)
    listener = EditListener(watcher_db.engine, registry.wake)
    registry.start()
    listener.start()
    try:
        time.sleep(0.5)
        added: list[float] = []
        removed: list[float] = []
        for n in range(edits):
            lane_id = f"gate-{n}"
            editor.put(LaneConfig(id=lane_id), "bench", "bench")
            committed = time.perf_counter()
            while not _serves(registry, lane_id):
                time.sleep(0.0005)
            added.append(time.perf_counter() - committed)
            editor.remove(lane_id, "bench", "bench")
            committed = time.perf_counter()
            while _serves(registry, lane_id):
                time.sleep(0.0005)
            removed.append(time.perf_counter() - committed)
    finally:
        listener.stop()
        registry.stop()
        editor_db.close()
        watcher_db.close()
        cluster.stop()
    over = sum(seconds > 1.0 for seconds in added + removed)
    return {
        "edits": edits,
        "add_served": _ms(added),
        "remove_served": _ms(removed),
        "over_1s": over,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries on the large list")
    parser.add_argument("--edits", type=int, default=50, help="edits timed (default 50)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    large = one_edit_on_a_large_list(args.entries, args.edits)
    spread = propagation(args.edits)
    lanes = lane_propagation(min(args.edits, 20))
    if args.json:
        print(json.dumps({"large_list": large, "propagation": spread, "lanes": lanes}))
        return
    print(
        f"one edit on a list of {large['entries']} entries (SQLite): stored in "
        f"{large['store_edit']['p50_ms']} ms p50 / {large['store_edit']['p99_ms']} p99; applied "
        f"to the index in {large['apply_edit']['p50_ms']} ms p50 / {large['apply_edit']['p99_ms']} "
        f"p99 / {large['apply_edit']['max_ms']} max (a full rebuild: {large['full_rebuild_ms']} ms)"
    )
    print(
        f"propagation to another node (PostgreSQL, NOTIFY), {spread['edits']} adds and removals: "
        f"add seen after {spread['add_seen']['p50_ms']} ms p50 / {spread['add_seen']['p99_ms']} "
        f"p99 / {spread['add_seen']['max_ms']} max; removal {spread['remove_seen']['p50_ms']} / "
        f"{spread['remove_seen']['p99_ms']} / {spread['remove_seen']['max_ms']} ms; over 1 s: "
        f"{spread['over_1s']}"
    )
    print(
        f"a lane added / removed through one node, served / refused by another after "
        f"{lanes['add_served']['p50_ms']} / {lanes['remove_served']['p50_ms']} ms p50, "
        f"{lanes['add_served']['max_ms']} / {lanes['remove_served']['max_ms']} ms max "
        f"({lanes['edits']} of each); over 1 s: {lanes['over_1s']}"
    )


if __name__ == "__main__":
    main()
