"""The console's pages: each handler maps a request to API calls and a template.

Every call is made as the signed-in person (:meth:`Console.call`), so each page shows exactly
what that person's roles let the API give them, and a refused call becomes a page saying so.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.field_mask_pb2 import FieldMask
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..api.mapping import entry_fields_raw
from ..domain.importing import format_export
from ..domain.watchlists import EntryFields, validate_entry
from ..errors import InvalidRequestError
from ..v1 import audit_pb2, common_pb2, site_pb2, watchlist_pb2
from .api import ApiError
from .views import KINDS, OUTCOMES, STATUSES, entry_form, entry_from_form
from .web import Console, back, flash

QUEUE_PAGE = 50
TRAIL_PAGE = 50
ENTRIES_PAGE = 50
MAX_IMPORT_BYTES = 8 * 1024 * 1024
ENTRY_FIELDS = (
    "plate",
    "region",
    "match_mode",
    "category",
    "action",
    "priority",
    "reason",
    "legal_basis",
    "owner",
    "case_number",
    "expires_at",
)


PERIODS = {
    "7": "the last 7 days",
    "30": "the last 30 days",
    "90": "the last 90 days",
    "365": "the last year",
    "": "all time",
}
"""What the audit page counts over; a month by default, which keeps it fast on a site with
years of alerts (every period is a keyset range of the decided_at index)."""


def hit_filter(query: Mapping[str, str]) -> audit_pb2.HitFilter:
    """The hit-log filter of a page's query string (lane, list, outcome, disposition, and
    ``days``: only the alerts of the last so many days)."""
    found = audit_pb2.HitFilter(
        lane_id=query.get("lane", ""),
        watchlist=query.get("list", ""),
        outcome=OUTCOMES.get(query.get("outcome", ""), common_pb2.OUTCOME_UNSPECIFIED),
        disposition=query.get("disposition", ""),
    )
    days = query.get("days", "")
    if days.isdigit():
        found.since.FromDatetime(datetime.now(UTC) - timedelta(days=int(days)))
    return found


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def _choices(console: Console, request: Request) -> tuple[list[Any], list[Any]]:
    """The lanes and lists a filter offers (asked together: one round trip of latency)."""
    lanes, lists = await asyncio.gather(
        console.call(request, console.api.site.ListLanes, site_pb2.ListLanesRequest()),
        console.call(
            request, console.api.watchlists.ListWatchlists, watchlist_pb2.ListWatchlistsRequest()
        ),
    )
    return list(lanes.lanes), list(lists.watchlists)


# --- signing in ---------------------------------------------------------------------------


async def sign_in_page(console: Console, request: Request) -> Response:
    return console.page(request, "signin.html", next=request.query_params.get("next", ""))


async def sign_in(console: Console, request: Request) -> Response:
    form = await _form(request)
    token = form.get("token", "").strip()
    target = form.get("next", "")
    if not target.startswith("/") or target[1:2] in ("/", "\\") or "\\" in target:
        target = "/queue"  # only this console's own pages: no open redirect ("//x", "/\\x")
    try:
        person = await console.api.sign_in(token)
    except ApiError as exc:
        return console.page(request, "signin.html", 401, error=exc.message, next=target)
    console.sessions.start(request, person, token)
    flash(request, f"Signed in as {person.name} ({', '.join(sorted(person.roles))})")
    return back(target)


async def sign_out(console: Console, request: Request) -> Response:
    console.sessions.end(request)
    return back("/signin")


async def home(console: Console, request: Request) -> Response:
    console.signed_in(request)
    return back("/queue")


# --- the alert queue and one alert --------------------------------------------------------


async def queue(console: Console, request: Request) -> Response:
    query = dict(request.query_params)
    query.setdefault("disposition", "pending")
    listing = console.call(
        request,
        console.api.audit.ListHits,
        audit_pb2.ListHitsRequest(
            filter=hit_filter(query), page_size=QUEUE_PAGE, page_token=query.get("page", "")
        ),
    )
    found, (lanes, lists) = await asyncio.gather(listing, _choices(console, request))
    latest = {d.decision_id: d for d in found.dispositions}
    live = {k: v for k, v in query.items() if k in ("lane", "list", "outcome") and v}
    return console.page(
        request,
        "queue.html",
        hits=[(hit, latest.get(hit.decision_id)) for hit in found.hits],
        next_page=found.next_page_token,
        query=query,
        lanes=lanes,
        lists=lists,
        outcomes=list(OUTCOMES),
        live=query.get("disposition") in ("pending", "") and not query.get("page"),
        events="/queue/events?" + "&".join(f"{k}={v}" for k, v in sorted(live.items())),
    )


async def alert(console: Console, request: Request) -> Response:
    decision_id = request.path_params["decision_id"]
    detail, evidence = await asyncio.gather(
        console.call(
            request, console.api.audit.GetHit, audit_pb2.GetHitRequest(decision_id=decision_id)
        ),
        console.call(
            request,
            console.api.audit.GetEvidence,
            audit_pb2.GetEvidenceRequest(decision_id=decision_id),
        ),
    )
    entries, chips = await asyncio.gather(
        _matched_entries(console, request, detail.decision),
        _enrolled_chips(console, request, detail.decision),
    )
    return console.page(
        request,
        "alert.html",
        hit=detail.decision,
        dispositions=list(detail.dispositions),
        evidence=evidence,
        entries=entries,
        chips=chips,
    )


async def _enrolled_chips(
    console: Console, request: Request, decision: Any
) -> dict[str, list[bytes]]:
    """The enrolment chips of each face subject matched: what the driver's chip is compared
    with (each look is trailed by the server)."""
    subjects = [m.entry_id for m in decision.matches if m.subject_kind == "face" and m.entry_id]

    async def fetch(subject_id: str) -> tuple[str, list[bytes]]:
        try:
            found = await console.call(
                request,
                console.api.watchlists.GetSubjectChips,
                watchlist_pb2.GetSubjectRequest(subject_id=subject_id),
            )
        except ApiError as exc:
            if exc.code != "NOT_FOUND":
                raise
            return subject_id, []
        return subject_id, list(found.chips_jpeg)

    return dict(await asyncio.gather(*map(fetch, subjects)))


async def _matched_entries(console: Console, request: Request, decision: Any) -> dict[str, Any]:
    """The current governance record of each matched entry or subject (reason, legal basis,
    owner, case, expiry): what the officer must check before acting. One that is gone since
    is shown as gone, not as an error."""

    async def fetch(match: Any) -> tuple[str, Any]:
        try:
            if match.subject_kind == "face":
                return match.entry_id, await console.call(
                    request,
                    console.api.watchlists.GetSubject,
                    watchlist_pb2.GetSubjectRequest(subject_id=match.entry_id),
                )
            return match.entry_id, await console.call(
                request,
                console.api.watchlists.GetPlateEntry,
                watchlist_pb2.GetPlateEntryRequest(entry_id=match.entry_id),
            )
        except ApiError as exc:
            if exc.code != "NOT_FOUND":
                raise
            return match.entry_id, exc.message

    found = await asyncio.gather(*(fetch(m) for m in decision.matches if m.entry_id))
    return dict(found)


async def dispose(console: Console, request: Request) -> Response:
    decision_id = request.path_params["decision_id"]
    form = await _form(request)
    verdict = form.get("verdict", "")
    record = await console.call(
        request,
        console.api.audit.DisposeHit,
        audit_pb2.DisposeHitRequest(
            decision_id=decision_id,
            verdict=verdict,
            code=form.get(f"code_{verdict}", form.get("code", "")),
            note=form.get("note", ""),
        ),
    )
    flash(request, f"Recorded: {record.verdict} ({record.code})")
    return back(f"/hits/{decision_id}")


# --- watchlists ---------------------------------------------------------------------------


async def watchlists(console: Console, request: Request) -> Response:
    found = await console.call(
        request, console.api.watchlists.ListWatchlists, watchlist_pb2.ListWatchlistsRequest()
    )
    return console.page(request, "watchlists.html", lists=list(found.watchlists), kinds=list(KINDS))


async def create_watchlist(console: Console, request: Request) -> Response:
    form = await _form(request)
    created = await console.call(
        request,
        console.api.watchlists.CreateWatchlist,
        watchlist_pb2.CreateWatchlistRequest(
            name=form.get("name", ""),
            kind=KINDS.get(form.get("kind", ""), common_pb2.LIST_KIND_UNSPECIFIED),
            description=form.get("description", ""),
        ),
    )
    flash(request, f"Created the {form.get('kind')} list {created.name}")
    return back(f"/watchlists/{created.id}")


async def watchlist(console: Console, request: Request) -> Response:
    key = request.path_params["watchlist"]
    query = request.query_params
    found_list, found, faces = await asyncio.gather(
        console.call(
            request,
            console.api.watchlists.GetWatchlist,
            watchlist_pb2.GetWatchlistRequest(watchlist=key),
        ),
        console.call(
            request,
            console.api.watchlists.ListPlateEntries,
            watchlist_pb2.ListPlateEntriesRequest(
                watchlist=key,
                page_size=ENTRIES_PAGE,
                page_token=query.get("page", ""),
                plate_prefix=query.get("q", ""),
                status=STATUSES.get(
                    query.get("status", ""), watchlist_pb2.APPROVAL_STATUS_UNSPECIFIED
                ),
            ),
        ),
        console.call(
            request,
            console.api.watchlists.ListSubjects,
            watchlist_pb2.ListSubjectsRequest(watchlist=key, page_size=ENTRIES_PAGE),
        ),
    )
    return console.page(
        request,
        "watchlist.html",
        wl=found_list,
        entries=list(found.entries),
        subjects=list(faces.subjects),
        more_subjects=bool(faces.next_page_token),
        next_page=found.next_page_token,
        query=dict(query),
        statuses=list(STATUSES),
        form=entry_form(None),
        fields=ENTRY_FIELDS,
    )


async def add_entry(console: Console, request: Request) -> Response:
    key = request.path_params["watchlist"]
    entry = await console.call(
        request,
        console.api.watchlists.AddPlateEntry,
        watchlist_pb2.AddPlateEntryRequest(
            watchlist=key, entry=entry_from_form(await _form(request))
        ),
    )
    flash(request, _stored(entry, "Added"))
    return back(f"/watchlists/{key}")


def _stored(listed: Any, verb: str) -> str:
    """What a change did, for a plate entry or a face subject."""
    what = listed.plate if isinstance(listed, watchlist_pb2.PlateEntry) else listed.name
    if listed.status == watchlist_pb2.APPROVAL_STATUS_PENDING:
        return (
            f"{verb} {what}: priority {listed.priority}, so it waits for a supervisor's "
            "approval and matches nothing until then"
        )
    return f"{verb} {what}: active, matched from the next frame"


async def entry_page(console: Console, request: Request) -> Response:
    entry = await console.call(
        request,
        console.api.watchlists.GetPlateEntry,
        watchlist_pb2.GetPlateEntryRequest(entry_id=request.path_params["entry_id"]),
    )
    return console.page(
        request, "entry.html", entry=entry, form=entry_form(entry), fields=ENTRY_FIELDS
    )


async def update_entry(console: Console, request: Request) -> Response:
    entry_id = request.path_params["entry_id"]
    changed = entry_from_form(await _form(request))
    changed.id = entry_id
    entry = await console.call(
        request,
        console.api.watchlists.UpdatePlateEntry,
        watchlist_pb2.UpdatePlateEntryRequest(
            entry=changed, update_mask=FieldMask(paths=list(ENTRY_FIELDS))
        ),
    )
    flash(request, _stored(entry, "Saved"))
    return back(f"/entries/{entry_id}")


async def remove_entry(console: Console, request: Request) -> Response:
    entry_id = request.path_params["entry_id"]
    form = await _form(request)
    entry = await console.call(
        request,
        console.api.watchlists.GetPlateEntry,
        watchlist_pb2.GetPlateEntryRequest(entry_id=entry_id),
    )
    await console.call(
        request,
        console.api.watchlists.RemovePlateEntry,
        watchlist_pb2.RemovePlateEntryRequest(entry_id=entry_id, reason=form.get("reason", "")),
    )
    flash(request, f"Removed {entry.plate}")
    return back(f"/watchlists/{entry.watchlist_id}")


async def import_entries(console: Console, request: Request) -> Response:
    key = request.path_params["watchlist"]
    form = await request.form(max_part_size=MAX_IMPORT_BYTES)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidRequestError("file: choose a CSV or JSON file to import")
    data = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidRequestError(f"file: larger than {MAX_IMPORT_BYTES // 2**20} MiB; split it")
    dry_run = form.get("dry_run") == "on"
    result = await console.call(
        request,
        console.api.watchlists.ImportPlateEntries,
        watchlist_pb2.ImportPlateEntriesRequest(watchlist=key, data=data, dry_run=dry_run),
    )
    return console.page(
        request, "import.html", key=key, filename=upload.filename, result=result, dry_run=dry_run
    )


async def enrol_subject(console: Console, request: Request) -> Response:
    """A person enrolled from uploaded photos; the server assesses each photo and says why it
    refuses one."""
    key = request.path_params["watchlist"]
    form = await request.form(max_part_size=MAX_IMPORT_BYTES)
    uploads = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]
    if not uploads:
        raise InvalidRequestError("photos: choose one or more photos of the person")
    photos = [await f.read(MAX_IMPORT_BYTES) for f in uploads]
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    subject = watchlist_pb2.FaceSubject(
        name=fields.get("name", ""),
        plates=[p.strip() for p in fields.get("plates", "").split(",") if p.strip()],
    )
    governance = entry_from_form(fields)
    for name in ("category", "action", "priority", "reason", "legal_basis", "owner", "case_number"):
        setattr(subject, name, getattr(governance, name))
    if governance.HasField("expires_at"):
        subject.expires_at.CopyFrom(governance.expires_at)
    reply = await console.call(
        request,
        console.api.watchlists.EnrolSubject,
        watchlist_pb2.EnrolSubjectRequest(watchlist=key, subject=subject, photos=photos),
    )
    refused = [f"photo {n}: {r.error}" for n, r in enumerate(reply.photos, 1) if not r.ok]
    said = _stored(reply.subject, "Enrolled")
    flash(request, said + (f" ({'; '.join(refused)})" if refused else ""))
    return back(f"/watchlists/{key}")


async def remove_subject(console: Console, request: Request) -> Response:
    subject_id = request.path_params["subject_id"]
    form = await _form(request)
    subject = await console.call(
        request,
        console.api.watchlists.GetSubject,
        watchlist_pb2.GetSubjectRequest(subject_id=subject_id),
    )
    await console.call(
        request,
        console.api.watchlists.RemoveSubject,
        watchlist_pb2.RemoveSubjectRequest(subject_id=subject_id, reason=form.get("reason", "")),
    )
    flash(request, f"Removed {subject.name} and deleted their face templates")
    return back(f"/watchlists/{subject.watchlist_id}")


async def export_entries(console: Console, request: Request) -> Response:
    """The whole list as an import file (CSV cells neutralised against formula injection)."""
    key = request.path_params["watchlist"]
    fmt = "json" if request.query_params.get("format") == "json" else "csv"
    entries: list[EntryFields] = []
    token = ""
    while True:
        page = await console.call(
            request,
            console.api.watchlists.ListPlateEntries,
            watchlist_pb2.ListPlateEntriesRequest(watchlist=key, page_size=1000, page_token=token),
        )
        entries.extend(validate_entry(entry_fields_raw(e)) for e in page.entries)
        token = page.next_page_token
        if not token:
            break
    return Response(
        format_export(entries, fmt),
        media_type="text/csv" if fmt == "csv" else "application/json",
        headers={"content-disposition": f'attachment; filename="watchlist-{_safe(key)}.{fmt}"'},
    )


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:60] or "list"


# --- approvals ----------------------------------------------------------------------------


async def approvals(console: Console, request: Request) -> Response:
    lists = await console.call(
        request, console.api.watchlists.ListWatchlists, watchlist_pb2.ListWatchlistsRequest()
    )

    async def pending(wl: Any) -> list[tuple[Any, Any]]:
        found = await console.call(
            request,
            console.api.watchlists.ListPlateEntries,
            watchlist_pb2.ListPlateEntriesRequest(
                watchlist=wl.id, page_size=1000, status=watchlist_pb2.APPROVAL_STATUS_PENDING
            ),
        )
        return [(wl, entry) for entry in found.entries]

    waiting = [
        pair for pairs in await asyncio.gather(*map(pending, lists.watchlists)) for pair in pairs
    ]
    return console.page(request, "approvals.html", waiting=waiting)


async def review_entry(console: Console, request: Request) -> Response:
    entry_id = request.path_params["entry_id"]
    form = await _form(request)
    if request.path_params["verdict"] not in ("approve", "reject"):
        raise InvalidRequestError("verdict: approve or reject")
    approve = request.path_params["verdict"] == "approve"
    method = (
        console.api.watchlists.ApprovePlateEntry
        if approve
        else console.api.watchlists.RejectPlateEntry
    )
    message = (
        watchlist_pb2.ApprovePlateEntryRequest if approve else watchlist_pb2.RejectPlateEntryRequest
    )(entry_id=entry_id, note=form.get("note", ""))
    entry = await console.call(request, method, message)
    flash(request, f"{'Approved' if approve else 'Rejected'} {entry.plate}")
    return back("/approvals")


# --- audit --------------------------------------------------------------------------------


def trail_filter(query: Mapping[str, str]) -> audit_pb2.TrailFilter:
    """The trail filter of the audit page's query (``actor``, ``action``, ``days``)."""
    found = audit_pb2.TrailFilter(actor=query.get("actor", ""), action=query.get("action", ""))
    days = query.get("trail_days", "")
    if days.isdigit():
        found.since.FromDatetime(datetime.now(UTC) - timedelta(days=int(days)))
    return found


