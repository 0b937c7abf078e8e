"""``lanescreen eval plates|faces DIR``: measured accuracy and speed on labelled photos."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

from lanescreen.config import REGION_READERS, Config
from lanescreen.evaluation.face_sets import FaceSetError, find_photos, load_labelled
from lanescreen.evaluation.faces import TARGETS, ProbeOptions, evaluate_faces
from lanescreen.evaluation.plate_sets import (
    Correction,
    DatasetError,
    corrected,
    dataset_kind,
    load_crops,
    load_errata,
    load_scenes,
)
from lanescreen.evaluation.plates import RunMetrics, evaluate_crops, evaluate_scenes
from lanescreen.evaluation.watchlist import LIST_SIZE, MAX_LIST_SIZE
from lanescreen.vision.faces.pipeline import build_face_pipeline, ensure_face_models
from lanescreen.vision.pipeline import DETECTOR_NAMES, build_detector
from lanescreen.vision.readers import READER_NAMES, build_reader
from lanescreen.vision.types import PlateDetector, PlateReader
from lanescreen.vision.weights import (
    DETECTOR_MODELS,
    ModelError,
    fetch,
    reader_parts,
    require,
    required_models,
)

from . import eval_passages
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
    plates.add_argument(
        "directory",
        type=Path,
        metavar="DIR",
        help="a labelled set: scenes with NAME.txt labels, or crops with ground_truth.csv",
    )
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
        help="reader to measure; repeat for several (default: every reader, the configured one "
        "first; one whose weights cannot be had is skipped with the reason)",
    )
    plates.add_argument("--limit", type=int, default=None, help="use only the first N images")
    plates.add_argument(
        "--region",
        default="",
        help="read as a lane with this plate region would (us, eu, cn...: a read's Chinese "
        "characters are dropped on a lane that is not cn); default none, as an unset lane",
    )
    plates.add_argument(
        "--plate-model",
        type=Path,
        default=None,
        metavar="RUN",
        help="the lanescreen reader reads with the model in RUN (a `lanescreen train plates "
        "--out` folder) instead of the shipped one, to measure it before installing it; its "
        "files are not checked against the shipped checksums, and its .py is code EasyOCR "
        "imports: name only a folder you trust",
    )
    plates.add_argument(
        "--list-size",
        type=int,
        default=LIST_SIZE,
        metavar="N",
        help="entries of the simulated watchlists on which hits and false hits are counted: the "
        f"set's labels, filled up with plates in their formats (default {LIST_SIZE})",
    )
    plates.add_argument(
        "--misses",
        type=Path,
        default=None,
        metavar="FILE",
        help="write every plate a reader did not read exactly to FILE (CSV: reader, detector, "
        "crop or frame, image, label, read, confidence, whether the label was a candidate)",
    )
    plates.add_argument(
        "--errata",
        type=Path,
        default=None,
        metavar="FILE",
        help="correct labels the set's publisher got wrong, from FILE (tab-separated image, "
        "label, corrected, why; the project's reviewed list is docs/eval-errata.tsv); the "
        "corrections applied are listed in the output",
    )
    add_json_flag(plates)
    plates.set_defaults(handler=run_plates)
    faces = sets.add_parser(
        "faces",
        help="1:N face identification: rank-1, FNIR at fixed FPIR, speed",
        description="DIR holds photos and labels.csv (file,identity): each identity enrols its "
        "first --enrol photos that pass the quality gate, its other photos are mated probes. "
        "Every face in the --strangers folders (searched recursively; people not in DIR) is a "
        "non-mated probe. Rates are fractions 0-1, thresholds cosine similarities, times CPU "
        "milliseconds. See docs/faces.md.",
    )
    faces.add_argument(
        "directory",
        type=Path,
        metavar="DIR",
        help="labelled face photos (labels.csv: file,identity)",
    )
    faces.add_argument(
        "--strangers",
        type=Path,
        action="append",
        default=[],
        metavar="DIR2",
        help="folder of photos of people not in DIR; repeat for several",
    )
    faces.add_argument(
        "--enrol", type=int, default=3, metavar="K", help="photos enrolled per identity (3)"
    )
    faces.add_argument(
        "--limit", type=int, default=None, help="use at most N photos per identity and N strangers"
    )
    faces.add_argument(
        "--grey-copies",
        action="store_true",
        help="also search a greyscale copy of every colour probe (an IR camera's view)",
    )
    faces.add_argument(
        "--probe-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="shrink probes by this factor first (measures small faces)",
    )
    faces.add_argument(
        "--probe-blur",
        type=float,
        default=0.0,
        metavar="SIGMA",
        help="Gaussian-blur probes first (measures blur)",
    )
    faces.add_argument(
        "--embed-poor",
        action="store_true",
        help="search faces the quality gate refuses too (measures what the gate saves)",
    )
    faces.add_argument(
        "--calibration-out",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the impostor scores per camera type as a threshold calibration (JSON)",
    )
    add_json_flag(faces)
    faces.set_defaults(handler=run_faces)
    eval_passages.register(sets)


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
            for model in DETECTOR_MODELS[name]:
                _model_path(config, model)
            loaded.append(
                build_detector(
                    name,
                    config.model_dir,
                    config.vision.onnx_threads,
                    accept_score=config.vision.min_detection_score,
                )
            )
        except ModelError as exc:
            skipped.append({"detector": name, "reason": str(exc)})
    return loaded


def _load_readers(
    names: list[str], config: Config, skipped: list[dict[str, str]], plate_model: Path | None
) -> list[PlateReader]:
    loaded = []
    for name in names:
        try:
            for model in required_models((), name):  # shipped readers have nothing to fetch
                _model_path(config, model)
            threads = config.vision.onnx_threads
            loaded.append(build_reader(name, config.model_dir, threads, plate_model))
        except ModelError as exc:
            skipped.append({"reader": name, "reason": str(exc)})
    return loaded


def _describe(run: dict[str, Any]) -> str:
    label = " + ".join(n for n in (run["detector"], run["reader"]) if n)
    parts = []
    if "detection_recall" in run:
        parts.append(f"detection recall {run['detection_recall']:.3f}")
    parts.append(f"exact read {run['exact_read_rate']:.3f}")
    parts.append(f"read or a candidate {run['candidate_read_rate']:.3f}")
    if run["kind"] == "scenes":
        parts.append(
            f"ground-truth crop read {run['crop_read_rate']:.3f} "
            f"(or a candidate {run['crop_candidate_read_rate']:.3f})"
        )
    else:
        parts.append(f"read ignoring non-Latin {run['latin_read_rate']:.3f}")
    stages = ", ".join(f"{k} {v:.1f}" for k, v in run["ms_per_stage"].items())
    parts.append(
        f"{run['ms_per_frame']:.1f} ms/frame ({stages}; p95 {run['ms_per_frame_p95']:.1f})"
    )
    parts.append(f"{run['ms_per_crop']:.1f} ms/crop")
    lines = [f"  {label}: " + ", ".join(parts)]
    bins = "; ".join(
        f"{b['from']:g}-{b['to']:g}: {b['reads']} read, {b['exact_rate']:.2f} exact"
        for b in run["confidence"]
        if b["reads"]
    )
    lines.append(f"    ground-truth crops by read confidence: {bins}")
    watch = run["watchlist"]
    for view, name in (("crop", "ground-truth crops"), ("frame", "end to end")):
        if view in watch:
            rates = "; ".join(
                f"{mode} hit {r['hit_rate']:.3f}, false hit {r['false_hit_rate']:.3f}"
                for mode, r in watch[view].items()
            )
            lines.append(f"    {name} on a watchlist: {rates}")
    return "\n".join(lines)


def _unique(names: list[str] | None, default: str) -> list[str]:
    return list(dict.fromkeys(names or [default]))


MISS_COLUMNS = (
    "reader",
    "detector",
    "view",
    "image",
    "label",
    "read",
    "confidence",
    "offered",
    "detected",
    "candidates",
)


def _write_misses(path: Path, runs: list[RunMetrics]) -> None:
    """One CSV row per plate not read exactly, run by run; candidates best first, ``|``-joined."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(MISS_COLUMNS)
        for run in runs:
            for miss in run.misses:
                out.writerow(
                    (
                        run.reader,
                        run.detector or "",
                        miss.view,
                        miss.image,
                        miss.label,
                        miss.read,
                        f"{miss.confidence:.3f}",
                        int(miss.offered),
                        int(miss.detected),
                        "|".join(miss.candidates),
                    )
                )


