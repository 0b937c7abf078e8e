"""``lanescreen train plates``: train, export in EasyOCR's format, measure, write a model card."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lanescreen.config import Config

from .common import add_json_flag, fail, print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("train", help="train lanescreen's own models")
    kinds = parser.add_subparsers(dest="train_kind", metavar="MODEL", required=True)
    plates = kinds.add_parser(
        "plates",
        help="the plate recogniser (EasyOCR custom network)",
        description="Renders plates on the fly, trains a CTC recogniser on the CPU, writes "
        "NAME.yaml/.py/.pth (EasyOCR's custom-model format) and MODEL_CARD.md to --out, with "
        "exact-read rates measured through EasyOCR.",
    )
    plates.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="run folder: checkpoints, the EasyOCR model files and the model card",
    )
    plates.add_argument("--steps", type=int, default=12000, help="optimiser steps (default 12000)")
    plates.add_argument("--batch", type=int, default=64, help="batch size (default 64)")
    plates.add_argument(
        "--coarse-steps",
        type=int,
        default=None,
        help="first steps at the coarse output resolution (default 40%% of --steps)",
    )
    plates.add_argument("--seed", type=int, default=0, help="seed of everything random (default 0)")
    plates.add_argument(
        "--finetune-cn",
        choices=("a", "b"),
        default=None,
        metavar="HALF",
        help="mix half a or b of lprnet_cn_dev into training; the other half is measured",
    )
    plates.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="CKPT",
        help="go on from this checkpoint (a run's checkpoint.pt), to --steps in all",
    )
    plates.add_argument(
        "--spliced",
        type=int,
        default=8000,
        metavar="N",
        help="with --finetune-cn: N new crops spliced from the fine-tuning half's characters, "
        "half of the real samples from --spliced-from on (default 8000; 0: none)",
    )
    plates.add_argument(
        "--spliced-from",
        type=int,
        default=None,
        metavar="STEP",
        help="step at which the spliced crops are made, cut by the network trained so far "
        "(default 88%% of --steps)",
    )
    plates.add_argument(
        "--data",
        type=Path,
        default=Path("../shared/eval/plates"),
        help="folder holding lprnet_cn_dev, openalpr_us, openalpr_eu_dev (default ../shared/eval/plates)",
    )
    plates.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads for the network (default 1: the renderer takes another core)",
    )
    plates.add_argument(
        "--workers",
        type=int,
        default=1,
        help="renderer processes (default 1; each has its own seeded stream, so the count "
        "changes the data)",
    )
    plates.add_argument("--name", default="lanescreen_plate", help="network name (NAME.*)")
    plates.add_argument("--quiet", action="store_true", help="no progress bar")
    add_json_flag(plates)
    plates.set_defaults(handler=run_plates)
    half = kinds.add_parser(
        "cn-half",
        help="write one fixed half of lprnet_cn_dev as a crop set, to measure on the other half",
        description="Writes DIR/ground_truth.csv and DIR/images/ (links) for half a or b of the "
        "lprnet_cn_dev split that --finetune-cn uses, for `lanescreen eval plates DIR`.",
    )
    half.add_argument("half", choices=("a", "b"), metavar="HALF", help="which half: a or b")
    half.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder to write the half's crops to"
    )
    half.add_argument(
        "--data",
        type=Path,
        default=Path("../shared/eval/plates"),
        help="folder holding lprnet_cn_dev (default ../shared/eval/plates)",
    )
    half.set_defaults(handler=run_cn_half)


def run_cn_half(args: argparse.Namespace, config: Config) -> int:
    from lanescreen.evaluation.plate_sets import DatasetError
    from lanescreen.training.real_sets import CN_SET, write_half

    try:
        count = write_half(args.data / CN_SET, args.half, args.out)
    except (DatasetError, OSError) as exc:
        return fail(f"cannot write the half: {exc}")
    print(f"wrote half {args.half} of {CN_SET} ({count} crops) to {args.out}")
    return 0


def run_plates(args: argparse.Namespace, config: Config) -> int:
    if args.steps < 1 or args.batch < 2 or args.threads < 1 or args.workers < 1:
        return fail(
            "--steps, --batch, --threads and --workers must be positive (batch at least 2)", 2
        )
    if args.resume is not None and not args.resume.is_file():
        return fail(f"--resume: {args.resume} is not a file", 2)
    try:
        from lanescreen.training.easyocr_format import ModelSpec, export
        from lanescreen.training.report import measure, write_card
        from lanescreen.training.synth import CHARSET
        from lanescreen.training.train import TrainConfig, train
        from lanescreen.vision.readers.lanescreen_reader import NETWORK
    except ImportError as exc:
        return fail(f"training needs torch, easyocr and the renderer: {exc}")

    def log(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    spec = ModelSpec(args.name, CHARSET)
    train_config = TrainConfig(
        out=args.out,
        steps=args.steps,
        batch=args.batch,
        seed=args.seed,
        finetune_cn=args.finetune_cn,
        data_dir=args.data,
        threads=args.threads,
        workers=args.workers,
        coarse_steps=args.coarse_steps,
        resume=args.resume,
        spliced=args.spliced,
        spliced_from=args.spliced_from,
        name=args.name,
    )
    network, result = train(train_config, spec, progress=not args.quiet, log=log)
    files = export(network, spec, args.out, args.out)
    report = measure(files, spec, train_config, log=log)
    write_card(args.out / "MODEL_CARD.md", spec, train_config, result, files, report)
    summary = {
        "out": str(args.out),
        "files": [str(files.yaml), str(files.network), str(files.weights)],
        "sha256": files.sha256,
        "steps": result.steps,
        "minutes": round(result.seconds / 60, 1),
        "samples_per_s": round(result.samples_per_s, 1),
        **report.as_dict(),
    }
    if args.json:
        print_json(summary)
    else:
        log(f"wrote {args.out / 'MODEL_CARD.md'}; weights sha256 {files.sha256}")
        if spec.name == NETWORK:
            log(
                "measure it as the service reads, before installing it: lanescreen eval plates "
                f"DIR --reader lanescreen --plate-model {args.out}"
            )
    return 0