async def audit(console: Console, request: Request) -> Response:
    query = dict(request.query_params)
    query.setdefault("days", "30")
    stats, policy, (lanes, lists), trail = await asyncio.gather(
        console.call(request, console.api.audit.GetDispositionStats, hit_filter(query)),
        console.call(request, console.api.site.GetSitePolicy, site_pb2.GetSitePolicyRequest()),
        _choices(console, request),
        console.call(
            request,
            console.api.audit.SearchTrail,
            audit_pb2.SearchTrailRequest(
                filter=trail_filter(query),
                page_size=TRAIL_PAGE,
                page_token=query.get("trail_page", ""),
            ),
        ),
    )
    return console.page(
        request,
        "audit.html",
        stats=stats,
        policy=dict(policy.settings),
        lanes=lanes,
        lists=lists,
        outcomes=list(OUTCOMES),
        periods=PERIODS,
        query=query,
        trail=list(trail.records),
        trail_next=trail.next_page_token,
    )


async def export_hits(console: Console, request: Request) -> Response:
    """The hit log as the API exports it, byte for byte, under the reason the auditor gave."""
    form = await _form(request)
    fmt = form.get("format", "csv")
    message = audit_pb2.ExportHitsRequest(
        filter=hit_filter(form),
        format=audit_pb2.EXPORT_FORMAT_CSV if fmt == "csv" else audit_pb2.EXPORT_FORMAT_JSONL,
        reason=form.get("reason", ""),
    )
    token = console.signed_in(request).token
    chunks = console.api.stream(token, console.api.audit.ExportHits, message)
    first = await _first(chunks)  # a refusal (no reason, no role) is a page, not a broken file
    return StreamingResponse(
        _joined(first, chunks),
        media_type="text/csv" if fmt == "csv" else "application/x-ndjson",
        headers={
            "content-disposition": f'attachment; filename="hits.{"csv" if fmt == "csv" else "jsonl"}"'
        },
    )


