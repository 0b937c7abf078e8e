"""``lanescreen audit``: the hit log and dispositions (through the API, as the person), and the
administrator's retention, purge and trail verification (local, on the database).

``export``, ``hits``, ``queue``, ``dispose`` and ``stats`` are clients of the AuditService
(:mod:`.client`): the server checks the person's role and trails each search and export under
their name, as it does for the console. ``retention``, ``purge`` and ``verify`` open the site's
database directly, for administrators on the server's machine.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..api.mapping import OUTCOME_FROM_PB, OUTCOME_TO_PB, from_timestamp, timestamp
from ..config import Config
from ..domain.decisions import Outcome
from ..domain.dispositions import CODES, Verdict
from ..domain.watchlists import EntryError, parse_timestamp
from ..store.db import Database
from ..store.decisions import MAX_PAGE_SIZE, DecisionStore
from ..store.retention import Retention
from ..v1 import audit_pb2
from .client import Api, add_person_flags, through_api
from .common import add_json_flag, fail, print_json
from .local import actor_of, handles_errors


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
    parser.add_argument(
        "--outcome",
        type=str.upper,
        choices=["HIT", "REVIEW"],
        help="only decisions with this outcome",
    )
    parser.add_argument(
        "--disposition",
        choices=["pending", "confirmed", "dismissed"],
        default="",
        help="by the officer's latest finding (pending: not yet disposed of)",
    )
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
    add_person_flags(filters)

    export = actions.add_parser(
        "export", parents=[filters], help="write the hit log as CSV or JSON Lines, oldest first"
    )
    export.add_argument(
        "--format",
        choices=["csv", "jsonl"],
        default="jsonl",
        help="jsonl: one JSON object a decision (default); csv: one row a decision",
    )
    export.add_argument(
        "--reason", required=True, help="why the export is made (kept in the audit trail)"
    )
    export.add_argument(
        "-o", "--output", type=Path, help="file to write (default: standard output)"
    )
    export.set_defaults(handler=run_export)

    hits = actions.add_parser("hits", parents=[filters], help="the latest hits, newest first")
    hits.add_argument("--limit", type=int, default=20, help="at most N decisions (default 20)")
    add_json_flag(hits)
    hits.set_defaults(handler=run_hits)

    purge = actions.add_parser(
        "purge",
        help="remove what each data class keeps longer than the retention policy allows "
        "(administrators, on the server's machine: works on the database directly)",
        description="The server purges every 10 minutes by itself; this runs one purge now. "
        "Each class that loses anything is recorded in the audit trail. An administrator's "
        "command: it opens the site's database (storage.database_url) directly.",
    )
    purge.add_argument("--actor", default="", help="who (default: $LANESCREEN_ACTOR or login)")
    add_json_flag(purge)
    purge.set_defaults(handler=run_purge)

    retention = actions.add_parser(
        "retention",
        help="the retention policy by data class, what each holds, and what is due to go "
        "(administrators: reads the database directly)",
    )
    add_json_flag(retention)
    retention.set_defaults(handler=run_retention)

    queue = actions.add_parser(
        "queue",
        parents=[filters],
        help="hits and reviews no officer has disposed of yet, newest first",
    )
    queue.add_argument("--limit", type=int, default=20, help="at most N decisions (default 20)")
    add_json_flag(queue)
    # not set_defaults(disposition=...): parsers built from the same parent share its actions,
    # so that would make "pending" every command's default (export's included)
    queue.set_defaults(handler=run_hits, queue=True)

    dispose = actions.add_parser(
        "dispose",
        help="record an officer's finding on a hit or review",
        description="Verdicts and codes: "
        + "; ".join(f"{v.value}: {', '.join(codes)}" for v, codes in CODES.items())
        + ". A later disposition supersedes an earlier one; both stay on record.",
    )
    dispose.add_argument("decision_id", metavar="DECISION", help="the HIT or REVIEW's decision id")
    dispose.add_argument(
        "verdict", choices=[v.value for v in Verdict], help="what the officer found it to be"
    )
    dispose.add_argument("code", help="what was found (see above)")
    dispose.add_argument("--note", default="", help="what happened (needed with code 'other')")
    add_person_flags(dispose)
    add_json_flag(dispose)
    dispose.set_defaults(handler=run_dispose)

    stats = actions.add_parser(
        "stats",
        parents=[filters],
        help="how stored hits were found: confirmed, dismissed by code, pending",
    )
    add_json_flag(stats)
    stats.set_defaults(handler=run_stats)

    verify = actions.add_parser(
        "verify",
        help="walk the audit trail and name the first record that was changed, removed or added "
        "(administrators: reads the database and the trail key directly)",
        description="Recomputes every record's hash with the site's trail key "
        "(storage.trail_key_file). Exit 0 if the chain is intact, 1 if not. Note the printed head "
        "hash somewhere else: a later run that starts from it proves nothing before it changed.",
    )
    add_json_flag(verify)
    verify.set_defaults(handler=run_verify)


def hit_filter(args: argparse.Namespace) -> audit_pb2.HitFilter:
    found = audit_pb2.HitFilter(
        lane_id=args.lane,
        watchlist=args.watchlist,
        outcome=OUTCOME_TO_PB[Outcome(args.outcome)] if args.outcome else None,
        disposition=args.disposition or ("pending" if getattr(args, "queue", False) else ""),
    )
    if args.since is not None:
        found.since.CopyFrom(timestamp(args.since))
    if args.until is not None:
        found.until.CopyFrom(timestamp(args.until))
    return found


@through_api
def run_export(args: argparse.Namespace, config: Config, api: Api) -> int:
    """The API's ExportHits stream, written as it comes (the server trails who, why, what)."""
    request = audit_pb2.ExportHitsRequest(
        filter=hit_filter(args),
        format=audit_pb2.EXPORT_FORMAT_CSV
        if args.format == "csv"
        else audit_pb2.EXPORT_FORMAT_JSONL,
        reason=args.reason,
    )
    chunks = api.stream(api.audit.ExportHits, request)
    if args.output is None:
        for chunk in chunks:
            sys.stdout.buffer.write(chunk.data)
        sys.stdout.flush()
        return 0
    written = 0
    try:
        with args.output.open("wb") as out:
            for chunk in chunks:
                out.write(chunk.data)
                written += len(chunk.data)
    except OSError as exc:
        return fail(f"cannot write {args.output}: {exc.strerror or exc}")
    print(f"exported {written} bytes to {args.output}", file=sys.stderr)
    return 0


