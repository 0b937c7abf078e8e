"""``lanescreen watchlist``: create lists, import, export, add, enrol, remove, approve, reject
and list entries.

These commands work on the database directly (``storage.database_url``), so they run where the
server runs, and while it runs: the server notices every change within a second. Each change
is recorded with its actor: ``--actor``, else ``$LANESCREEN_ACTOR``, else the login name.
Whoever runs them is trusted as an administrator: roles are the gRPC server's check, but the
two-person rule still holds by actor name (``approve`` refuses the actor who made the change).
Exit status: 0 done, 1 failed (nothing loaded, unknown list, refused...), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import Config
from ..domain.faces import FaceSubject, validate_subject
from ..domain.governance import Approval, ApprovalPolicy, ApprovalStatus
from ..domain.importing import (
    ImportRow,
    format_export,
    parse_import,
    plate_key,
    refuse_duplicates,
)
from ..domain.watchlists import (
    GOVERNANCE_FIELD_NAMES,
    EntryError,
    ListKind,
    PlateEntry,
    Watchlist,
    validate_entry,
)
from ..errors import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    PreconditionError,
)
from ..store.db import Database, StoreError, open_configured
from ..store.faces import FaceStore
from ..store.site import adopt_site_policy
from ..store.watchlists import MAX_PAGE_SIZE, WatchlistStore
from .common import add_json_flag, fail, print_json

Handler = Callable[[argparse.Namespace, Config], int]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "watchlist",
        help="manage deny and allow lists and their plate entries",
        description="Manage watchlists in the configured database. File formats: watchlists/README.md.",
    )
    actions = parser.add_subparsers(dest="watchlist_command", metavar="ACTION", required=True)
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument(
        "--actor", default="", help="who makes the change (default: $LANESCREEN_ACTOR or login)"
    )
    add_json_flag(shared)
    _register_lists(actions, shared)
    _register_listings(actions, shared)
    _register_reviews(actions, shared)


def _register_lists(actions: Any, shared: argparse.ArgumentParser) -> None:
    """create, import, export, list: whole lists."""
    kinds = [k.value for k in ListKind]
    create = actions.add_parser("create", parents=[shared], help="create an empty list")
    create.add_argument("name", help="the list's name, unique; lanes name their lists by it")
    create.add_argument(
        "--kind",
        required=True,
        choices=kinds,
        help="deny: a listed plate is a HIT; allow: on a lane naming it, an unlisted plate is a REVIEW",
    )
    create.add_argument("--description", default="", help="what the list is for, for officers")
    create.set_defaults(handler=run_create)

    load = actions.add_parser(
        "import",
        parents=[shared],
        help="load entries from a CSV or JSON file",
        description="Every row is checked; bad rows are reported with their line numbers and the "
        "good ones load in one transaction. Exit 0 if any row loaded, 1 if none.",
    )
    load.add_argument("list", metavar="LIST", help="list id or name")
    load.add_argument("file", metavar="FILE", help="CSV or JSON file ('-' reads standard input)")
    load.add_argument(
        "--format",
        choices=["auto", "csv", "json"],
        default="auto",
        help="the file's format (default: auto, told from its content)",
    )
    load.add_argument("--create-kind", choices=kinds, help="create LIST with this kind if missing")
    load.add_argument("--dry-run", action="store_true", help="check every row, load nothing")
    load.set_defaults(handler=run_import)

    export = actions.add_parser(
        "export",
        parents=[shared],
        help="write a list's entries as CSV (--json: the JSON import format)",
    )
    export.add_argument("list", metavar="LIST", help="list id or name")
    export.add_argument(
        "-o", "--output", type=Path, help="file to write (default: standard output)"
    )
    export.set_defaults(handler=run_export)

    show = actions.add_parser(
        "list", parents=[shared], help="the lists, or the entries of one list"
    )
    show.add_argument(
        "list", metavar="LIST", nargs="?", default="", help="list id or name (default: every list)"
    )
    show.add_argument("--prefix", default="", help="only plates starting with this")
    show.add_argument(
        "--status",
        choices=[s.value for s in ApprovalStatus],
        help="only entries and subjects in this approval state (pending: awaiting approval)",
    )
    show.set_defaults(handler=run_list)


def _listing_fields() -> argparse.ArgumentParser:
    """What every plate entry and face subject answers for (docs/security.md, governance)."""
    fields = argparse.ArgumentParser(add_help=False)
    fields.add_argument(
        "--category", default="", help="what the listing is, e.g. stolen, wanted, resident, staff"
    )
    fields.add_argument(
        "--action", default="", help="what officers do on a match, e.g. stop, alert, allow"
    )
    fields.add_argument(
        "--priority",
        default="",
        help="0-100 (default 50); at governance.approval_min_priority (80) or more it matches "
        "only once a supervisor approves",
    )
    fields.add_argument("--reason", default="", help="why it is listed (kept with every change)")
    fields.add_argument(
        "--legal-basis", default="", help="the warrant, order or policy that allows listing it"
    )
    fields.add_argument("--case-number", default="", help="case or file reference")
    fields.add_argument("--owner", default="", help="person or unit answerable for the listing")
    fields.add_argument("--expires", default="", help="ISO 8601 date or date-time (UTC if no zone)")
    return fields


def _register_listings(actions: Any, shared: argparse.ArgumentParser) -> None:
    """add, enrol, remove: one plate entry or face subject."""
    fields = _listing_fields()
    add = actions.add_parser("add", parents=[shared, fields], help="add one plate entry")
    add.add_argument("list", metavar="LIST", help="list id or name")
    add.add_argument("plate", help="the plate as written; matched in normalised form")
    add.add_argument(
        "--mode",
        choices=["exact", "lenient"],
        default="exact",
        help="exact: the same characters; lenient: also OCR look-alikes (O/0, B/8...) and one "
        "character missing or extra",
    )
    add.add_argument(
        "--region", default="", help="issuing region, e.g. us, us-ca, eu, de, cn (optional)"
    )
    add.set_defaults(handler=run_add)

    enrol = actions.add_parser(
        "enrol",
        parents=[shared, fields],
        help="enrol a person's face from one or more photos",
        description="Each photo must show the subject alone, large, sharp and facing the camera; "
        "a photo that does not is refused with the reason. The subject is enrolled from the "
        "accepted photos (exit 0), or not at all if none is accepted (exit 1). Runs the face "
        "models here, so the model directory must hold them (lanescreen models fetch).",
    )
    enrol.add_argument("list", metavar="LIST", help="list id or name")
    enrol.add_argument("name", help="name, alias or case reference officers use")
    enrol.add_argument("photos", nargs="+", type=Path, metavar="PHOTO", help="JPEG or PNG files")
    enrol.add_argument(
        "--plate",
        action="append",
        default=[],
        help="a vehicle the subject is known to drive (repeat for several)",
    )
    enrol.set_defaults(handler=run_enrol)

    remove = actions.add_parser(
        "remove",
        parents=[shared],
        help="retire a plate entry or a face subject (kept for the record; face data deleted)",
    )
    remove.add_argument("entry_id", metavar="ID", help="plate entry id or face subject id")
    remove.add_argument("--reason", required=True, help="why it is removed (kept with the change)")
    remove.set_defaults(handler=run_remove)


def _register_reviews(actions: Any, shared: argparse.ArgumentParser) -> None:
    """approve, reject: the second person's word on a high-severity change."""
    review = "the pending change of a high-severity plate entry or face subject"
    approve = actions.add_parser(
        "approve",
        parents=[shared],
        help=f"approve {review}, so it matches",
        description=f"Approve {review}. The approver must not be the person who made the change "
        "(two-person rule, by actor name); the server's ApprovePlateEntry also needs the "
        "supervisor role.",
    )
    approve.add_argument("entry_id", metavar="ID", help="plate entry id or face subject id")
    approve.add_argument("--note", default="", help="kept with the approval")
    approve.set_defaults(handler=run_review, verdict=ApprovalStatus.ACTIVE)
    reject = actions.add_parser(
        "reject",
        parents=[shared],
        help=f"reject {review} (kept, never matched; an edit submits it again)",
    )
    reject.add_argument("entry_id", metavar="ID", help="plate entry id or face subject id")
    reject.add_argument("--note", required=True, help="why (for the officer who made the change)")
    reject.set_defaults(handler=run_review, verdict=ApprovalStatus.REJECTED)


