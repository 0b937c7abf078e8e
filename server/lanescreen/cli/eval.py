"""``lanescreen eval plates DIR``: measured detection and read rates, and speed, on photos."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lanescreen.config import Config
from lanescreen.evaluation.plate_sets import DatasetError, dataset_kind, load_crops, load_scenes
from lanescreen.evaluation.plates import RunMetrics, evaluate_crops, evaluate_scenes
from lanescreen.vision.pipeline import DETECTOR_NAMES, build_detector
from lanescreen.vision.readers import READER_NAMES, build_reader
from lanescreen.vision.types import PlateDetector, PlateReader
from lanescreen.vision.weights import DETECTOR_MODELS, READER_MODELS, ModelError, fetch, require

from .common import add_json_flag, fail, print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("eval", help="measure accuracy and speed on labelled data")
    sets = parser.add_subparsers(dest="eval_set", metavar="SET", required=True)
    plates = sets.add_parser(
        "plates",
        help="plate detection and read rates",
        description="DIR is an openalpr-style scene set (NAME.jpg + NAME.txt labels) or a crop set "
        "(ground_truth.csv). Rates are fractions 0-1; times are CPU milliseconds.",
    )
    plates.add_argument("directory", type=Path, metavar="DIR")
    plates.add_argument(
        "--detector",
        action="append",
        choices=DETECTOR_NAMES,
        help="detector to measure; repeat for several (default: the configured one)",
    )
    plates.add_argument(
        "--reader",
        action="append",
        choices=READER_NAMES,
        help="reader to measure; repeat for several (default: the configured one)",
    )
    plates.add_argument("--limit", type=int, default=None, help="use only the first N images")
    add_json_flag(plates)
    plates.set_defaults(handler=run_plates)


def _model_path(config: Config, name: str) -> Path:
    """The model's verified path, fetched first when the configuration allows it."""
    if config.vision.auto_fetch:
        return fetch([name], config.model_dir, mirror=config.vision.model_mirror)[0]
    return require(config.model_dir, name)


def _load_detectors(
    names: list[str], config: Config, skipped: list[dict[str, str]]
) -> list[PlateDetector]:
    loaded = []
    for name in names:
        try:
            _model_path(config, DETECTOR_MODELS[name])
            loaded.append(build_detector(name, config.model_dir, config.vision.onnx_threads))
        except ModelError as exc:
            skipped.append({"detector": name, "reason": str(exc)})
    return loaded


def _load_readers(
    names: list[str], config: Config, skipped: list[dict[str, str]]
) -> list[PlateReader]:
    loaded = []
    for name in names:
        try:
            _model_path(config, READER_MODELS[name])
            loaded.append(build_reader(name, config.model_dir, config.vision.onnx_threads))
        except ModelError as exc:
            skipped.append({"reader": name, "reason": str(exc)})
    return loaded


def _describe(run: dict[str, Any]) -> str:
    label = " + ".join(n for n in (run["detector"], run["reader"]) if n)
    parts = []
    if "detection_recall" in run:
        parts.append(f"detection recall {run['detection_recall']:.3f}")
    parts.append(f"exact read {run['exact_read_rate']:.3f}")
    if run["kind"] == "scenes":
        parts.append(f"ground-truth crop read {run['crop_read_rate']:.3f}")
    else:
        parts.append(f"read ignoring non-Latin {run['latin_read_rate']:.3f}")
    stages = ", ".join(f"{k} {v:.1f}" for k, v in run["ms_per_stage"].items())
    parts.append(
        f"{run['ms_per_frame']:.1f} ms/frame ({stages}; p95 {run['ms_per_frame_p95']:.1f})"
    )
    parts.append(f"{run['ms_per_crop']:.1f} ms/crop")
    return f"  {label}: " + ", ".join(parts)


def _unique(names: list[str] | None, default: str) -> list[str]:
    return list(dict.fromkeys(names or [default]))


def run_plates(args: argparse.Namespace, config: Config) -> int:
    if args.limit is not None and args.limit < 1:
        return fail(f"--limit must be at least 1, got {args.limit}", 2)
    try:
        kind = dataset_kind(args.directory)
        items: list[Any] = list(
            load_scenes(args.directory) if kind == "scenes" else load_crops(args.directory)
        )
    except (DatasetError, OSError) as exc:
        return fail(f"cannot load plate set: {exc}")
    items = items[: args.limit] if args.limit else items
    skipped: list[dict[str, str]] = []
    readers = _load_readers(_unique(args.reader, config.vision.reader), config, skipped)
    detectors: list[PlateDetector] = []
    if kind == "scenes":
        names = _unique(args.detector, config.vision.detector)
        detectors = _load_detectors(names, config, skipped)
    for entry in skipped:
        print(
            f"lanescreen: skipped {next(iter(entry.values()))}: {entry['reason']}", file=sys.stderr
        )
    if not readers or (kind == "scenes" and not detectors):
        return fail("no detector/reader could be loaded (see the reasons above)")
    runs: list[RunMetrics]
    if kind == "scenes":
        runs = evaluate_scenes(
            items,
            detectors,
            readers,
            min_score=config.vision.min_detection_score,
            max_plates=config.vision.max_plates_per_frame,
        )
    else:
        runs = evaluate_crops(items, readers)
    results = [run.to_dict() for run in runs]
    summary: dict[str, Any] = {"dataset": str(args.directory), **results[0], "skipped": skipped}
    if len(results) > 1:
        summary["runs"] = results
    if args.json:
        print_json(summary)
        return 0
    print(
        f"{args.directory} ({kind}): {results[0]['images']} images, {results[0]['plates']} plates"
    )
    for run in results:
        print(_describe(run))
    return 0