@through_api
def run_hits(args: argparse.Namespace, config: Config, api: Api) -> int:
    if args.limit < 1:
        return fail("--limit must be at least 1", 2)
    found: list[Any] = []
    token = ""
    while len(found) < args.limit:
        page = api.call(
            api.audit.ListHits,
            audit_pb2.ListHitsRequest(
                filter=hit_filter(args),
                page_size=min(args.limit - len(found), MAX_PAGE_SIZE),
                page_token=token,
            ),
        )
        found.extend(page.hits)
        token = page.next_page_token
        if not token:
            break
    if args.json:
        print_json({"hits": [_as_json(d) for d in found], "more": bool(token)})
        return 0
    if not found:
        print("no alerts match")
    for d in found:
        best = d.matches[0] if d.matches else None
        plate = d.plates[0].text if d.plates else "-"
        listed = f"{best.watchlist_name}/{best.category or '-'}" if best else "-"
        detail = d.reasons[0].detail if d.reasons else ""
        frames = f"{d.alert.frames} frame{'s' if d.alert.frames != 1 else ''}"
        outcome = OUTCOME_FROM_PB[d.outcome].value
        decided = from_timestamp(d.decided_at)
        print(
            f"{decided.isoformat() if decided else '-'}  {d.decision_id[:8]}  {d.lane_id}  "
            f"{outcome:<6} {plate:<10} {frames:>9}  {listed}  {detail}"
        )
        print(f"    decision {d.decision_id}")
    if token:
        print(f"(more: raise --limit above {args.limit} to see them)")
    return 0


def _as_json(message: Any) -> dict[str, Any]:
    """A reply as JSON, field names as in the .proto files."""
    from google.protobuf.json_format import MessageToDict

    return dict(MessageToDict(message, preserving_proto_field_name=True))


@handles_errors
def run_purge(args: argparse.Namespace, config: Config, db: Database) -> int:
    removed = Retention(db, config.storage).purge(actor=f"{actor_of(args)} (audit purge)")
    if args.json:
        print_json({"purged": removed})
    else:
        print("purged " + ", ".join(f"{n} {name}" for name, n in removed.items()))
    return 0


def _age(delta: timedelta | None) -> str:
    if delta is None:
        return "forever"
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours < 72 else f"{hours / 24:g} days"


