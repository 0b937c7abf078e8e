"""Do lanes get their answers in time whatever the database and the other lanes are doing?

    .venv/bin/python bench/bench_stalls.py [--scenario NAME ...] [--rows 100000] [--lanes 4]
                                           [--fps 5] [--freeze-s 20] [--json]

Starts ``lanescreen serve`` in its own process, as a node runs (insecure dev, on loopback; SQLite
in a temp dir, or a PostgreSQL server started here from the Debian binaries), lists one plate so
HITs (with evidence and logging) are in the mix, and streams real photos from ``--lanes`` lanes at
``--fps`` each, from this process, while something else happens:

- ``sqlite-import`` / ``pg-import``: ``lanescreen watchlist import`` of ``--rows`` rows, in
  another process, into the database the server uses;
- ``pg-freeze``: every PostgreSQL process stopped (SIGSTOP) for ``--freeze-s`` seconds, then
  resumed, as a hung database host would be;
- ``quiet``: nothing else (the control: what the lanes get from this machine's CPUs alone,
  ``--bomb-s`` seconds);
- ``bombs``: two more lanes sending, as fast as they are answered, frames over the byte limit and
  PNG decompression bombs (one over the decode limit, one just under it).

For each it prints the answers later than budget + 20 ms (target 0), the round-trip p50, p99 and
max, and the HITs acknowledged against those in the database once the node's journal has shipped
(target: equal).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import grpc
import numpy as np
from benchutil import ROOT, SHARED
from lanescreen.store.db import Database
from lanescreen.store.models import DecisionRow
from lanescreen.v1 import (
    common_pb2,
    screening_pb2,
    screening_pb2_grpc,
    watchlist_pb2,
    watchlist_pb2_grpc,
)
from sqlalchemy import select

sys.path.insert(0, str(ROOT))
from tests.store_fixtures import new_cluster
from tests.support import plate_labels

PHOTOS = SHARED / "eval" / "plates" / "openalpr_eu_dev"
LISTED_PHOTO = "eu7.jpg"  # read exactly and confidently (tests/test_server_e2e.py)
BUDGET_MS = 250
LATE_SLACK_MS = 20
SCENARIOS = ("quiet", "sqlite-import", "pg-import", "pg-freeze", "bombs")


@dataclass
class LaneLog:
    round_trips_ms: list[float] = field(default_factory=list)
    late: int = 0
    late_in_server: int = 0
    """Of the late answers, those the server itself sent late (its total_ms): the rest lost
    their time outside it (the transport, or this client starved of CPU on a shared box)."""
    hits: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    reviews: dict[str, int] = field(default_factory=dict)
    """REVIEWs by their first reason's code."""
    errors: dict[str, int] = field(default_factory=dict)


def _frames(lane: str, images: list[tuple[str, bytes]], stop: threading.Event) -> Iterator[Any]:
    n = 0
    while not stop.is_set():
        name, image = images[n % len(images)]
        n += 1
        yield screening_pb2.Frame(
            lane_id=lane,
            camera=common_pb2.CAMERA_ROLE_PLATE,
            frame_id=f"{lane}-{n}-{name}",
            image=image,
        )


def _stream(
    target: str,
    lane: str,
    images: list[tuple[str, bytes]],
    fps: float,
    stop: threading.Event,
    log: LaneLog,
) -> None:
    """One lane terminal: a frame, its answer, the next at ``fps`` (or at once if 0)."""
    with grpc.insecure_channel(
        target, options=[("grpc.max_send_message_length", 64 << 20)]
    ) as channel:
        stub = screening_pb2_grpc.ScreeningServiceStub(channel)
        sent: dict[str, float] = {}
        go = threading.Semaphore(1)

        def paced() -> Iterator[Any]:
            for frame in _frames(lane, images, stop):
                go.acquire()
                if stop.is_set():
                    return
                sent[frame.frame_id] = time.perf_counter()
                yield frame

        next_at = time.perf_counter()
        for reply in stub.Screen(paced()):
            rtt = (time.perf_counter() - sent.pop(reply.frame_id)) * 1000
            if reply.HasField("error"):
                code = grpc.StatusCode(
                    next(s for s in grpc.StatusCode if s.value[0] == reply.error.code)
                ).name
                log.errors[code] = log.errors.get(code, 0) + 1
            else:
                log.round_trips_ms.append(rtt)
                log.late += rtt > reply.decision.budget_ms + LATE_SLACK_MS
                log.late_in_server += (
                    reply.decision.total_ms > reply.decision.budget_ms + LATE_SLACK_MS
                )
                outcome = common_pb2.Outcome.Name(reply.decision.outcome).removeprefix("OUTCOME_")
                log.outcomes[outcome] = log.outcomes.get(outcome, 0) + 1
                if outcome == "HIT":
                    log.hits.append(reply.decision.decision_id)
                elif outcome == "REVIEW":
                    code = reply.decision.reasons[0].code
                    log.reviews[code] = log.reviews.get(code, 0) + 1
            if fps > 0:
                next_at += 1 / fps
                time.sleep(max(0.0, next_at - time.perf_counter()))
            go.release()


