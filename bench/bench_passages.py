"""Work per frame on lane video: a frame of a passage beside a still photo, with and without the
search around tracked plates.

    .venv/bin/python bench/bench_passages.py [--set openalpr_eu_dev] [--vehicles 10] [--json]

Simulates a lane sequence from the set's real photos (``lanescreen eval simulate``), then streams
it at 12 frames/s through the server's screener (``lanescreen eval passages``) once as configured
(``vision.track_detector = "y5fu_320"``) and once searching every frame whole
(``track_detector = ""``), and prints ms per frame showing a vehicle beside ms per still photo
(the same frames, screened alone, in the same run), the share of frames searched near tracks and
of reads carried, and the passage figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace
from pathlib import Path

from benchutil import SHARED, model_dir
from lanescreen.config import load_config
from lanescreen.evaluation.passages import evaluate_passages
from lanescreen.evaluation.plate_sets import load_scenes
from lanescreen.evaluation.sequences import load_labels, read_frames, simulate
from lanescreen.vision.pipeline import build_pipeline, ensure_models

COLUMNS = ("ms_per_vehicle_frame", "ms_per_still", "frames_searched_near_tracks",
           "reads_carried", "alerts_per_vehicle", "passage_exact_read_rate")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="openalpr_eu_dev", help="labelled scenes in ../shared")
    parser.add_argument("--vehicles", type=int, default=10)
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    config = load_config()
    models = model_dir(args.model_dir, lambda: config.model_dir)
    config = replace(config, vision=replace(config.vision, model_dir=models, auto_fetch=False))
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp)
        labels = simulate(load_scenes(SHARED / "eval" / "plates" / args.set), clip,
                          vehicles=args.vehicles, seed=1)  # fmt: skip
        frames = list(read_frames(clip))
        assert load_labels(clip / "labels.csv") == labels
        for name, track_detector in (("near tracks", "y5fu_320"), ("whole frames", "")):
            vision = replace(config.vision, track_detector=track_detector)
            ensure_models(vision, models)
            pipeline = build_pipeline(vision, models)
            results[name] = evaluate_passages(
                frames, labels, replace(config, vision=vision), pipeline, fps=12.0,
                review_when_no_plate=False)  # fmt: skip
    if args.json:
        print(json.dumps(results))
        return
    print(f"{args.set}, {args.vehicles} vehicles, {len(frames)} frames at 12 fps")
    print("search".ljust(14) + "".join(c.rjust(30) for c in COLUMNS))
    for name, result in results.items():
        print(name.ljust(14) + "".join(str(result[c]).rjust(30) for c in COLUMNS))


if __name__ == "__main__":
    main()
