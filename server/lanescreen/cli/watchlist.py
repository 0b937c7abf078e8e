"""``lanescreen watchlist``: create lists, import, export, add, enrol, remove, approve, reject
and list entries, through the server's API as the person running it.

Each command is a client of the WatchlistService (:mod:`.client`): the person signs in with
their token over the site's console certificate (or their own certificate), the server checks
their role, applies the two-person rule, names them in the change journal and trails a refusal,
and a lane's next frame sees the change. Exit status: 0 done, 1 failed or refused (the server's
words on standard error), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc

from ..api.mapping import entry_fields_raw, from_timestamp, timestamp
from ..config import Config
from ..domain.governance import ApprovalStatus
from ..domain.importing import format_export, parse_import, refuse_duplicates
from ..domain.watchlists import ListKind, parse_timestamp, validate_entry
from ..errors import ConflictError, InvalidRequestError, NotFoundError
from ..v1 import common_pb2, site_pb2, watchlist_pb2
from .client import Api, add_person_flags, through_api
from .common import add_json_flag, fail, print_json

PAGE = 1000
_KINDS = {"deny": common_pb2.LIST_KIND_DENY, "allow": common_pb2.LIST_KIND_ALLOW}
_KIND_NAMES = {number: name for name, number in _KINDS.items()}
_STATUSES: dict[str, watchlist_pb2.ApprovalStatus] = {
    ApprovalStatus.ACTIVE.value: watchlist_pb2.APPROVAL_STATUS_ACTIVE,
    ApprovalStatus.PENDING.value: watchlist_pb2.APPROVAL_STATUS_PENDING,
    ApprovalStatus.REJECTED.value: watchlist_pb2.APPROVAL_STATUS_REJECTED,
}
_STATUS_NAMES = {number: name for name, number in _STATUSES.items()}
_FORMATS = {
    "auto": watchlist_pb2.IMPORT_FORMAT_UNSPECIFIED,
    "csv": watchlist_pb2.IMPORT_FORMAT_CSV,
    "json": watchlist_pb2.IMPORT_FORMAT_JSON,
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "watchlist",
        help="manage deny and allow lists and their plate entries",
        description="Manage watchlists through the server's API, as yourself (a token over the "
        "site's console certificate, or your own certificate): the server checks your role and "
        "records your name with each change. File formats: watchlists/README.md.",
    )
    actions = parser.add_subparsers(dest="watchlist_command", metavar="ACTION", required=True)
    shared = argparse.ArgumentParser(add_help=False)
    add_person_flags(shared)
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
        "accepted photos (exit 0), or not at all if none is accepted (exit 1). The server "
        "assesses the photos with its face models (it must screen faces).",
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
        description=f"Approve {review}. Needs the supervisor role, and the approver must not be "
        "the person who made the change (two-person rule).",
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


def _when(ts: Any, has: bool = True) -> str | None:
    moment = from_timestamp(ts) if has else None
    return moment.isoformat() if moment else None


def watchlist_json(wl: Any) -> dict[str, Any]:
    return {
        "id": wl.id,
        "name": wl.name,
        "kind": _KIND_NAMES.get(wl.kind, ""),
        "description": wl.description,
        "version": wl.version,
        "entry_count": wl.entry_count,
        "subject_count": wl.subject_count,
        "created_at": _when(wl.created_at),
        "created_by": wl.created_by,
    }


def _listed_json(item: Any) -> dict[str, Any]:
    """What plate entries and face subjects share: governance, authorship, approval."""
    return {
        "category": item.category,
        "action": item.action,
        "priority": item.priority,
        "reason": item.reason,
        "legal_basis": item.legal_basis,
        "owner": item.owner,
        "case_number": item.case_number,
        "expires_at": _when(item.expires_at, item.HasField("expires_at")),
        "created_by": item.created_by,
        "created_at": _when(item.created_at),
        "updated_by": item.updated_by,
        "updated_at": _when(item.updated_at),
        "status": _STATUS_NAMES.get(item.status, ""),
        "reviewed_by": item.reviewed_by,
        "reviewed_at": _when(item.reviewed_at, item.HasField("reviewed_at")),
        "review_note": item.review_note,
    }


def entry_json(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "watchlist_id": entry.watchlist_id,
        "plate": entry.plate,
        "region": entry.region,
        "match_mode": "lenient" if entry.match_mode == common_pb2.MATCH_MODE_LENIENT else "exact",
        "normalized_plate": entry.normalized_plate,
        **_listed_json(entry),
    }


def subject_json(subject: Any) -> dict[str, Any]:
    return {
        "id": subject.id,
        "watchlist_id": subject.watchlist_id,
        "name": subject.name,
        "plates": list(subject.plates),
        "photo_count": subject.photo_count,
        **_listed_json(subject),
    }


def _awaiting(item: Any) -> str:
    """What the officer must know after a change: whether it matches yet."""
    if item.status == watchlist_pb2.APPROVAL_STATUS_PENDING:
        return (
            "; pending: it matches once another person approves it (lanescreen watchlist approve)"
        )
    return ""


def _not_found(exc: grpc.RpcError) -> bool:
    return exc.code() is grpc.StatusCode.NOT_FOUND


@through_api
def run_create(args: argparse.Namespace, config: Config, api: Api) -> int:
    wl = api.call(
        api.watchlists.CreateWatchlist,
        watchlist_pb2.CreateWatchlistRequest(
            name=args.name, kind=_KINDS[args.kind], description=args.description
        ),
    )
    if args.json:
        print_json(watchlist_json(wl))
    else:
        print(f"created {args.kind} list {wl.name!r} (id {wl.id}, version {wl.version})")
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
    args.data, args.import_format = data, fmt
    return _load(args, config)


@through_api
def _load(args: argparse.Namespace, config: Config, api: Api) -> int:
    wl = _list_to_load(args, api)
    if wl is None:
        return _report_import(args, watchlist_pb2.Watchlist(name=args.list), _checked(args))
    try:
        reply = api.call(
            api.watchlists.ImportPlateEntries,
            watchlist_pb2.ImportPlateEntriesRequest(
                watchlist=wl.id,
                format=_FORMATS[args.import_format],
                data=args.data,
                dry_run=args.dry_run,
            ),
        )
    except grpc.RpcError as exc:
        if exc.code() is not grpc.StatusCode.INVALID_ARGUMENT:
            raise
        return fail(f"{args.file}: {exc.details()}; nothing loaded")  # the file as a whole
    return _report_import(args, wl, reply, _approval_threshold(api))


def _checked(args: argparse.Namespace) -> watchlist_pb2.ImportPlateEntriesResponse:
    """A dry run into a list --create-kind would create: the rows checked here, by the same
    domain code the server uses (a new list holds no entry to repeat)."""
    rows = refuse_duplicates(parse_import(args.data, args.import_format))
    return watchlist_pb2.ImportPlateEntriesResponse(
        rejected=sum(1 for r in rows if not r.ok),
        rows=[watchlist_pb2.ImportRowResult(line=r.line, ok=r.ok, error=r.error) for r in rows],
    )


def _list_to_load(args: argparse.Namespace, api: Api) -> Any:
    """The list an import goes into: LIST, or (with --create-kind) a new one; None on a dry
    run that would create it."""
    try:
        wl = api.call(
            api.watchlists.GetWatchlist, watchlist_pb2.GetWatchlistRequest(watchlist=args.list)
        )
    except grpc.RpcError as exc:
        if not _not_found(exc) or not args.create_kind:
            if _not_found(exc):
                raise NotFoundError(
                    f"watchlist {args.list!r} does not exist; create it first or pass --create-kind"
                ) from None
            raise
        if args.dry_run:
            return None
        return api.call(
            api.watchlists.CreateWatchlist,
            watchlist_pb2.CreateWatchlistRequest(name=args.list, kind=_KINDS[args.create_kind]),
        )
    if args.create_kind and wl.kind != _KINDS[args.create_kind]:
        kind = "an allow" if wl.kind == common_pb2.LIST_KIND_ALLOW else "a deny"
        raise ConflictError(f"watchlist {wl.name!r} is {kind} list, not {args.create_kind}")
    return wl


def _approval_threshold(api: Api) -> str:
    """The site's approval_min_priority, as the server applies it."""
    policy = api.call(api.site.GetSitePolicy, site_pb2.GetSitePolicyRequest())
    return str(policy.settings.get("approval_min_priority", "the site's threshold"))


