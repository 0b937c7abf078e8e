"""``lanescreen eval passages|simulate``: what the service makes of lane video, vehicle by vehicle."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from lanescreen.config import Config
from lanescreen.evaluation.passages import evaluate_passages
from lanescreen.evaluation.plate_sets import DatasetError, load_scenes
from lanescreen.evaluation.sequences import load_labels, read_frames, simulate, video_fps
from lanescreen.vision.pipeline import build_pipeline, ensure_models
from lanescreen.vision.weights import ModelError

from .common import add_json_flag, fail, print_json


def register(sets: Any) -> None:
    passages = sets.add_parser(
        "passages",
        help="vehicles, passages, alerts and reads per frame vs per passage on lane video",
        description="SOURCE is a video file or a folder of frames (in name order); --labels a CSV "
        "of plate,first_frame,last_frame per vehicle. The frames are streamed through the "
        "server's screener at the clip's frame rate with every labelled plate on a deny list: "
        "each vehicle should be one passage and one alert. Rates are fractions 0-1; times "
        "server milliseconds.",
    )
    passages.add_argument("source", type=Path, metavar="SOURCE", help="a video file or a folder")
    passages.add_argument(
        "--labels", type=Path, default=None, help="the vehicles (default SOURCE/labels.csv)"
    )
    passages.add_argument(
        "--fps", type=float, default=12.0, help="frames a second (default 12; a video's own)"
    )
    passages.add_argument("--budget-ms", type=int, default=250, help="the lane's budget (250)")
    passages.add_argument("--region", default="", help="the lane's plate region (us, eu, cn...)")
    passages.add_argument(
        "--no-plate-clear",
        action="store_true",
        help="the lane's review_when_no_plate = false, as for a camera streaming an empty road "
        "between vehicles (default: true, every stretch of road without a plate is a REVIEW)",
    )
    add_json_flag(passages)
    passages.set_defaults(handler=run_passages)
    simulated = sets.add_parser(
        "simulate",
        help="make a labelled lane sequence from real labelled photos (docs/accuracy.md)",
        description="Vehicles from the photos of DIR (an openalpr-style scene set) approach the "
        "camera by perspective and scale, with motion blur and noise, leave through the bottom "
        "edge, some side by side; written to OUT as frame_NNNNN.jpg and labels.csv.",
    )
    simulated.add_argument("out", type=Path, metavar="OUT", help="folder to write the frames to")
    simulated.add_argument("--from", dest="scenes", type=Path, required=True, metavar="DIR",
                           help="labelled scenes (NAME.jpg + NAME.txt)")  # fmt: skip
    simulated.add_argument("--vehicles", type=int, default=5, help="vehicles (default 5)")
    simulated.add_argument(
        "--frames-per-vehicle", type=int, default=30, help="frames of each approach (default 30)"
    )
    simulated.add_argument("--seed", type=int, default=0, help="which photos, and their noise")
    simulated.set_defaults(handler=run_simulate)


def run_simulate(args: argparse.Namespace, config: Config) -> int:
    if args.vehicles < 1 or args.frames_per_vehicle < 4:
        return fail("--vehicles must be at least 1 and --frames-per-vehicle at least 4", 2)
    try:
        labels = simulate(
            load_scenes(args.scenes),
            args.out,
            vehicles=args.vehicles,
            frames_per_vehicle=args.frames_per_vehicle,
            seed=args.seed,
        )
    except (DatasetError, OSError) as exc:
        return fail(f"cannot simulate: {exc}")
    frames = len(list(args.out.glob("frame_*.jpg")))
    print(f"wrote {frames} frames of {len(labels)} vehicles to {args.out} (labels.csv beside them)")
    return 0


def run_passages(args: argparse.Namespace, config: Config) -> int:
    if args.budget_ms <= 0 or args.fps <= 0:
        return fail("--budget-ms and --fps must be positive", 2)
    try:
        labels = load_labels(args.labels or args.source / "labels.csv")
        frames = list(read_frames(args.source))
    except (DatasetError, OSError) as exc:
        return fail(f"cannot load the sequence: {exc}")
    try:
        ensure_models(config.vision, config.model_dir, progress=True)
        pipeline = build_pipeline(config.vision, config.model_dir)
    except ModelError as exc:
        return fail(str(exc))
    fps = video_fps(args.source, args.fps)
    with tqdm(total=len(frames), desc="streaming", unit="frame", file=sys.stderr) as bar:
        result = evaluate_passages(
            frames,
            labels,
            config,
            pipeline,
            fps=fps,
            budget_ms=args.budget_ms,
            region=args.region.strip().lower(),
            review_when_no_plate=not args.no_plate_clear,
            progress=lambda n: bar.update(n - bar.n),
        )
    if args.json:
        print_json(result)
        return 0
    print(_describe(result, fps))
    return 0


def _describe(r: dict[str, Any], fps: float) -> str:
    return "\n".join(
        [
            f"{r['frames']} frames at {fps:g} fps, {r['vehicles']} vehicles: {r['passages']} "
            f"passages, {r['alerts']} alerts ({r['alerts_per_vehicle']} per vehicle; target 1)",
            f"exact reads: per frame {r['frame_exact_read_rate']:.3f}, per passage (consolidated) "
            f"{r['passage_exact_read_rate']:.3f}",
            f"server time: {r['ms_per_frame']} ms a frame (p95 {r['ms_per_frame_p95']}), "
            f"{r['ms_per_vehicle_frame']} ms a frame showing a vehicle, {r['ms_per_still']} ms "
            f"a still photo; {r['within_budget']:.3f} within budget",
            f"work saved: {r['frames_searched_near_tracks']:.3f} of frames searched only around "
            f"tracked plates, {r['reads_carried']:.3f} of reads carried from a settled track",
            *(f"refused: {bad}" for bad in r["bad_frames"]),
        ]
    )