@handles_errors
def run_retention(args: argparse.Namespace, config: Config, db: Database) -> int:
    states = Retention(db, config.storage).report()
    if args.json:
        print_json(
            {
                "classes": [
                    {
                        "name": s.data_class.name,
                        "what": s.data_class.what,
                        "keep_s": s.data_class.keep.total_seconds() if s.data_class.keep else None,
                        "count": s.count,
                        "oldest": s.oldest.isoformat() if s.oldest else None,
                        "due": s.due,
                    }
                    for s in states
                ],
                "face_images_of_reviews": config.storage.keep_review_face_images,
            }
        )
        return 0
    for s in states:
        oldest = s.oldest.isoformat(timespec="seconds") if s.oldest else "-"
        print(
            f"{s.data_class.name:<17} kept {_age(s.data_class.keep):<10} {s.count:>8} held, "
            f"oldest {oldest:<25} {s.due:>6} due  ({s.data_class.what})"
        )
    faces = (
        "kept with HITs and REVIEWs"
        if config.storage.keep_review_face_images
        else ("kept only with HITs; never for people who matched nothing")
    )
    print(f"face images: {faces}")
    return 0


@handles_errors
def run_verify(args: argparse.Namespace, config: Config, db: Database) -> int:
    with db.read() as session:
        check = db.trail.verify(session)
    hit_log = DecisionStore(db).verify_against_trail() if check.ok else None
    ok = check.ok and hit_log is not None and hit_log.ok
    if args.json:
        print_json(
            {
                "ok": ok,
                "records": check.records,
                "chain": check.chain,
                "broken_seq": check.broken_seq,
                "problem": check.problem or (hit_log.problem if hit_log else ""),
                "broken_decision": hit_log.broken_decision if hit_log else None,
                "decisions_checked": hit_log.decisions if hit_log else 0,
                "head_hash": check.head_hash,
                "chains": {c: {"records": n, "head_hash": h} for c, (n, h) in check.chains.items()},
                "keyed": db.trail.keyed,
            }
        )
    elif not check.ok:
        print(
            f"audit trail BROKEN in chain {check.chain} at record {check.broken_seq}: "
            f"{check.problem} ({check.records} records before it verify)"
        )
    elif hit_log is not None and not hit_log.ok:
        print(f"hit log does not match the audit trail: {hit_log.problem}")
    else:
        decisions = hit_log.decisions if hit_log else 0
        per_chain = ", ".join(f"{c} {n}" for c, (n, _) in check.chains.items())
        print(
            f"audit trail intact: {check.records} records in {len(check.chains)} chains "
            f"({per_chain}), {decisions} stored decisions match "
            f"it; site chain head hash {check.head_hash}"
        )
    return 0 if ok else 1


@through_api
def run_dispose(args: argparse.Namespace, config: Config, api: Api) -> int:
    found = api.call(
        api.audit.DisposeHit,
        audit_pb2.DisposeHitRequest(
            decision_id=args.decision_id, verdict=args.verdict, code=args.code, note=args.note
        ),
    )
    if args.json:
        print_json(_as_json(found))
    else:
        print(f"{found.decision_id}: {found.verdict} ({found.code}) by {found.actor}")
    return 0


@through_api
def run_stats(args: argparse.Namespace, config: Config, api: Api) -> int:
    stats = api.call(api.audit.GetDispositionStats, hit_filter(args))
    rows = {
        c.outcome: {
            "pending": c.pending,
            "confirmed": c.confirmed,
            "dismissed": c.dismissed,
            "confirmed_share": c.confirmed / (c.confirmed + c.dismissed)
            if c.confirmed + c.dismissed
            else None,
        }
        for c in sorted(stats.by_outcome, key=lambda c: c.outcome)
    }
    by_code = dict(sorted(stats.by_code.items()))
    if args.json:
        print_json({"by_outcome": rows, "by_code": by_code})
        return 0
    if not rows:
        print("no alerts match")
    for outcome, row in rows.items():
        share = row["confirmed_share"]
        shown = (
            f"{share:.1%} of those disposed of confirmed"
            if share is not None
            else "none disposed of"
        )
        print(
            f"{outcome:<6} confirmed {row['confirmed']:>6}  dismissed {row['dismissed']:>6}  "
            f"pending {row['pending']:>6}  ({shown})"
        )
    for code, n in by_code.items():
        print(f"  {code:<32} {n:>6}")
    return 0