def actor_of(args: argparse.Namespace) -> str:
    """``--actor``, else ``$LANESCREEN_ACTOR``, else the login name."""
    if args.actor.strip():
        return str(args.actor).strip()
    if os.environ.get("LANESCREEN_ACTOR", "").strip():
        return os.environ["LANESCREEN_ACTOR"].strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        raise InvalidRequestError(
            "actor: no login name found; pass --actor or set LANESCREEN_ACTOR"
        ) from None


def open_database(config: Config) -> Database:
    """The site's database, with the site's policy applied to ``config`` (what differs from
    this configuration is said on standard error: the site's applies)."""
    db = open_configured(config.storage)
    try:
        differences = adopt_site_policy(db, config, f"node:{config.storage.resolved_node_id()}")
    except BaseException:
        db.close()
        raise
    for difference in differences:
        print(f"lanescreen: note: {difference}", file=sys.stderr)
    return db


def approval_policy(config: Config) -> ApprovalPolicy:
    return ApprovalPolicy(config.governance.approval_min_priority)


def stores(config: Config, db: Database) -> tuple[WatchlistStore, FaceStore]:
    """The plate and face stores, with the site's approval policy."""
    policy = approval_policy(config)
    return WatchlistStore(db, policy), FaceStore(db, policy)


def with_database(config: Config, work: Callable[[Database], int]) -> int:
    """Run ``work`` with the database open; store and domain errors become exit statuses."""
    try:
        with open_database(config) as db:
            return work(db)
    except (InvalidRequestError, EntryError) as exc:
        return fail(str(exc), 2)
    except (NotFoundError, ConflictError, ForbiddenError, PreconditionError, StoreError) as exc:
        return fail(str(exc))


