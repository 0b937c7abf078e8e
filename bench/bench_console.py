"""How long each console page takes on a site with a large hit log.

    .venv/bin/python bench/bench_console.py [--hits 100000] [--repeat 20] [--json]

A real site (tests/console_site.py: a server over mutual TLS, ``lanescreen console`` as a
process, people with their own tokens) whose hit log is filled with ``--hits`` alerts: real
ones screened from a photo, copied with their evidence across four lanes, three lists and
ninety days, a fifth of them REVIEWs and two thirds disposed of, and as many audit trail
records. Each page is then fetched
``--repeat`` times as the person who uses it, and the time from request to the last byte is
reported (p50, p95, max): the console's own time plus its gRPC calls and the database's, on
loopback. Target (issue 24): each page at most 200 ms.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from benchutil import ROOT, SHARED, percentiles
from lanescreen.store.models import DecisionMatchRow, DecisionRow, DispositionRow, TrailRow
from lanescreen.v1 import common_pb2, watchlist_pb2, watchlist_pb2_grpc
from sqlalchemy import insert, select
from tqdm import tqdm

sys.path.insert(0, str(ROOT))
from tests.console_site import Site, console_site

PHOTO = SHARED / "eval" / "plates" / "openalpr_eu_dev" / "eu7.jpg"
LANES = ("lane-1", "lane-2", "lane-3", "lane-4")
BATCH = 5000


def listed(site: Site) -> list[str]:
    """Three deny lists, one holding the photo's plate; their ids."""
    ids = []
    with site.channel("consoles/desk-1") as channel:
        stub = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        for name in ("stolen", "wanted", "expired-permits"):
            wl = stub.CreateWatchlist(
                watchlist_pb2.CreateWatchlistRequest(name=name, kind=common_pb2.LIST_KIND_DENY),
                metadata=site.as_person("jones"),
            )
            ids.append(wl.id)
        stub.AddPlateEntry(
            watchlist_pb2.AddPlateEntryRequest(
                watchlist="stolen",
                entry=watchlist_pb2.PlateEntry(
                    plate="VW4X4WP", reason="reported stolen", action="stop", priority=50
                ),
            ),
            metadata=site.as_person("jones"),
        )
    return ids


def fill(site: Site, hits: int, lists: list[str]) -> str:
    """``hits`` copies of one real alert in the hit log; the id of the newest."""
    decision = site.screen(PHOTO.read_bytes(), "seed")
    assert decision.alert_id, "the seed photo must HIT"
    db = site.server.database
    site.server.sink.caught_up()
    with db.read() as session:
        seed = session.scalars(
            select(DecisionRow).where(DecisionRow.decision_id == decision.alert_id)
        ).one()
        template = {c.key: getattr(seed, c.key) for c in DecisionRow.__table__.columns}
    now = datetime.now(UTC)
    newest = ""
    with tqdm(total=hits, desc="filling the hit log", unit="hit", file=sys.stderr) as bar:
        for start in range(0, hits, BATCH):
            rows, matches, dispositions = [], [], []
            for n in range(start, min(start + BATCH, hits)):
                decision_id = str(uuid.uuid4())
                at = now - timedelta(seconds=(hits - n) * 90 * 86400 / hits)
                outcome = "REVIEW" if n % 5 == 4 else "HIT"
                record = dict(template["record"], decision_id=decision_id, lane_id=LANES[n % 4])
                record["outcome"] = outcome
                rows.append(
                    {
                        **template,
                        "decision_id": decision_id,
                        "lane_id": LANES[n % 4],
                        "frame_id": f"f{n}",
                        "passage_id": f"p{n}",
                        "outcome": outcome,
                        "captured_at": at,
                        "decided_at": at,
                        "last_frame_at": at,
                        "closed_at": at,
                        "record": record,
                    }
                )
                if outcome == "HIT":
                    matches.append(
                        {
                            "decision_id": decision_id,
                            "watchlist_id": lists[n % 3],
                            "entry_id": "seeded",
                        }
                    )
                if n % 3 != 0 and n < hits - 200:  # the newest wait for an officer
                    dispositions.append(
                        {
                            "decision_id": decision_id,
                            "verdict": "confirmed" if n % 3 == 1 else "dismissed",
                            "code": "vehicle_stopped" if n % 3 == 1 else "misread",
                            "note": "",
                            "actor": "jones",
                            "at": at + timedelta(minutes=5),
                        }
                    )
                newest = decision_id
            trail = [
                {
                    "chain": "bench-fill",
                    "seq": n + 1,
                    "at": row["decided_at"],
                    "actor": ("jones", "lee", "audrey", "node:a")[n % 4],
                    "action": ("watchlist.add", "audit.search", "hit", "audit.evidence")[n % 4],
                    "target": row["decision_id"],
                    "detail": {"bench": True},
                    "prev_hash": "",
                    "hash": "",
                }
                for n, row in zip(range(start, start + len(rows)), rows, strict=True)
            ]
            with db.write() as session:
                session.execute(insert(TrailRow), trail)  # as many trail records as alerts
                session.execute(insert(DecisionRow), rows)
                if matches:
                    session.execute(insert(DecisionMatchRow), matches)
                if dispositions:
                    session.execute(insert(DispositionRow), dispositions)
            bar.update(len(rows))
    return newest