def _report_import(
    args: argparse.Namespace, wl: Any, reply: Any, threshold: str = "the site's threshold"
) -> int:
    rows = list(reply.rows)
    good = [r for r in rows if r.ok]
    loaded = len(good) if args.dry_run else reply.imported
    pending = sum(1 for r in good if r.status == watchlist_pb2.APPROVAL_STATUS_PENDING)
    if args.json:
        print_json(
            {
                "watchlist": wl.name,
                "dry_run": args.dry_run,
                "imported": reply.imported,
                "valid": len(good),
                "rejected": reply.rejected,
                "pending_approval": pending,
                "watchlist_version": reply.watchlist_version,
                "rows": [
                    {"line": r.line, "ok": r.ok, "entry_id": r.entry_id, "error": r.error}
                    for r in rows
                ],
            }
        )
        return 0 if loaded else 1
    for row in rows:
        if not row.ok:
            print(f"{args.file}: line {row.line}: {row.error}", file=sys.stderr)
    verb = "would import" if args.dry_run else "imported"
    after = "" if args.dry_run else f"; {wl.name!r} is now version {reply.watchlist_version}"
    print(f"{verb} {loaded} of {len(rows)} rows into {wl.name!r}, rejected {reply.rejected}{after}")
    if pending and loaded:
        wait = "would wait" if args.dry_run else "wait"
        print(
            f"{pending} entries of priority {threshold} or more {wait} for another person's "
            f"approval before they match (lanescreen watchlist list {wl.name} --status pending)"
        )
    return 0 if loaded else 1


