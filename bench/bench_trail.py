"""How many audit-trail records a site writes a second: one chain for all, or one per node.

    .venv/bin/python bench/bench_trail.py [--nodes 3] [--writers 12] [--seconds 10] [--json]

A PostgreSQL server started here from the Debian binaries; ``--writers`` threads spread over
``--nodes`` database handles (each node's own connection pool), each writing one record per
transaction, as the journal shippers and the officers' calls do, for ``--seconds``. First every
writer appends to one chain (how every record was written before chains), then each node to its
own. Prints records a second and the per-write latency p50/p99, and checks the trail verifies.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any

import numpy as np
from benchutil import ROOT
from lanescreen.store.db import Database
from lanescreen.store.trail import TrailEvent

sys.path.insert(0, str(ROOT))
from tests.store_fixtures import new_cluster


def _run(url: str, chains: list[str], writers: int, seconds: float) -> dict[str, Any]:
    key = b"k" * 32
    nodes = [Database.open(url, trail_key=key, chain=chain) for chain in chains]
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def write(db: Database, n: int) -> None:
        mine = []
        event = TrailEvent("decision.hit", f"lane:bench-{n}", "decision:x", {"n": n})
        while time.perf_counter() < stop:
            started = time.perf_counter()
            with db.write() as session:
                db.trail.append(session, [event])
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [
        threading.Thread(target=write, args=(nodes[n % len(nodes)], n)) for n in range(writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with nodes[0].read() as session:
        check = nodes[0].trail.verify(session)
    for db in nodes:
        db.close()
    ms = np.asarray(latencies) * 1000
    return {
        "chains": len(set(chains)),
        "writes_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "verifies": check.ok,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--writers", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cluster = new_cluster(durable=True)
    server = cluster.start()
    try:
        results = {}
        for label, chains in (
            ("one chain", ["site"] * args.nodes),
            ("a chain per node", [f"node-{n}" for n in range(args.nodes)]),
        ):
            schema = server.create_schema()
            results[label] = _run(server.url(schema), chains, args.writers, args.seconds)
    finally:
        cluster.stop()
    if args.json:
        print(json.dumps(results))
        return
    for label, r in results.items():
        print(
            f"{args.writers} writers on {args.nodes} nodes, {label}: {r['writes_per_s']} records/s, "
            f"write p50 {r['p50_ms']} ms / p99 {r['p99_ms']} ms; verifies: {r['verifies']}"
        )


if __name__ == "__main__":
    main()