def handles_errors(handler: Callable[[argparse.Namespace, Config, Database], int]) -> Handler:
    """A sub-command handler that gets the open database (see :func:`with_database`)."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace, config: Config) -> int:
        return with_database(config, lambda db: handler(args, config, db))

    return run


def watchlist_json(wl: Watchlist) -> dict[str, Any]:
    return {
        "id": wl.id,
        "name": wl.name,
        "kind": wl.kind.value,
        "description": wl.description,
        "version": wl.version,
        "entry_count": wl.entry_count,
        "subject_count": wl.subject_count,
        "created_at": wl.created_at.isoformat(),
        "created_by": wl.created_by,
    }


def approval_json(approval: Approval) -> dict[str, Any]:
    reviewed = approval.reviewed_at
    return {
        "status": approval.status.value,
        "reviewed_by": approval.reviewed_by,
        "reviewed_at": reviewed.isoformat() if reviewed else None,
        "review_note": approval.note,
    }


def entry_json(entry: PlateEntry) -> dict[str, Any]:
    expires = entry.fields.expires_at
    return {
        "id": entry.id,
        "watchlist_id": entry.watchlist_id,
        **entry.fields.as_dict(),
        "expires_at": expires.isoformat() if expires else None,
        "normalized_plate": entry.normalized_plate,
        "created_by": entry.created_by,
        "created_at": entry.created_at.isoformat(),
        "updated_by": entry.updated_by,
        "updated_at": entry.updated_at.isoformat(),
        **approval_json(entry.approval),
    }


def _awaiting(approval: Approval) -> str:
    """What the officer must know after a change: whether it matches yet."""
    if approval.status is ApprovalStatus.PENDING:
        return (
            "; pending: it matches once another person approves it (lanescreen watchlist approve)"
        )
    return ""


@handles_errors
def run_create(args: argparse.Namespace, config: Config, db: Database) -> int:
    wl = stores(config, db)[0].create_watchlist(
        args.name, ListKind(args.kind), args.description, actor_of(args)
    )
    if args.json:
        print_json(watchlist_json(wl))
    else:
        print(f"created {wl.kind.value} list {wl.name!r} (id {wl.id}, version {wl.version})")
    return 0


def run_import(args: argparse.Namespace, config: Config) -> int:
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        return fail(f"cannot read {args.file}: {exc.strerror or exc}", 2)
    fmt = args.format
    if fmt == "auto" and args.file != "-":
        fmt = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json"}.get(
            Path(args.file).suffix.lower(), "auto"
        )
    try:
        rows = parse_import(data, fmt)
    except InvalidRequestError as exc:
        return fail(f"{args.file}: {exc}; nothing loaded")
    return with_database(config, lambda db: _load(args, stores(config, db)[0], rows))


def _load(args: argparse.Namespace, store: WatchlistStore, rows: list[ImportRow]) -> int:
    try:
        wl: Watchlist | None = store.get_watchlist(args.list)
    except NotFoundError:
        if not args.create_kind:
            raise NotFoundError(
                f"watchlist {args.list!r} does not exist; create it first or pass --create-kind"
            ) from None
        wl = None
    if wl is not None and args.create_kind and wl.kind.value != args.create_kind:
        kind = "an allow" if wl.kind is ListKind.ALLOW else "a deny"
        raise ConflictError(f"watchlist {wl.name!r} is {kind} list, not {args.create_kind}")
    keys = [plate_key(row.fields) for row in rows if row.fields is not None]
    rows = refuse_duplicates(rows, store.listed_plates(wl.id, keys) if wl else None)
    good = [row.fields for row in rows if row.fields is not None]
    ids: list[str] = []
    version = wl.version if wl else 0
    if not args.dry_run and good:
        actor = actor_of(args)
        if wl is None:
            wl = store.create_watchlist(args.list, ListKind(args.create_kind), "", actor)
        ids, version = _import_with_progress(store, wl.id, good, actor, quiet=args.json)
    rejected = [row for row in rows if not row.ok]
    name = wl.name if wl else args.list
    loaded = len(good) if args.dry_run else len(ids)
    policy = store.policy
    pending = sum(1 for fields in good if policy.needs_approval(fields.priority))
    if args.json:
        id_by_line = dict(zip((row.line for row in rows if row.ok), ids, strict=False))
        print_json(
            {
                "watchlist": name,
                "dry_run": args.dry_run,
                "imported": len(ids),
                "valid": len(good),
                "rejected": len(rejected),
                "pending_approval": pending,
                "watchlist_version": version,
                "rows": [
                    {
                        "line": r.line,
                        "ok": r.ok,
                        "entry_id": id_by_line.get(r.line, ""),
                        "error": r.error,
                    }
                    for r in rows
                ],
            }
        )
    else:
        for row in rejected:
            print(f"{args.file}: {row.describe()}", file=sys.stderr)
        verb = "would import" if args.dry_run else "imported"
        after = "" if args.dry_run else f"; {name!r} is now version {version}"
        print(f"{verb} {loaded} of {len(rows)} rows into {name!r}, rejected {len(rejected)}{after}")
        if pending and loaded:
            wait = "would wait" if args.dry_run else "wait"
            print(
                f"{pending} entries of priority {policy.min_priority} or more {wait} for another "
                f"person's approval before they match (lanescreen watchlist list {name} "
                "--status pending)"
            )
    return 0 if loaded else 1


def _import_with_progress(
    store: WatchlistStore, watchlist_id: str, good: list[Any], actor: str, *, quiet: bool
) -> tuple[list[str], int]:
    from tqdm import tqdm

    with tqdm(
        total=len(good), unit=" entries", file=sys.stderr, disable=True if quiet else None
    ) as bar:
        return store.import_entries(watchlist_id, good, actor, progress=bar.update)


def _all_entries(
    store: WatchlistStore,
    watchlist: str,
    prefix: str = "",
    status: ApprovalStatus | None = None,
) -> tuple[list[PlateEntry], int]:
    """Every current entry at one version: paging restarts if the list changes meanwhile."""
    for _ in range(5):
        entries: list[PlateEntry] = []
        token = ""
        versions: set[int] = set()
        while True:
            page, token, version = store.list_entries(
                watchlist,
                page_size=MAX_PAGE_SIZE,
                page_token=token,
                plate_prefix=prefix,
                status=status,
            )
            entries.extend(page)
            versions.add(version)
            if not token:
                break
        if len(versions) == 1:
            return entries, versions.pop()
    raise ConflictError(f"watchlist {watchlist!r} kept changing while it was read; try again")


def _all_subjects(
    faces: FaceStore, watchlist_id: str, status: ApprovalStatus | None = None
) -> list[FaceSubject]:
    subjects: list[FaceSubject] = []
    token = ""
    while True:
        page, token, _ = faces.list_subjects(
            watchlist_id, page_size=MAX_PAGE_SIZE, page_token=token, status=status
        )
        subjects.extend(page)
        if not token:
            return subjects


@handles_errors
def run_export(args: argparse.Namespace, config: Config, db: Database) -> int:
    store = stores(config, db)[0]
    wl = store.get_watchlist(args.list)
    entries, version = _all_entries(store, wl.id)
    data = format_export([e.fields for e in entries], "json" if args.json else "csv")
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        args.output.write_bytes(data)
    except OSError as exc:
        return fail(f"cannot write {args.output}: {exc.strerror or exc}")
    print(
        f"exported {len(entries)} entries of {wl.name!r} (version {version}) to {args.output}",
        file=sys.stderr,
    )
    return 0


def _governance_args(args: argparse.Namespace) -> dict[str, Any]:
    """The governance options ``add`` and ``enrol`` share, by the domain's field names."""
    raw = {name: getattr(args, name) for name in GOVERNANCE_FIELD_NAMES if name != "expires_at"}
    raw["expires_at"] = args.expires
    return raw


