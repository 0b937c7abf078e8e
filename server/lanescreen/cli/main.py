"""The ``lanescreen`` command: one sub-command per module in this package.

Each module exposes ``register(subparsers)``, which adds its parser and sets ``handler`` to a
function ``(args, config) -> int`` (the exit status). Shared flags: ``--config`` and ``--json``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from lanescreen import __version__
from lanescreen.config import ConfigError, load_config

from . import (
    audit,
    console,
    demo,
    eval,
    journal,
    lane,
    models,
    pki,
    serve,
    site,
    train,
    users,
    watchlist,
)

_MODULES = (
    serve,
    console,
    demo,
    watchlist,
    audit,
    journal,
    site,
    models,
    lane,
    eval,
    train,
    pki,
    users,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lanescreen",
        description="Border-checkpoint screening: plates against governed watchlists within a lane's budget.",
    )
    parser.add_argument("--version", action="version", version=f"lanescreen {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="TOML configuration file (default: $LANESCREEN_CONFIG, else built-in defaults)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"lanescreen: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        status: int = args.handler(args, config)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    return status


if __name__ == "__main__":
    sys.exit(main())