def signed_in(site: Site, name: str) -> httpx.Client:
    client = httpx.Client(base_url=site.console.url, timeout=30)
    page = client.get("/signin")
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post("/signin", data={"token": site.tokens[name], "csrftoken": token.group(1)})
    assert answer.status_code in (200, 303), answer.text
    return client


def time_pages(site: Site, newest: str, lists: list[str], repeat: int) -> dict[str, Any]:
    pages = {
        "queue (pending)": ("jones", "/queue"),
        "queue, one lane": ("jones", "/queue?lane=lane-3"),
        "queue, one list": ("jones", "/queue?list=wanted"),
        "queue, confirmed": ("jones", "/queue?disposition=confirmed"),
        "queue, page 2": ("jones", "/queue?disposition="),
        "alert view": ("jones", f"/hits/{newest}"),
        "watchlists": ("jones", "/watchlists"),
        "watchlist": ("jones", f"/watchlists/{lists[0]}"),
        "approvals": ("lee", "/approvals"),
        "audit (30 days)": ("audrey", "/audit"),
        "audit, all time": ("audrey", "/audit?days="),
        "audit, one person's trail": ("audrey", "/audit?actor=lee&action=audit."),
    }
    clients = {name: signed_in(site, name) for name in ("jones", "lee", "audrey")}
    results: dict[str, Any] = {}
    for label, (who, path) in pages.items():
        client = clients[who]
        if label == "queue, page 2":
            first = client.get(path).text
            older = re.search(r'href="(/queue\?[^"]*page=[^"]+)"', first)
            assert older is not None, "the queue must have a second page"
            path = older.group(1).replace("&amp;", "&")
        client.get(path)  # warm: connections, templates
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            answer = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200, (label, answer.status_code, answer.text[:300])
        results[label] = percentiles(times, 1)
    for client in clients.values():
        client.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hits", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--model-dir", type=Path, default=SHARED / "models")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, console_site(Path(tmp), args.model_dir) as site:
        lists = listed(site)
        newest = fill(site, args.hits, lists)
        results = time_pages(site, newest, lists, args.repeat)
    report = {"hits": args.hits, "repeat": args.repeat, "pages_ms": results}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"console pages on a site with {args.hits:,} stored alerts (ms, request to last byte)")
    print(f"{'page':<26} {'p50':>8} {'p95':>8} {'max':>8}")
    for label, figures in results.items():
        print(f"{label:<26} {figures['p50']:>8.1f} {figures['p95']:>8.1f} {figures['max']:>8.1f}")
    worst = max(f["p95"] for f in results.values())
    print(f"worst p95 {worst:.1f} ms (target: 200 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