@handles_errors
def run_add(args: argparse.Namespace, config: Config, db: Database) -> int:
    raw = {
        "plate": args.plate,
        "region": args.region,
        "match_mode": args.mode,
        **_governance_args(args),
    }
    fields = validate_entry(raw, now=datetime.now(UTC))
    entry = stores(config, db)[0].add_entry(args.list, fields, actor_of(args))
    if args.json:
        print_json(entry_json(entry))
    else:
        print(
            f"added {entry.fields.plate} ({entry.normalized_plate}, "
            f"{entry.fields.match_mode.value}) as {entry.id}{_awaiting(entry.approval)}"
        )
    return 0


@handles_errors
def run_enrol(args: argparse.Namespace, config: Config, db: Database) -> int:
    from ..domain.enrolment import Enroller, refusals
    from ..vision.faces.pipeline import build_face_pipeline, ensure_face_models
    from ..vision.faces.workers import InProcessAnalyser

    raw = {
        "name": args.name,
        "plates": args.plate,
        **_governance_args(args),
    }
    fields = validate_subject(raw, now=datetime.now(UTC))
    lists, face_store = stores(config, db)
    watchlist = lists.get_watchlist(args.list)
    try:
        photos = [path.read_bytes() for path in args.photos]
    except OSError as exc:
        return fail(f"cannot read {exc.filename}: {exc.strerror or exc}", 2)
    faces = config.faces
    ensure_face_models(faces, config.vision, config.model_dir, progress=not args.json)
    enroller = Enroller(
        InProcessAnalyser(build_face_pipeline(faces, config.model_dir)),
        embedder=faces.face_embedder,
        max_bytes=config.server.max_frame_bytes,
        max_pixels=config.server.max_frame_pixels,
    )
    results = enroller.assess(photos)
    templates = [r.template for r in results if r.template is not None]
    subject = None
    if templates:
        subject = face_store.enrol(watchlist.id, fields, templates, actor_of(args))
    if args.json:
        print_json(
            {
                "subject": subject_json(subject) if subject else None,
                "photos": [
                    {
                        "file": str(path),
                        "ok": r.ok,
                        "error": r.error,
                        "eye_distance_px": round(r.eye_distance_px, 1),
                        "sharpness": round(r.sharpness, 1),
                        "camera_type": r.camera_type,
                    }
                    for path, r in zip(args.photos, results, strict=True)
                ],
            }
        )
    else:
        for path, r in zip(args.photos, results, strict=True):
            print(f"{path}: {'accepted' if r.ok else r.error}", file=sys.stderr)
        if subject:
            print(
                f"enrolled {subject.fields.name!r} in {watchlist.name!r} from "
                f"{subject.template_count} of {len(photos)} photos as {subject.id}"
                f"{_awaiting(subject.approval)}"
            )
    if subject is None:
        return fail(f"nothing enrolled: {refusals(results)}")
    return 0


