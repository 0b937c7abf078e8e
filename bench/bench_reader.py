"""Milliseconds to read one plate crop with lanescreen's own model through EasyOCR, one core.

    .venv/bin/python bench/bench_reader.py [--dataset DIR] [--limit N] [--repeat R] [--json]

Crops are a crop set's crops (``ground_truth.csv``, e.g. ``lanescreen train cn-half b --out DIR``)
or the ground-truth crops of an openalpr-style set (the labelled box cut as the pipeline cuts it:
64 px tall, margin 0.2 x height), read one per ``reader.read([crop])`` call, as the
server reads them. torch uses one thread and the process is pinned to one CPU where the OS
allows. Prints p50/p95/mean per crop after one warm-up pass.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchutil import SHARED, percentiles, pin_one_core
from lanescreen.training.real_sets import real_crops
from lanescreen.vision.readers.lanescreen_reader import build_lanescreen_reader

DEFAULT_SET = SHARED / "eval" / "plates" / "openalpr_eu_dev"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_SET)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pinned = pin_one_core()
    reader = build_lanescreen_reader(threads=1)
    crops = [c.image for c in real_crops(args.dataset)][: args.limit]
    for crop in crops:  # warm-up: first calls allocate
        reader.read([crop])
    times = []
    for _ in range(args.repeat):
        for crop in crops:
            start = time.perf_counter()
            reader.read([crop])
            times.append((time.perf_counter() - start) * 1000)
    result = {
        "reader": reader.name,
        "dataset": str(args.dataset),
        "crops": len(crops),
        "reads": len(times),
        "cpu": pinned,
        **{f"ms_per_crop_{k}": v for k, v in percentiles(times).items()},
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{result['reader']} on {result['crops']} crops x {args.repeat} ({pinned}): "
            f"p50 {result['ms_per_crop_p50']} ms, p95 {result['ms_per_crop_p95']} ms, "
            f"mean {result['ms_per_crop_mean']} ms per crop"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
