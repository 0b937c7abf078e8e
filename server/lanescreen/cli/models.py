"""``lanescreen models fetch|verify|list``: obtain and check the pinned model files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lanescreen.config import Config
from lanescreen.vision.readers.lanescreen_reader import MODEL_CARD, check_shipped
from lanescreen.vision.readers.lanescreen_reader import READER_NAME as SHIPPED
from lanescreen.vision.weights import (
    MODELS,
    ModelError,
    fetch,
    reader_parts,
    required_models,
    verify,
)

from .common import add_json_flag, fail, print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "models",
        help="fetch, verify and list model files",
        description="Model files live in vision.model_dir (default <data_dir>/models) and are "
        "pinned by checksum; a mirror (directory or http(s) base URL) replaces the publishers.",
    )
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    fetch_parser = actions.add_parser(
        "fetch", help="download missing or corrupt models (default: those the configuration uses)"
    )
    fetch_parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(MODELS))
    fetch_parser.add_argument(
        "--mirror", default=None, help="directory or base URL to fetch from (default: model_mirror)"
    )
    add_json_flag(fetch_parser)
    fetch_parser.set_defaults(handler=run_fetch)

    verify_parser = actions.add_parser(
        "verify", help="check models against their checksums (exit 1 if any is missing or corrupt)"
    )
    verify_parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"{', '.join(MODELS)} or {SHIPPED} (shipped)"
    )
    add_json_flag(verify_parser)
    verify_parser.set_defaults(handler=run_verify)

    list_parser = actions.add_parser("list", help="every known model, its source and its state")
    add_json_flag(list_parser)
    list_parser.set_defaults(handler=run_list)


def _configured(config: Config) -> list[str]:
    return required_models(config.vision.detectors(), config.vision.reader, *config.lane_readers())


def run_fetch(args: argparse.Namespace, config: Config) -> int:
    mirror = config.vision.model_mirror if args.mirror is None else args.mirror
    try:
        # the shipped reader is part of the package: nothing to fetch
        names = [name for name in args.names if name != SHIPPED]
        if args.names and not names:
            print(f"{SHIPPED}: shipped in the package, nothing to fetch", file=sys.stderr)
        elif not names:
            names = _configured(config)
        paths = fetch(names, config.model_dir, mirror=mirror, progress=not args.json)
    except ModelError as exc:
        return fail(str(exc))
    if args.json:
        print_json(
            {
                "model_dir": str(config.model_dir),
                "fetched": dict(zip(names, map(str, paths), strict=True)),
            }
        )
    else:
        for name, path in zip(names, paths, strict=True):
            print(f"{name}: {path}")
    return 0


def _verify_names(args: argparse.Namespace, config: Config) -> list[str]:
    """Named models, else the configured ones plus any other model file present."""
    if args.names:
        return [name for name in args.names if name != SHIPPED]
    present = [m.name for m in MODELS.values() if (Path(config.model_dir) / m.filename).exists()]
    return list(dict.fromkeys(_configured(config) + present))


def run_verify(args: argparse.Namespace, config: Config) -> int:
    """The model directory's files, and the shipped reader's unless other names are given."""
    shipped = not args.names or SHIPPED in args.names
    try:
        results = verify(config.model_dir, _verify_names(args, config))
    except ModelError as exc:
        return fail(str(exc))
    if shipped:
        results += check_shipped()
    if args.json:
        print_json(
            {
                "model_dir": str(config.model_dir),
                "ok": all(r.ok for r in results),
                "models": [
                    {
                        "name": r.name,
                        "file": str(r.path),
                        "status": r.status,
                        "algorithm": r.algorithm,
                        "expected": r.expected,
                        "actual": r.actual,
                    }
                    for r in results
                ],
            }
        )
    else:
        for r in results:
            detail = (
                f" (expected {r.algorithm} {r.expected}, got {r.actual})"
                if r.status == "corrupt"
                else ""
            )
            print(f"{r.name}: {r.status} {r.path}{detail}")
    return 0 if all(r.ok for r in results) else 1


def run_list(args: argparse.Namespace, config: Config) -> int:
    configured = set(_configured(config))
    states = {r.name: r.status for r in verify(config.model_dir)}
    rows = [
        {
            "name": m.name,
            "file": m.filename,
            "kind": m.kind,
            "configured": m.name in configured,
            "status": states[m.name],
            "size": m.size,
            "algorithm": m.algorithm,
            "digest": m.digest,
            "license": m.license,
            "url": m.url,
            "card": None,
        }
        for m in MODELS.values()
    ]
    shipped = check_shipped()
    rows.append(
        {
            "name": SHIPPED,
            "file": ", ".join(r.filename for r in shipped),
            "kind": "plate reader",
            "configured": any(
                SHIPPED in reader_parts(r) for r in (config.vision.reader, *config.lane_readers())
            ),
            "status": next((r.status for r in shipped if not r.ok), "ok"),
            "size": sum(r.path.stat().st_size for r in shipped if r.path.is_file()),
            "algorithm": "sha256",
            "digest": "",
            "license": "Apache-2.0 (trained by this project)",
            "url": f"shipped in the package: {shipped[0].path.parent}",
            "card": str(MODEL_CARD),
        }
    )
    if args.json:
        print_json({"model_dir": str(config.model_dir), "models": rows})
        return 0
    print(f"model directory: {config.model_dir}")
    for row in rows:
        mark = "*" if row["configured"] else " "
        print(f"{mark} {row['name']:<17} {row['kind']:<15} {row['status']:<8} {row['license']}")
        print(f"    {row['url']}")
        if row["card"]:
            print(f"    model card: {row['card']}")
    return 0