def subject_json(subject: FaceSubject) -> dict[str, Any]:
    expires = subject.fields.expires_at
    return {
        "id": subject.id,
        "watchlist_id": subject.watchlist_id,
        **subject.fields.as_dict(),
        "expires_at": expires.isoformat() if expires else None,
        "photo_count": subject.template_count,
        "created_by": subject.created_by,
        "created_at": subject.created_at.isoformat(),
        "updated_by": subject.updated_by,
        "updated_at": subject.updated_at.isoformat(),
        **approval_json(subject.approval),
    }


def _entry_or_subject(
    store: WatchlistStore, faces: FaceStore, item_id: str
) -> PlateEntry | FaceSubject:
    """The current plate entry or face subject with this id, or ``NotFoundError`` saying which."""
    try:
        return store.get_entry(item_id)
    except NotFoundError as not_entry:
        try:
            return faces.get_subject(item_id)
        except NotFoundError as not_subject:
            for known in (not_entry, not_subject):
                if "was removed" in str(known):
                    raise known from None
            raise NotFoundError(
                f"{item_id!r} is neither a plate entry nor a face subject"
            ) from None


@handles_errors
def run_remove(args: argparse.Namespace, config: Config, db: Database) -> int:
    store, faces = stores(config, db)
    entry = _entry_or_subject(store, faces, args.entry_id)
    if isinstance(entry, FaceSubject):
        subject = entry
        version = faces.remove_subject(subject.id, actor_of(args), args.reason)
        if args.json:
            print_json(
                {
                    "subject_id": subject.id,
                    "watchlist_id": subject.watchlist_id,
                    "watchlist_version": version,
                }
            )
        else:
            print(
                f"removed subject {subject.fields.name!r} ({subject.id}) and deleted their face "
                f"templates; the list is now version {version}"
            )
        return 0
    version = store.remove_entry(entry.id, actor_of(args), args.reason)
    if args.json:
        print_json(
            {"entry_id": entry.id, "watchlist_id": entry.watchlist_id, "watchlist_version": version}
        )
    else:
        print(f"removed {entry.fields.plate} ({entry.id}); the list is now version {version}")
    return 0