def _all_entries(
    api: Api,
    watchlist: str,
    prefix: str = "",
    status: watchlist_pb2.ApprovalStatus = watchlist_pb2.APPROVAL_STATUS_UNSPECIFIED,
) -> tuple[list[Any], int]:
    """Every current entry at one version: paging restarts if the list changes meanwhile."""
    for _ in range(5):
        entries: list[Any] = []
        versions: set[int] = set()
        token = ""
        while True:
            page = api.call(
                api.watchlists.ListPlateEntries,
                watchlist_pb2.ListPlateEntriesRequest(
                    watchlist=watchlist,
                    page_size=PAGE,
                    page_token=token,
                    plate_prefix=prefix,
                    status=status,
                ),
            )
            entries.extend(page.entries)
            versions.add(page.watchlist_version)
            token = page.next_page_token
            if not token:
                break
        if len(versions) == 1:
            return entries, versions.pop()
    raise InvalidRequestError(f"watchlist {watchlist!r} kept changing while it was read; try again")


def _all_subjects(
    api: Api,
    watchlist: str,
    status: watchlist_pb2.ApprovalStatus = watchlist_pb2.APPROVAL_STATUS_UNSPECIFIED,
) -> Iterator[Any]:
    token = ""
    while True:
        page = api.call(
            api.watchlists.ListSubjects,
            watchlist_pb2.ListSubjectsRequest(
                watchlist=watchlist,
                page_size=PAGE,
                page_token=token,
                status=status,
            ),
        )
        yield from page.subjects
        token = page.next_page_token
        if not token:
            return


@through_api
def run_export(args: argparse.Namespace, config: Config, api: Api) -> int:
    wl = api.call(
        api.watchlists.GetWatchlist, watchlist_pb2.GetWatchlistRequest(watchlist=args.list)
    )
    entries, version = _all_entries(api, wl.id)
    fields = [validate_entry(entry_fields_raw(e)) for e in entries]
    data = format_export(fields, "json" if args.json else "csv")
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


def _governance(args: argparse.Namespace, message: Any) -> None:
    """The governance options ``add`` and ``enrol`` share, set on an entry or subject."""
    for name in ("category", "action", "reason", "legal_basis", "owner", "case_number"):
        setattr(message, name, getattr(args, name))
    priority = str(args.priority).strip()
    if priority:
        if not priority.lstrip("-").isdigit():
            raise InvalidRequestError(f"priority: {priority!r} is not a whole number")
        message.priority = int(priority)
    expires = parse_timestamp(args.expires, "expires_at") if args.expires else None
    if expires is not None:
        if expires <= datetime.now(UTC):
            raise InvalidRequestError(f"expires_at: {expires.isoformat()} is already past")
        message.expires_at.CopyFrom(timestamp(expires))