def _save_misses(path: Path, runs: list[RunMetrics]) -> int | None:
    """Write the misses; the CLI's failure status when the file cannot be written."""
    try:
        _write_misses(path, runs)
    except OSError as exc:
        return fail(f"cannot write the misses to {path}: {exc}")
    return None


def _load_set(directory: Path, errata: Path | None) -> tuple[str, list[Any], list[Correction]]:
    """The set's kind, its items, and the errata corrections applied to its labels."""
    kind = dataset_kind(directory)
    if kind == "crops":
        return kind, list(load_crops(directory)), []
    scenes = load_scenes(directory)
    if errata is None:
        return kind, scenes, []
    fixed, applied = corrected(scenes, load_errata(errata))
    return kind, fixed, applied


def run_plates(args: argparse.Namespace, config: Config) -> int:
    if args.limit is not None and args.limit < 1:
        return fail(f"--limit must be at least 1, got {args.limit}", 2)
    if not 0 <= args.list_size <= MAX_LIST_SIZE:
        return fail(f"--list-size must be 0-{MAX_LIST_SIZE}, got {args.list_size}", 2)
    region = args.region.strip().lower()
    try:
        kind, items, corrections = _load_set(args.directory, args.errata)
    except (DatasetError, OSError) as exc:
        return fail(f"cannot load plate set: {exc}")
    items = items[: args.limit] if args.limit else items
    # A misses file that cannot be written is said before minutes of reading, not after.
    if args.misses is not None and (status := _save_misses(args.misses, [])) is not None:
        return status
    skipped: list[dict[str, str]] = []
    readers = _plate_readers(args, config, region, skipped)
    if isinstance(readers, int):
        return readers
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
            region=region,
            list_size=args.list_size,
        )
    else:
        runs = evaluate_crops(items, readers, region=region, list_size=args.list_size)
    results = [run.to_dict() for run in runs]
    if args.misses is not None and (status := _save_misses(args.misses, runs)) is not None:
        return status
    summary: dict[str, Any] = {
        "dataset": str(args.directory),
        "region": region,
        "plate_model": str(args.plate_model) if args.plate_model else None,
        "corrected_labels": [vars(c) for c in corrections],
        **results[0],
        "skipped": skipped,
    }
    if len(results) > 1:
        summary["runs"] = results
    if args.json:
        print_json(summary)
    else:
        _print_plates(args, kind, region, len(corrections), results)
    return 0