@handles_errors
def run_list(args: argparse.Namespace, config: Config, db: Database) -> int:
    store, faces = stores(config, db)
    status = ApprovalStatus(args.status) if args.status else None
    if not args.list:
        if status is not None:
            raise InvalidRequestError("--status: name the list (LIST) to filter")
        lists = store.list_watchlists()
        if args.json:
            print_json({"watchlists": [watchlist_json(wl) for wl in lists]})
        for wl in [] if args.json else lists:
            print(
                f"{wl.name:<24} {wl.kind.value:<5} {wl.entry_count:>7} entries "
                f"{wl.subject_count:>5} faces  v{wl.version:<5} {wl.description}"
            )
        return 0
    wl = store.get_watchlist(args.list)
    entries, version = _all_entries(store, wl.id, args.prefix, status)
    subjects = _all_subjects(faces, wl.id, status)
    if args.json:
        print_json(
            {
                "watchlist": {**watchlist_json(wl), "version": version},
                "entries": [entry_json(e) for e in entries],
                "subjects": [subject_json(s) for s in subjects],
            }
        )
        return 0
    shown = f"{len(entries)}{f' {status.value}' if status else ''} entries"
    shown += f" starting {args.prefix!r}" if args.prefix else ""
    shown += f", {len(subjects)}{f' {status.value}' if status else ''} face subjects"
    print(f"{wl.name} ({wl.kind.value} list, version {version}): {shown}")
    for e in entries:
        f = e.fields
        expires = f.expires_at.isoformat() if f.expires_at else "-"
        print(
            f"  {e.normalized_plate:<12} {f.match_mode.value:<7} {f.category or '-':<12} {f.action:<8} "
            f"p{f.priority:<3} {e.approval.status.value:<8} expires {expires:<25} {e.id}"
            f"{_changed_by(e.approval, e.updated_by)}"
        )
    for subject in subjects:
        person = subject.fields
        expires = person.expires_at.isoformat() if person.expires_at else "-"
        print(
            f"  face {person.name:<24} {person.category or '-':<12} {person.action:<8} "
            f"p{person.priority:<3} {subject.approval.status.value:<8} "
            f"photos {subject.template_count:<3} "
            f"plates {','.join(person.plates) or '-':<16} expires {expires:<25} {subject.id}"
            f"{_changed_by(subject.approval, subject.updated_by)}"
        )
    return 0


