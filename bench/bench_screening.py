"""End-to-end screening latency through the real gRPC server: is the lane budget held?

    .venv/bin/python bench/bench_screening.py [--frames N] [--lanes K] [--budget-ms B] [--json]

Starts the service on a loopback port (SQLite in a temp dir, models from ../shared/models or the
configured model directory), adds one plate of the set to a deny list so HITs (with evidence and
logging) are part of the mix, then streams real photos from K lanes at once over ``Screen``.
Prints per-stage p50/p95 from the decisions, the server-side total, the client round trip, the
share of decisions inside the budget and the outcome counts.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from benchutil import SHARED, percentiles
from lanescreen.api.server import LanescreenServer
from lanescreen.config import (
    Config,
    LaneConfig,
    ServerConfig,
    StorageConfig,
    VisionConfig,
    load_config,
)
from lanescreen.evaluation.plate_sets import load_scenes
from lanescreen.v1 import (
    common_pb2,
    screening_pb2,
    screening_pb2_grpc,
    watchlist_pb2,
    watchlist_pb2_grpc,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=SHARED / "eval" / "plates" / "openalpr_us")
    parser.add_argument("--frames", type=int, default=100, help="frames per lane")
    parser.add_argument("--lanes", type=int, default=2, help="lanes streaming at once")
    parser.add_argument("--budget-ms", type=int, default=250)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    scenes = load_scenes(args.dataset)
    images = [(s.image.name, s.image.read_bytes()) for s in scenes]
    base = load_config()
    shared_models = SHARED / "models"
    with tempfile.TemporaryDirectory() as data:
        config = Config(
            server=ServerConfig(listen="127.0.0.1:0", insecure_dev=True),
            storage=StorageConfig(data_dir=Path(data)),
            vision=VisionConfig(
                model_dir=shared_models if shared_models.is_dir() else base.model_dir,
                model_mirror=base.vision.model_mirror,
                auto_fetch=not shared_models.is_dir(),
            ),
            lanes=[
                LaneConfig(id=f"lane-{i + 1}", budget_ms=args.budget_ms) for i in range(args.lanes)
            ],
        )
        server = LanescreenServer(config)
        port = server.start()
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        lists = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        lists.CreateWatchlist(
            watchlist_pb2.CreateWatchlistRequest(name="bench", kind=common_pb2.LIST_KIND_DENY)
        )
        for scene in scenes[::10]:
            entry = watchlist_pb2.PlateEntry(
                plate=scene.plates[0].text, category="bench", action="alert"
            )
            lists.AddPlateEntry(watchlist_pb2.AddPlateEntryRequest(watchlist="bench", entry=entry))
        stub = screening_pb2_grpc.ScreeningServiceStub(channel)

        stages: dict[str, list[float]] = {}
        totals: list[float] = []
        round_trips: list[float] = []
        outcomes: Counter[str] = Counter()
        met = 0
        lock = threading.Lock()

        def run_lane(lane_id: str, offset: int) -> None:
            nonlocal met
            sent: dict[str, float] = {}
            answered = threading.Semaphore(1)

            def frames() -> Iterator[screening_pb2.Frame]:
                # Closed loop, like a terminal that sends the next vehicle's frame once the last
                # one is answered: the round trip then measures the service, not a client backlog.
                for i in range(args.frames):
                    answered.acquire()
                    name, data = images[(offset + i) % len(images)]
                    frame_id = f"{lane_id}-{i}-{name}"
                    sent[frame_id] = time.perf_counter()
                    yield screening_pb2.Frame(lane_id=lane_id, frame_id=frame_id, image=data)

            for reply in stub.Screen(frames()):
                answered.release()
                rtt = (time.perf_counter() - sent[reply.frame_id]) * 1000
                d = reply.decision
                with lock:
                    round_trips.append(rtt)
                    totals.append(d.total_ms)
                    met += d.budget_met
                    outcomes[common_pb2.Outcome.Name(d.outcome).removeprefix("OUTCOME_")] += 1
                    for reason in d.reasons:
                        if reason.code == "budget_exceeded":
                            outcomes[f"budget_exceeded@{reason.stage}"] += 1
                    for t in d.timings:
                        stages.setdefault(t.stage, []).append(t.ms)

        started = time.perf_counter()
        threads = [
            threading.Thread(target=run_lane, args=(f"lane-{i + 1}", i * 37))
            for i in range(args.lanes)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        channel.close()
        server.stop(grace=1)

    count = len(totals)
    result: dict[str, Any] = {
        "dataset": args.dataset.name,
        "lanes": args.lanes,
        "frames": count,
        "budget_ms": args.budget_ms,
        "detector": config.vision.detector,
        "reader": config.vision.reader,
        "frames_per_s": round(count / elapsed, 1),
        "budget_met_rate": round(met / count, 4) if count else 0.0,
        "server_total_ms": percentiles(totals),
        "round_trip_ms": percentiles(round_trips),
        "stage_ms": {stage: percentiles(values) for stage, values in stages.items()},
        "outcomes": dict(outcomes),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{count} frames from {args.lanes} lane(s) of {args.dataset.name}, "
        f"{config.vision.detector} + {config.vision.reader}, budget {args.budget_ms} ms"
    )
    print(
        f"throughput {result['frames_per_s']} frames/s; within budget {result['budget_met_rate']:.1%}"
    )
    print(f"{'stage':<12}{'p50':>8}{'p95':>8}{'max':>8}  (ms)")
    for stage, p in [
        *result["stage_ms"].items(),
        ("server", result["server_total_ms"]),
        ("round trip", result["round_trip_ms"]),
    ]:
        print(f"{stage:<12}{p['p50']:>8}{p['p95']:>8}{p['max']:>8}")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))


if __name__ == "__main__":
    main()