@through_api
def run_add(args: argparse.Namespace, config: Config, api: Api) -> int:
    entry = watchlist_pb2.PlateEntry(
        plate=args.plate,
        region=args.region,
        match_mode=common_pb2.MATCH_MODE_LENIENT
        if args.mode == "lenient"
        else common_pb2.MATCH_MODE_EXACT,
    )
    _governance(args, entry)
    added = api.call(
        api.watchlists.AddPlateEntry,
        watchlist_pb2.AddPlateEntryRequest(watchlist=args.list, entry=entry),
    )
    if args.json:
        print_json(entry_json(added))
    else:
        print(
            f"added {added.plate} ({added.normalized_plate}, {entry_json(added)['match_mode']}) "
            f"as {added.id}{_awaiting(added)}"
        )
    return 0


@through_api
def run_enrol(args: argparse.Namespace, config: Config, api: Api) -> int:
    try:
        photos = [path.read_bytes() for path in args.photos]
    except OSError as exc:
        return fail(f"cannot read {exc.filename}: {exc.strerror or exc}", 2)
    subject = watchlist_pb2.FaceSubject(name=args.name, plates=args.plate)
    _governance(args, subject)
    reply = api.call(
        api.watchlists.EnrolSubject,
        watchlist_pb2.EnrolSubjectRequest(watchlist=args.list, subject=subject, photos=photos),
    )
    results = list(reply.photos)
    enrolled = reply.subject if reply.HasField("subject") else None
    if args.json:
        print_json(
            {
                "subject": subject_json(enrolled) if enrolled else None,
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
        if enrolled:
            print(
                f"enrolled {enrolled.name!r} in {args.list!r} from {enrolled.photo_count} of "
                f"{len(photos)} photos as {enrolled.id}{_awaiting(enrolled)}"
            )
    return 0 if enrolled else fail("nothing enrolled")


def _entry_or_subject(api: Api, item_id: str) -> Any:
    """The current plate entry or face subject with this id; the server's NOT_FOUND (or ours,
    naming both) if neither."""
    try:
        return api.call(
            api.watchlists.GetPlateEntry, watchlist_pb2.GetPlateEntryRequest(entry_id=item_id)
        )
    except grpc.RpcError as not_entry:
        if not _not_found(not_entry) or "was removed" in str(not_entry.details()):
            raise
    try:
        return api.call(
            api.watchlists.GetSubject, watchlist_pb2.GetSubjectRequest(subject_id=item_id)
        )
    except grpc.RpcError as not_subject:
        if not _not_found(not_subject) or "was removed" in str(not_subject.details()):
            raise
    raise NotFoundError(f"{item_id!r} is neither a plate entry nor a face subject")


def _is_subject(item: Any) -> bool:
    return isinstance(item, watchlist_pb2.FaceSubject)


@through_api
def run_remove(args: argparse.Namespace, config: Config, api: Api) -> int:
    item = _entry_or_subject(api, args.entry_id)
    if _is_subject(item):
        reply = api.call(
            api.watchlists.RemoveSubject,
            watchlist_pb2.RemoveSubjectRequest(subject_id=item.id, reason=args.reason),
        )
        said = f"removed subject {item.name!r} ({item.id}) and deleted their face templates"
        key = "subject_id"
    else:
        reply = api.call(
            api.watchlists.RemovePlateEntry,
            watchlist_pb2.RemovePlateEntryRequest(entry_id=item.id, reason=args.reason),
        )
        said = f"removed {item.plate} ({item.id})"
        key = "entry_id"
    if args.json:
        print_json(
            {
                key: item.id,
                "watchlist_id": item.watchlist_id,
                "watchlist_version": reply.watchlist_version,
            }
        )
    else:
        print(f"{said}; the list is now version {reply.watchlist_version}")
    return 0


@through_api
def run_list(args: argparse.Namespace, config: Config, api: Api) -> int:
    status = _STATUSES.get(args.status or "", watchlist_pb2.APPROVAL_STATUS_UNSPECIFIED)
    if not args.list:
        if status:
            raise InvalidRequestError("--status: name the list (LIST) to filter")
        lists = api.call(
            api.watchlists.ListWatchlists, watchlist_pb2.ListWatchlistsRequest()
        ).watchlists
        if args.json:
            print_json({"watchlists": [watchlist_json(wl) for wl in lists]})
            return 0
        for wl in lists:
            print(
                f"{wl.name:<24} {_KIND_NAMES.get(wl.kind, ''):<5} {wl.entry_count:>7} entries "
                f"{wl.subject_count:>5} faces  v{wl.version:<5} {wl.description}"
            )
        return 0
    wl = api.call(
        api.watchlists.GetWatchlist, watchlist_pb2.GetWatchlistRequest(watchlist=args.list)
    )
    entries, version = _all_entries(api, wl.id, args.prefix, status)
    subjects = list(_all_subjects(api, wl.id, status))
    if args.json:
        print_json(
            {
                "watchlist": {**watchlist_json(wl), "version": version},
                "entries": [entry_json(e) for e in entries],
                "subjects": [subject_json(s) for s in subjects],
            }
        )
        return 0
    _print_list(args, wl, version, entries, subjects)
    return 0


def _print_list(
    args: argparse.Namespace, wl: Any, version: int, entries: list[Any], subjects: list[Any]
) -> None:
    which = f" {args.status}" if args.status else ""
    shown = f"{len(entries)}{which} entries"
    shown += f" starting {args.prefix!r}" if args.prefix else ""
    shown += f", {len(subjects)}{which} face subjects"
    print(f"{wl.name} ({_KIND_NAMES.get(wl.kind, '')} list, version {version}): {shown}")
    for e in entries:
        j = entry_json(e)
        print(
            f"  {e.normalized_plate:<12} {j['match_mode']:<7} {e.category or '-':<12} {e.action:<8} "
            f"p{e.priority:<3} {j['status']:<8} expires {j['expires_at'] or '-':<25} {e.id}"
            f"{_changed_by(e)}"
        )
    for s in subjects:
        j = subject_json(s)
        print(
            f"  face {s.name:<24} {s.category or '-':<12} {s.action:<8} p{s.priority:<3} "
            f"{j['status']:<8} photos {s.photo_count:<3} plates {','.join(s.plates) or '-':<16} "
            f"expires {j['expires_at'] or '-':<25} {s.id}{_changed_by(s)}"
        )


def _changed_by(item: Any) -> str:
    """For a listing awaiting review, who made the change (they may not approve it)."""
    if item.status == watchlist_pb2.APPROVAL_STATUS_PENDING:
        return f"  changed by {item.updated_by or item.created_by}"
    if item.status == watchlist_pb2.APPROVAL_STATUS_REJECTED:
        return f"  rejected by {item.reviewed_by}: {item.review_note}"
    return ""


@through_api
def run_review(args: argparse.Namespace, config: Config, api: Api) -> int:
    """``approve`` or ``reject`` (``args.verdict``) a pending plate entry or face subject."""
    target = _entry_or_subject(api, args.entry_id)
    approve = args.verdict is ApprovalStatus.ACTIVE
    if _is_subject(target):
        method = api.watchlists.ApproveSubject if approve else api.watchlists.RejectSubject
        request: Any = (
            watchlist_pb2.ApproveSubjectRequest if approve else watchlist_pb2.RejectSubjectRequest
        )(subject_id=target.id, note=args.note)
        what = f"subject {target.name!r}"
    else:
        method = api.watchlists.ApprovePlateEntry if approve else api.watchlists.RejectPlateEntry
        request = (
            watchlist_pb2.ApprovePlateEntryRequest
            if approve
            else watchlist_pb2.RejectPlateEntryRequest
        )(entry_id=target.id, note=args.note)
        what = f"entry {target.plate}"
    reviewed = api.call(method, request)
    if args.json:
        print_json(subject_json(reviewed) if _is_subject(reviewed) else entry_json(reviewed))
    else:
        outcome = "approved" if approve else "rejected"
        then = "it matches from now" if approve else "it never matches; an edit submits it again"
        changed = target.updated_by or target.created_by
        print(f"{outcome} {what} ({target.id}) changed by {changed}; {then}")
    return 0