def _changed_by(approval: Approval, updated_by: str) -> str:
    """For a listing awaiting review, who made the change (they may not approve it)."""
    if approval.status is ApprovalStatus.PENDING:
        return f"  changed by {updated_by}"
    if approval.status is ApprovalStatus.REJECTED:
        return f"  rejected by {approval.reviewed_by}: {approval.note}"
    return ""


@handles_errors
def run_review(args: argparse.Namespace, config: Config, db: Database) -> int:
    """``approve`` or ``reject`` (``args.verdict``) a pending plate entry or face subject."""
    store, faces = stores(config, db)
    target = _entry_or_subject(store, faces, args.entry_id)
    actor = actor_of(args)
    approve = args.verdict is ApprovalStatus.ACTIVE
    reviewed: PlateEntry | FaceSubject
    if isinstance(target, FaceSubject):
        reviewed = (
            faces.approve_subject(target.id, actor, args.note)
            if approve
            else faces.reject_subject(target.id, actor, args.note)
        )
        what = f"subject {target.fields.name!r}"
    else:
        reviewed = (
            store.approve_entry(target.id, actor, args.note)
            if approve
            else store.reject_entry(target.id, actor, args.note)
        )
        what = f"entry {target.fields.plate}"
    if args.json:
        print_json(
            subject_json(reviewed) if isinstance(reviewed, FaceSubject) else entry_json(reviewed)
        )
    else:
        outcome = "approved" if approve else "rejected"
        then = "it matches from now" if approve else "it never matches; an edit submits it again"
        print(f"{outcome} {what} ({target.id}) changed by {target.updated_by}; {then}")
    return 0
