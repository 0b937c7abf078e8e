"""Per-stage plate pipeline timings (decode, detect, rectify, read) on real photos, one core.

    .venv/bin/python bench/bench_plates.py [--limit N] [--dataset DIR] [--model-dir DIR] [--json]

Every frame goes through the service's path (JPEG bytes -> decode_frame -> detector -> crops ->
reader), timed per stage, for each detector x reader; ONNX sessions use one intra-op thread and
the process is pinned to one CPU (where the OS allows), so figures are per-core costs. Models come
from ../shared/models when present (checked against their pinned checksums), else from the
configured model directory, fetched per the configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from benchutil import SHARED, model_dir, percentiles, pin_one_core
from lanescreen.config import load_config
from lanescreen.evaluation.plate_sets import load_scenes
from lanescreen.evaluation.plates import STAGES, RunMetrics, evaluate_scenes
from lanescreen.vision.pipeline import DETECTOR_NAMES, build_detector
from lanescreen.vision.readers import READER_NAMES, build_reader
from lanescreen.vision.types import PlateDetector, PlateReader
from lanescreen.vision.weights import DETECTOR_MODELS, READER_MODELS, ModelError, fetch


def _summary(run: RunMetrics) -> dict[str, Any]:
    stages = {stage: percentiles(run.stage_ms[stage]) for stage in STAGES}
    stages["total"] = percentiles(run.frame_ms)
    metrics = run.to_dict()
    return {
        "detector": run.detector,
        "reader": run.reader,
        "frames": run.images,
        "detection_recall": metrics["detection_recall"],
        "exact_read_rate": metrics["exact_read_rate"],
        "ms": stages,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--dataset", type=Path, default=SHARED / "eval" / "plates" / "openalpr_us")
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N photos")
    parser.add_argument("--detector", action="append", choices=DETECTOR_NAMES)
    parser.add_argument("--reader", action="append", choices=READER_NAMES)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    detector_names = args.detector or list(DETECTOR_NAMES)
    reader_names = args.reader or list(READER_NAMES)
    pinning = pin_one_core()
    if not args.dataset.is_dir():
        print(f"bench: dataset {args.dataset} not found", file=sys.stderr)
        return 1
    scenes = load_scenes(args.dataset)[: args.limit]
    wanted = [m for n in detector_names for m in DETECTOR_MODELS[n]]
    wanted.append(READER_MODELS["fast_plate_ocr"])

    def fetch_plate_models() -> Path:
        config = load_config()
        fetch(wanted, config.model_dir, mirror=config.vision.model_mirror)
        return config.model_dir

    models = model_dir(args.model_dir, fetch_plate_models)

    detectors: list[PlateDetector] = [build_detector(n, models, 1) for n in detector_names]
    readers: list[PlateReader] = []
    for name in reader_names:
        try:
            readers.append(build_reader(name, models, 1))
        except ModelError as exc:
            print(f"bench: skipped reader {name}: {exc}", file=sys.stderr)
    if not readers:
        print("bench: no reader could be loaded", file=sys.stderr)
        return 1
    evaluate_scenes(scenes[:2], detectors, readers, min_score=0.45, max_plates=4, progress=False)
    runs = evaluate_scenes(scenes, detectors, readers, min_score=0.45, max_plates=4)
    results = [_summary(run) for run in runs]

    if args.json:
        print(json.dumps({"dataset": str(args.dataset), "cpu": pinning, "runs": results}))
        return 0
    print(f"{args.dataset.name}: {len(scenes)} frames, onnx threads 1, {pinning}")
    print(f"{'detector':<9} {'reader':<15} {'stage':<8} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for result in results:
        for stage, stats in result["ms"].items():
            print(
                f"{result['detector']:<9} {result['reader']:<15} {stage:<8} "
                f"{stats['p50']:>8.2f} {stats['p95']:>8.2f} {stats['mean']:>8.2f}"
            )
        print(
            f"{'':<25} recall {result['detection_recall']:.3f}, "
            f"exact read {result['exact_read_rate']:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