def _plate_readers(
    args: argparse.Namespace, config: Config, region: str, skipped: list[dict[str, str]]
) -> list[PlateReader] | int:
    """The readers asked for, first the one a lane of ``region`` reads with (a cn lane's own,
    as on the lane); an exit status where ``--plate-model`` cannot be read with."""
    first = REGION_READERS.get(region) or config.vision.reader
    wanted = _unique(args.reader or [first, config.vision.reader, *READER_NAMES], first)
    own = [n for n in wanted if "lanescreen" in reader_parts(n)]
    if args.plate_model is not None and not own:
        return fail("--plate-model is the lanescreen reader's model: add --reader lanescreen", 2)
    readers = _load_readers(wanted, config, skipped, args.plate_model)
    unloaded = [e["reason"] for e in skipped if e.get("reader") in own]
    if args.plate_model is not None and unloaded:
        return fail(f"cannot read with the plate model in {args.plate_model}: {unloaded[0]}")
    return readers


def _print_plates(
    args: argparse.Namespace, kind: str, region: str, corrections: int, results: list[Any]
) -> None:
    """The summary for people: what was read how, then a line per detector and reader."""
    for bad in results[0]["bad_images"]:
        print(f"lanescreen: skipped {bad['image']}: {bad['problem']}", file=sys.stderr)
    on = f", read as a {region} lane" if region else ""
    if corrections:
        on += f", {corrections} labels corrected by {args.errata}"
    if args.plate_model:
        on += f", lanescreen reading with {args.plate_model}"
    print(
        f"{args.directory} ({kind}{on}): {results[0]['images']} images, "
        f"{results[0]['plates']} plates"
    )
    watch = results[0]["watchlist"]
    print(
        f"watchlists of {watch['entries']} plates ({watch['labels']} labels, the rest in their "
        "formats), one of exact entries, one of lenient: a hit is the plate's own entry matched, "
        "a false hit another's"
    )
    for run in results:
        print(_describe(run))