async def export_trail(console: Console, request: Request) -> Response:
    """The audit trail as the API exports it, under the reason the auditor gave."""
    form = await _form(request)
    fmt = form.get("format", "csv")
    message = audit_pb2.ExportTrailRequest(
        filter=trail_filter(form),
        format=audit_pb2.EXPORT_FORMAT_CSV if fmt == "csv" else audit_pb2.EXPORT_FORMAT_JSONL,
        reason=form.get("reason", ""),
    )
    token = console.signed_in(request).token
    chunks = console.api.stream(token, console.api.audit.ExportTrail, message)
    first = await _first(chunks)
    return StreamingResponse(
        _joined(first, chunks),
        media_type="text/csv" if fmt == "csv" else "application/x-ndjson",
        headers={
            "content-disposition": f'attachment; filename="trail.{"csv" if fmt == "csv" else "jsonl"}"'
        },
    )


async def verify_trail(console: Console, request: Request) -> Response:
    found = await console.call(
        request, console.api.audit.VerifyTrail, audit_pb2.VerifyTrailRequest()
    )
    if found.ok:
        flash(
            request,
            f"The audit trail is intact: {found.records} records verify"
            f"{' with the site key' if found.keyed else ''}, and {found.decisions_checked} "
            f"stored alerts match it. Head hash {found.head_hash}: note it elsewhere.",
        )
    else:
        where = f" in chain {found.chain} at record {found.broken_seq}" if found.chain else ""
        flash(request, f"The audit trail is BROKEN{where}: {found.problem}")
    return back("/audit")


