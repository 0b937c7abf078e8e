"""Helpers every sub-command shares: JSON output and error reporting."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def add_client_flags(parser: argparse.ArgumentParser) -> None:
    """``--server`` and ``--insecure-dev``, for the commands that talk to a running server."""
    parser.add_argument(
        "--server", default="", help="host:port of the server (default: server.listen)"
    )
    parser.add_argument(
        "--insecure-dev",
        action="store_true",
        help="plaintext, no certificate: only for a server started with --insecure-dev",
    )


def add_person_arguments(parser: argparse.ArgumentParser) -> None:
    """A person's name and roles, for issuing them a token or a certificate."""
    from ..security.policy import PERSON_ROLES

    parser.add_argument("name", help="the person's name, as the audit trail shows it")
    parser.add_argument(
        "--role",
        action="append",
        required=True,
        choices=sorted(PERSON_ROLES),
        dest="roles",
        help="a role the person holds (repeat for several)",
    )


def print_json(obj: Any) -> None:
    """One JSON document on one line, so output can be piped line by line."""
    print(json.dumps(obj, ensure_ascii=False, default=str), flush=True)


def fail(message: str, status: int = 1) -> int:
    print(f"lanescreen: {message}", file=sys.stderr)
    return status