def _write_config(data: Path, url: str, lanes: list[str], model_dir: Path, port: int) -> Path:
    """The node's configuration file, which the server and the import both read."""
    path = data / "lanescreen.toml"
    lane_tables = "".join(f'[[lanes]]\nid = "{lane}"\nbudget_ms = {BUDGET_MS}\n' for lane in lanes)
    path.write_text(
        f'[server]\nlisten = "127.0.0.1:{port}"\n'
        f'[storage]\ndata_dir = "{data}"\ndatabase_url = "{url}"\n'
        f'[vision]\nmodel_dir = "{model_dir}"\nauto_fetch = false\n'
        f"[faces]\nface_enabled = false\n{lane_tables}",
        encoding="utf-8",
    )
    return path


@contextmanager
def _serving(config_file: Path, port: int) -> Iterator[str]:
    """``lanescreen serve`` in its own process, as a node runs: the lanes here are its clients."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lanescreen.cli.main", "--config", str(config_file), "serve",
         "--insecure-dev", "--log-level", "WARNING"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    target = f"127.0.0.1:{port}"
    try:
        with grpc.insecure_channel(target) as channel:
            grpc.channel_ready_future(channel).result(timeout=120)
        yield target
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stored(url: str, wanted: set[str], timeout_s: float = 180.0) -> set[str]:
    """The acknowledged HITs found in the database once the node's journal has shipped them."""
    deadline = time.monotonic() + timeout_s
    with Database.open(url, migrate=False) as db:
        while True:
            with db.read() as session:
                found = set(
                    session.scalars(
                        select(DecisionRow.decision_id).where(DecisionRow.outcome == "HIT")
                    )
                )
            if wanted <= found or time.monotonic() > deadline:
                return wanted & found
            time.sleep(0.5)


def _list_the_plate(target: str) -> None:
    with grpc.insecure_channel(target) as channel:
        stub = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        officer = (("x-lanescreen-actor", "bench.officer"),)
        stub.CreateWatchlist(
            watchlist_pb2.CreateWatchlistRequest(name="stolen", kind=common_pb2.LIST_KIND_DENY),
            metadata=officer,
        )
        plate = plate_labels("openalpr_eu_dev")[LISTED_PHOTO]
        entry = watchlist_pb2.PlateEntry(plate=plate, category="stolen", action="stop")
        stub.AddPlateEntry(
            watchlist_pb2.AddPlateEntryRequest(watchlist="stolen", entry=entry), metadata=officer
        )


def _import_file(folder: Path, rows: int) -> Path:
    path = folder / "big.csv"
    rng = np.random.default_rng(0)
    letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["plate", "category", "action", "priority", "reason"])
        for n in range(rows):
            plate = "".join(rng.choice(letters, 3)) + f"{n:06d}"
            writer.writerow([plate, "stolen", "stop", 50, "bench import"])
    return path


def _importer(config_file: Path, csv_file: Path) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "lanescreen.cli.main", "--config", str(config_file),
             "watchlist", "import", "bulk", str(csv_file), "--create-kind", "deny", "--actor", "bench"],
            capture_output=True, text=True, cwd=ROOT, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"import failed: {done.stderr[-2000:]}")
        return time.perf_counter() - start

    return run


@contextmanager
def _database(kind: str) -> Iterator[tuple[str, Any]]:
    """(URL, cluster or None): SQLite in the data dir (URL empty), or a PostgreSQL server."""
    if kind == "sqlite":
        yield "", None
        return
    cluster = new_cluster(durable=True)
    server = cluster.start()
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/{server.database}", cluster
    finally:
        cluster.stop()