def _pct(fpir: float) -> str:
    return f"{fpir * 100:g}%"


def _describe_faces(result: dict[str, Any], indent: str = "  ") -> list[str]:
    parts = [f"rank-1 {result['rank1']:.3f}"]
    for key, fpir in TARGETS.items():
        fnir = result[f"fnir_at_fpir_{key}"]
        if fnir is None:
            parts.append(f"FNIR at FPIR {_pct(fpir)} not measured (no strangers searched)")
            continue
        resolved = "" if result[f"fpir_{key}_resolved"] else ", below what the strangers resolve"
        parts.append(
            f"FNIR {fnir:.3f} at FPIR {_pct(fpir)} "
            f"(threshold {result[f'threshold_at_fpir_{key}']:.4f}{resolved})"
        )
    counts = (
        f"{result['probes']} mated probes ({result['failure_to_detect']} without a face, "
        f"{result['refused_by_quality']} refused by the quality gate), "
        f"{result['strangers']} stranger faces searched ({result['strangers_refused']} refused)"
    )
    return [indent + counts, indent + ", ".join(parts)]


def run_faces(args: argparse.Namespace, config: Config) -> int:
    if args.limit is not None and args.limit < 1:
        return fail(f"--limit must be at least 1, got {args.limit}", 2)
    if args.enrol < 1:
        return fail(f"--enrol must be at least 1, got {args.enrol}", 2)
    if not 0 < args.probe_scale <= 1 or args.probe_blur < 0:
        return fail("--probe-scale must be in (0, 1] and --probe-blur at least 0", 2)
    try:
        labelled = load_labelled(args.directory)
        strangers = find_photos(args.strangers) if args.strangers else []
    except (FaceSetError, OSError) as exc:
        return fail(f"cannot load face set: {exc}")
    if args.limit:
        seen: dict[tuple[str, ...], int] = {}
        kept = []
        for photo in labelled:
            seen[photo.identities] = seen.get(photo.identities, 0) + 1
            if seen[photo.identities] <= args.limit:
                kept.append(photo)
        labelled, strangers = kept, strangers[: args.limit]
    try:
        ensure_face_models(config.faces, config.vision, config.model_dir)
        pipeline = build_face_pipeline(config.faces, config.model_dir)
    except (ModelError, ValueError) as exc:
        return fail(f"cannot load the face models: {exc}")
    options = ProbeOptions(
        grey_copies=args.grey_copies,
        scale=args.probe_scale,
        blur_sigma=args.probe_blur,
        embed_poor=args.embed_poor,
    )
    run = evaluate_faces(pipeline, labelled, strangers, enrol=args.enrol, options=options)
    result = run.to_dict()
    summary: dict[str, Any] = {
        "dataset": str(args.directory),
        "stranger_sets": [str(p) for p in args.strangers],
        **result,
    }
    if args.calibration_out is not None:
        names = ", ".join(p.name for p in args.strangers) or "none"
        source = f"eval faces {args.directory.name} (strangers: {names})"
        if args.grey_copies:
            source += ", with greyscale copies of colour probes"
        try:
            run.calibration(source).save(args.calibration_out)
        except OSError as exc:
            return fail(f"cannot write {args.calibration_out}: {exc}")
        summary["calibration_out"] = str(args.calibration_out)
    if args.json:
        print_json(summary)
        return 0
    print(
        f"{args.directory}: {result['identities']} identities, {result['enrolled_templates']} "
        f"templates enrolled ({result['failure_to_enrol']} photos failed to enrol, "
        f"{result['identities_not_enrolled']} identities not enrolled)"
    )
    lines = _describe_faces(result)
    print("\n".join(lines))
    for kind, by_camera in result["by_camera"].items():
        print(f"  {kind} probes:")
        print("\n".join(_describe_faces(by_camera, "    ")))
    stages = ", ".join(f"{k} {v:.1f}" for k, v in result["ms_per_stage"].items())
    print(
        f"  {result['ms_per_face']:.1f} ms/face, {result['ms_per_photo']:.1f} ms/photo "
        f"({stages}; p95 {result['ms_per_photo_p95']:.1f})"
    )
    if args.calibration_out is not None:
        print(f"  impostor calibration written to {args.calibration_out}")
    return 0