async def _first(chunks: AsyncIterator[Any]) -> bytes:
    async for chunk in chunks:
        return bytes(chunk.data)
    return b""


async def _joined(first: bytes, chunks: AsyncIterator[Any]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in chunks:
        yield bytes(chunk.data)


Page = Callable[[Console, Request], Awaitable[Response]]

ROUTES: list[tuple[str, Page, list[str]]] = [
    ("/", home, ["GET"]),
    ("/signin", sign_in_page, ["GET"]),
    ("/signin", sign_in, ["POST"]),
    ("/signout", sign_out, ["POST"]),
    ("/queue", queue, ["GET"]),
    ("/hits/{decision_id}", alert, ["GET"]),
    ("/hits/{decision_id}/dispose", dispose, ["POST"]),
    ("/watchlists", watchlists, ["GET"]),
    ("/watchlists", create_watchlist, ["POST"]),
    ("/watchlists/{watchlist}", watchlist, ["GET"]),
    ("/watchlists/{watchlist}/entries", add_entry, ["POST"]),
    ("/watchlists/{watchlist}/import", import_entries, ["POST"]),
    ("/watchlists/{watchlist}/export", export_entries, ["GET"]),
    ("/watchlists/{watchlist}/subjects", enrol_subject, ["POST"]),
    ("/subjects/{subject_id}/remove", remove_subject, ["POST"]),
    ("/entries/{entry_id}", entry_page, ["GET"]),
    ("/entries/{entry_id}", update_entry, ["POST"]),
    ("/entries/{entry_id}/remove", remove_entry, ["POST"]),
    ("/approvals", approvals, ["GET"]),
    ("/approvals/{entry_id}/{verdict:str}", review_entry, ["POST"]),
    ("/audit", audit, ["GET"]),
    ("/audit/export", export_hits, ["POST"]),
    ("/audit/trail/export", export_trail, ["POST"]),
    ("/audit/trail/verify", verify_trail, ["POST"]),
]
"""Every page and action: path, handler, methods."""
