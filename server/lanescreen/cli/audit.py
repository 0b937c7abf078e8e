"""``lanescreen audit``: export and list the hit log, and purge expired CLEAR reads.

Exports are byte for byte what the AuditService ``ExportHits`` RPC streams (both use
:func:`lanescreen.domain.export.export_hits`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..config import Config
from ..domain.decisions import Decision, Outcome
from ..domain.export import export_hits
from ..domain.watchlists import EntryError, parse_timestamp
from ..store.db import Database
from ..store.decisions import MAX_PAGE_SIZE, DecisionStore, HitFilter
from .common import add_json_flag, fail, print_json
from .watchlist import handles_errors


def _time(text: str) -> datetime:
    try:
        parsed = parse_timestamp(text, "time")
    except EntryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if parsed is None:
        raise argparse.ArgumentTypeError("time: give an ISO 8601 date or date-time")
    return parsed


def _filters() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--since", type=_time, help="decided at or after (ISO 8601; UTC if no zone)"
    )
    parser.add_argument("--until", type=_time, help="decided before (ISO 8601)")
    parser.add_argument("--lane", default="", help="lane id")
    parser.add_argument("--watchlist", default="", help="matched watchlist (id or name)")
    parser.add_argument("--outcome", type=str.upper, choices=["HIT", "REVIEW"])
    return parser


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="export or list the hit log; purge old CLEAR reads",
        description="The hit log keeps every HIT and REVIEW with its reasons, matches, timings and "
        "evidence. CLEAR reads are kept only as lane, plate and time, for storage.clear_retention_hours.",
    )
    actions = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    filters = _filters()

    export = actions.add_parser(
        "export", parents=[filters], help="write the hit log as CSV or JSON Lines, oldest first"
    )
    export.add_argument("--format", choices=["csv", "jsonl"], default="jsonl")
    export.add_argument(
        "-o", "--output", type=Path, help="file to write (default: standard output)"
    )
    export.set_defaults(handler=run_export)

    hits = actions.add_parser("hits", parents=[filters], help="the latest hits, newest first")
    hits.add_argument("--limit", type=int, default=20, help="at most N decisions (default 20)")
    add_json_flag(hits)
    hits.set_defaults(handler=run_hits)

    purge = actions.add_parser(
        "purge", help="delete CLEAR reads older than storage.clear_retention_hours"
    )
    add_json_flag(purge)
    purge.set_defaults(handler=run_purge)


def hit_filter(args: argparse.Namespace) -> HitFilter:
    return HitFilter(
        since=args.since,
        until=args.until,
        lane_id=args.lane,
        watchlist=args.watchlist,
        outcome=Outcome(args.outcome) if args.outcome else None,
    )


@handles_errors
def run_export(args: argparse.Namespace, config: Config, db: Database) -> int:
    store = DecisionStore(db)
    count = 0

    def counted() -> Iterator[Decision]:
        nonlocal count
        for decision in store.iter_hits(hit_filter(args)):
            count += 1
            yield decision

    pieces = export_hits(counted(), args.format)
    if args.output is None:
        for piece in pieces:
            sys.stdout.buffer.write(piece)
        sys.stdout.flush()
        return 0
    try:
        with args.output.open("wb") as out:
            for piece in pieces:
                out.write(piece)
    except OSError as exc:
        return fail(f"cannot write {args.output}: {exc.strerror or exc}")
    print(f"exported {count} decisions to {args.output}", file=sys.stderr)
    return 0


@handles_errors
def run_hits(args: argparse.Namespace, config: Config, db: Database) -> int:
    if args.limit < 1:
        return fail("--limit must be at least 1", 2)
    store = DecisionStore(db)
    found: list[Decision] = []
    token = ""
    while len(found) < args.limit:
        page, token = store.list_hits(
            hit_filter(args),
            page_size=min(args.limit - len(found), MAX_PAGE_SIZE),
            page_token=token,
        )
        found.extend(page)
        if not token:
            break
    if args.json:
        print_json({"hits": [d.to_json() for d in found], "more": bool(token)})
        return 0
    if not found:
        print("no stored decisions match")
    for d in found:
        best = d.matches[0] if d.matches else None
        plate = d.plates[0].text if d.plates else "-"
        listed = (
            f"{best.watchlist_name}/{best.category or '-'} ({best.match_kind})" if best else "-"
        )
        detail = d.reasons[0].detail if d.reasons else ""
        print(
            f"{d.decided_at.isoformat()}  {d.lane_id}  {d.outcome.value:<6} {plate:<10} {listed}  {detail}"
        )
        print(f"    decision {d.decision_id}")
    if token:
        print(f"(more: raise --limit above {args.limit} to see them)")
    return 0


@handles_errors
def run_purge(args: argparse.Namespace, config: Config, db: Database) -> int:
    cutoff = datetime.now(UTC) - timedelta(hours=config.storage.clear_retention_hours)
    count = DecisionStore(db).purge_clear_reads(cutoff)
    if args.json:
        print_json({"purged": count, "older_than": cutoff.isoformat()})
    else:
        print(f"purged {count} CLEAR reads older than {cutoff.isoformat()}")
    return 0