def run_scenario(name: str, args: argparse.Namespace, model_dir: Path) -> dict[str, Any]:
    images = [(p.name, p.read_bytes()) for p in sorted(PHOTOS.glob("*.jpg"))[:12]]
    images.insert(0, (LISTED_PHOTO, (PHOTOS / LISTED_PHOTO).read_bytes()))
    good = [f"lane-{n + 1}" for n in range(args.lanes)]
    bad = ["bomb-1", "bomb-2"] if name == "bombs" else []
    backend = "pg" if name.startswith("pg") else "sqlite"
    with tempfile.TemporaryDirectory() as tmp, _database(backend) as (url, cluster):
        data = Path(tmp)
        url = url or f"sqlite:///{data / 'lanescreen.db'}"
        port = _free_port()
        config_file = _write_config(data, url, good + bad, model_dir, port)
        logs = {lane: LaneLog() for lane in good + bad}
        result: dict[str, Any] = {"scenario": name}
        with _serving(config_file, port) as target:
            _list_the_plate(target)
            stop = threading.Event()
            bad_images = _bad_frames() if bad else []
            threads = [
                threading.Thread(
                    target=_stream, args=(target, lane, images, args.fps, stop, logs[lane])
                )
                for lane in good
            ] + [
                threading.Thread(
                    target=_stream, args=(target, lane, bad_images, 0, stop, logs[lane])
                )
                for lane in bad
            ]
            for thread in threads:
                thread.start()
            result.update(_disturb(name, args, data, config_file, cluster))
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            acked = [h for lane in good for h in logs[lane].hits]
            stored = _stored(url, set(acked))
    trips = [ms for lane in good for ms in logs[lane].round_trips_ms]
    result.update(
        answers=len(trips),
        late=sum(logs[lane].late for lane in good),
        late_in_server=sum(logs[lane].late_in_server for lane in good),
        rtt_p50_ms=round(float(np.percentile(trips, 50)), 1) if trips else 0.0,
        rtt_p99_ms=round(float(np.percentile(trips, 99)), 1) if trips else 0.0,
        rtt_max_ms=round(max(trips), 1) if trips else 0.0,
        hits_acknowledged=len(acked),
        hits_stored=len(stored),
        outcomes=_sum(logs[lane].outcomes for lane in good),
        reviews=_sum(logs[lane].reviews for lane in good),
        good_lane_errors=_sum(logs[lane].errors for lane in good),
        bad_lane_errors=_sum(logs[lane].errors for lane in bad),
    )
    return result


def _sum(counts: Iterator[dict[str, int]] | Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for one in counts:
        for key, n in one.items():
            total[key] = total.get(key, 0) + n
    return total


def _bad_frames() -> list[tuple[str, bytes]]:
    over_bytes = b"\xff\xd8\xff" + bytes(20 * 1024 * 1024)  # over max_frame_bytes (16 MB)
    bomb = cv2.imencode(".png", np.zeros((6300, 6300, 3), np.uint8))[1].tobytes()  # 39.7 MP
    under = cv2.imencode(".png", np.zeros((4400, 4400, 3), np.uint8))[1].tobytes()  # 19.4 MP
    return [("oversized", over_bytes), ("bomb", bomb), ("bomb-under-limit", under)]


def _disturb(
    name: str, args: argparse.Namespace, data: Path, config_file: Path, cluster: Any
) -> dict[str, Any]:
    """Do what the scenario does to the database or the server while the lanes stream."""
    time.sleep(2.0)
    if name.endswith("import"):
        seconds = _importer(config_file, _import_file(data, args.rows))()
        time.sleep(1.0)
        return {"disturbance": f"import of {args.rows} rows", "disturbance_s": round(seconds, 1)}
    if name == "pg-freeze":
        cluster.freeze()
        try:
            time.sleep(args.freeze_s)
        finally:
            cluster.thaw()
        time.sleep(3.0)
        return {"disturbance": "PostgreSQL SIGSTOP", "disturbance_s": args.freeze_s}
    time.sleep(args.bomb_s)
    if name == "quiet":
        return {"disturbance": "nothing (the control)", "disturbance_s": args.bomb_s}
    return {
        "disturbance": "2 lanes of oversized frames and PNG bombs",
        "disturbance_s": args.bomb_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="default: all")
    parser.add_argument("--rows", type=int, default=100_000, help="rows imported (default 100000)")
    parser.add_argument("--lanes", type=int, default=4, help="lanes streaming (default 4)")
    parser.add_argument("--fps", type=float, default=5.0, help="frames a second a lane (default 5)")
    parser.add_argument("--freeze-s", type=float, default=20.0, help="PostgreSQL stopped this long")
    parser.add_argument("--bomb-s", type=float, default=15.0, help="bomb lanes stream this long")
    parser.add_argument("--json", action="store_true", help="one JSON object per scenario")
    args = parser.parse_args()
    model_dir = SHARED / "models"
    os.environ.pop("LANESCREEN_DATABASE_URL", None)
    for name in args.scenario or SCENARIOS:
        result = run_scenario(name, args, model_dir)
        if args.json:
            print(json.dumps(result), flush=True)
            continue
        print(
            f"{name:14} {result['disturbance']} ({result['disturbance_s']} s): "
            f"{result['answers']} answers, late (> budget + {LATE_SLACK_MS} ms) {result['late']} "
            f"(sent late by the server {result['late_in_server']}), "
            f"round trip p50 {result['rtt_p50_ms']} / p99 {result['rtt_p99_ms']} / max "
            f"{result['rtt_max_ms']} ms, HITs acknowledged {result['hits_acknowledged']} / stored "
            f"{result['hits_stored']}; outcomes {result['outcomes']}, REVIEWs by reason "
            f"{result['reviews']}; refused on good lanes "
            f"{result['good_lane_errors']}, on bad lanes {result['bad_lane_errors']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
