"""Helpers every sub-command shares: JSON output and error reporting."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def print_json(obj: Any) -> None:
    """One JSON document on one line, so output can be piped line by line."""
    print(json.dumps(obj, ensure_ascii=False, default=str), flush=True)


def fail(message: str, status: int = 1) -> int:
    print(f"lanescreen: {message}", file=sys.stderr)
    return status
