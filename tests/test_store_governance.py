"""Watchlist governance in the store: case numbers, and two-person approval of high-severity plate
entries and face subjects (pending until another person approves; rejected kept, never matched),
with every approval, rejection and refused self-approval in the journal and the audit trail."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from lanescreen.domain.face_index import FaceIndex
from lanescreen.domain.faces import NewTemplate, SubjectFields, validate_subject
from lanescreen.domain.governance import ApprovalPolicy, ApprovalStatus
from lanescreen.domain.matching import PlateIndex, ReadText
from lanescreen.domain.watchlists import EntryFields, ListKind, Watchlist
from lanescreen.errors import ForbiddenError, InvalidRequestError, PreconditionError
from lanescreen.store.db import Database
from lanescreen.store.faces import FaceStore
from lanescreen.store.models import ChangeRow, TrailRow
from lanescreen.store.watchlists import WatchlistStore
from sqlalchemy import select

OFFICER = "officer.kim"
OTHER_OFFICER = "officer.lee"
SUPERVISOR = "supervisor.ng"
PENDING, ACTIVE, REJECTED = ApprovalStatus.PENDING, ApprovalStatus.ACTIVE, ApprovalStatus.REJECTED


@pytest.fixture
def store(database: Database) -> WatchlistStore:
    store = WatchlistStore(database)  # the default policy: priority 80 and up needs approval
    store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    return store


def wanted(plate: str = "AB123CD", priority: int = 90, **kw: object) -> EntryFields:
    base = EntryFields(
        plate=plate,
        category="wanted",
        action="stop",
        priority=priority,
        reason="armed robbery suspect",
        legal_basis="European Arrest Warrant",
        case_number="EAW DE-2026-4471",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def matched(store: WatchlistStore, plate: str) -> list[str]:
    """Entry ids a read of ``plate`` matches now, through the index lanes use."""
    watchlists, entries = store.snapshot()
    index = PlateIndex(watchlists, entries)
    found = index.match(
        [ReadText(plate, 0.95)], watchlist_ids={w.id for w in watchlists}, now=datetime.now(UTC)
    )
    return [m.entry.id for m in found]


def trail_intact(db: Database) -> bool:
    with db.read() as session:
        return db.trail.verify(session).ok


def journal(db: Database) -> list[ChangeRow]:
    with db.read() as session:
        return list(session.scalars(select(ChangeRow).order_by(ChangeRow.id)))


def trail(db: Database, action_prefix: str = "watchlist.") -> list[TrailRow]:
    with db.read() as session:
        return list(
            session.scalars(
                select(TrailRow)
                .where(TrailRow.action.startswith(action_prefix))
                .order_by(TrailRow.seq)
            )
        )


def test_a_low_severity_entry_is_active_and_matches_at_once(
    store: WatchlistStore, database: Database
) -> None:
    entry = store.add_entry("stolen", wanted(priority=79), OFFICER)
    assert entry.approval.status is ACTIVE and entry.updated_by == OFFICER
    assert matched(store, "AB123CD") == [entry.id]
    add = journal(database)[-1]
    assert add.action == "add" and add.after is not None and add.after["status"] == "active"


def test_a_high_severity_entry_waits_for_a_second_person(
    store: WatchlistStore, database: Database
) -> None:
    entry = store.add_entry("stolen", wanted(), OFFICER)
    assert (entry.approval.status, entry.updated_by, entry.approval.reviewed_by) == (
        PENDING,
        OFFICER,
        "",
    )
    assert store.get_entry(entry.id).fields.case_number == "EAW DE-2026-4471"
    # Listed, counted and in the snapshot, but never matched while pending.
    assert store.get_watchlist("stolen").entry_count == 1
    assert [e.id for e in store.snapshot()[1]] == [entry.id]
    assert matched(store, "AB123CD") == []
    assert PlateIndex(*store.snapshot()).size == 0
    version = store.get_watchlist("stolen").version

    # The person who made the change cannot approve it, however they spell their name.
    for same in (OFFICER, " Officer.Kim "):
        with pytest.raises(ForbiddenError, match=r"another person must approve.*two-person"):
            store.approve_entry(entry.id, same, "looks right")
    assert store.get_entry(entry.id).approval.status is PENDING
    assert store.get_watchlist("stolen").version == version
    refused = trail(database, "watchlist.review_refused")
    assert [(r.actor, r.target, r.detail["attempted"]) for r in refused] == [
        (OFFICER, f"entry:{entry.id}", "approve"),
        ("Officer.Kim", f"entry:{entry.id}", "approve"),
    ]

    approved = store.approve_entry(entry.id, SUPERVISOR, "checked against the warrant")
    assert approved.approval.status is ACTIVE
    assert (approved.approval.reviewed_by, approved.approval.note) == (
        SUPERVISOR,
        "checked against the warrant",
    )
    assert approved.approval.reviewed_at is not None and approved.updated_by == OFFICER
    assert approved.fields == entry.fields and approved.updated_at == entry.updated_at
    assert store.get_watchlist("stolen").version == version + 1
    assert matched(store, "AB123CD") == [entry.id]

    add, approve = journal(database)[-2:]
    assert (add.action, add.actor, add.after and add.after["status"]) == ("add", OFFICER, "pending")
    assert add.after is not None and add.after["case_number"] == "EAW DE-2026-4471"
    assert (approve.action, approve.actor, approve.reason) == (
        "approve",
        SUPERVISOR,
        "checked against the warrant",
    )
    assert approve.before is not None and approve.after is not None
    assert (approve.before["status"], approve.after["status"]) == ("pending", "active")
    assert approve.after["plate"] == "AB123CD" and approve.version == version + 1
    [event] = trail(database, "watchlist.approve")
    assert (event.actor, event.target) == (SUPERVISOR, f"entry:{entry.id}")
    assert event.detail["after"]["status"] == "active"
    assert event.detail["reason"] == "checked against the warrant"
    assert trail_intact(database)


def test_only_a_pending_change_can_be_reviewed(store: WatchlistStore) -> None:
    low = store.add_entry("stolen", wanted("LOW1", priority=50), OFFICER)
    with pytest.raises(PreconditionError, match="is active, not pending"):
        store.approve_entry(low.id, SUPERVISOR)
    high = store.add_entry("stolen", wanted(), OFFICER)
    store.approve_entry(high.id, SUPERVISOR)
    with pytest.raises(PreconditionError, match="is active, not pending"):
        store.reject_entry(high.id, SUPERVISOR, "second thoughts")


def test_a_rejection_is_kept_never_matched_and_an_edit_submits_it_again(
    store: WatchlistStore, database: Database
) -> None:
    entry = store.add_entry("stolen", wanted(), OFFICER)
    with pytest.raises(InvalidRequestError, match="note: is required"):
        store.reject_entry(entry.id, SUPERVISOR, " ")
    with pytest.raises(ForbiddenError):
        store.reject_entry(entry.id, OFFICER, "withdrawn")
    rejected = store.reject_entry(entry.id, SUPERVISOR, "no case number on the warrant")
    assert rejected.approval.status is REJECTED
    assert (rejected.approval.reviewed_by, rejected.approval.note) == (
        SUPERVISOR,
        "no case number on the warrant",
    )
    assert store.get_entry(entry.id).approval.status is REJECTED
    assert matched(store, "AB123CD") == []
    with pytest.raises(PreconditionError, match=r"rejected, not pending.*edit it"):
        store.approve_entry(entry.id, "supervisor.two")
    assert store.list_entries("stolen", status=REJECTED)[0] == [rejected]

    # Submitted again, even unchanged, by an edit: pending, the old review cleared.
    again = store.update_entry(entry.id, entry.fields, OTHER_OFFICER)
    assert again.approval.status is PENDING and again.approval.reviewed_by == ""
    assert again.updated_by == OTHER_OFFICER and again.approval.reviewed_at is None
    with pytest.raises(ForbiddenError):
        store.approve_entry(entry.id, OTHER_OFFICER)
    # The two-person rule is about the change awaiting approval: now officer.lee's.
    assert store.approve_entry(entry.id, SUPERVISOR).approval.status is ACTIVE
    assert matched(store, "AB123CD") == [entry.id]
    actions = [(c.action, c.actor) for c in journal(database) if c.entry_id == entry.id]
    assert actions == [
        ("add", OFFICER),
        ("reject", SUPERVISOR),
        ("update", OTHER_OFFICER),
        ("approve", SUPERVISOR),
    ]
    reject = next(c for c in journal(database) if c.action == "reject")
    assert reject.reason == "no case number on the warrant"
    assert reject.after is not None and reject.after["status"] == "rejected"
    assert [(r.action, r.actor) for r in trail(database)] == [
        ("watchlist.create", OFFICER),
        ("watchlist.add", OFFICER),
        ("watchlist.review_refused", OFFICER),
        ("watchlist.reject", SUPERVISOR),
        ("watchlist.update", OTHER_OFFICER),
        ("watchlist.review_refused", OTHER_OFFICER),
        ("watchlist.approve", SUPERVISOR),
    ]


def test_editing_an_approved_high_severity_entry_needs_approval_again(
    store: WatchlistStore,
) -> None:
    entry = store.add_entry("stolen", wanted(), OFFICER)
    store.approve_entry(entry.id, SUPERVISOR)
    later = datetime.now(UTC) + timedelta(days=365)
    edited = store.update_entry(entry.id, replace(entry.fields, expires_at=later), OFFICER)
    assert edited.approval.status is PENDING and edited.approval.reviewed_by == ""
    assert matched(store, "AB123CD") == []
    # Lowered below the approval priority, it is low severity: active at once.
    lowered = store.update_entry(entry.id, replace(edited.fields, priority=60), OFFICER)
    assert lowered.approval.status is ACTIVE
    assert matched(store, "AB123CD") == [entry.id]
    # Unchanged fields are no edit, and change nothing.
    assert store.update_entry(entry.id, lowered.fields, OFFICER) == lowered


def test_removal_never_waits_for_approval(store: WatchlistStore) -> None:
    entry = store.add_entry("stolen", wanted(), OFFICER)
    store.remove_entry(entry.id, OFFICER, "entered by mistake")
    assert store.snapshot()[1] == []
    assert store.list_entries("stolen", status=PENDING)[0] == []


def test_imports_of_high_severity_rows_wait_and_pending_entries_can_be_listed(
    store: WatchlistStore, database: Database
) -> None:
    rows = [wanted(f"HI{n:03d}") for n in range(5)] + [wanted("LO1", priority=20)]
    ids, _ = store.import_entries("stolen", rows, OFFICER)
    statuses = [store.get_entry(i).approval.status for i in ids]
    assert statuses == [PENDING] * 5 + [ACTIVE]
    imports = [c for c in journal(database) if c.action == "import"]
    assert [c.after and c.after["status"] for c in imports] == ["pending"] * 5 + ["active"]
    assert imports[0].after is not None and imports[0].after["case_number"] == "EAW DE-2026-4471"

    seen: list[str] = []
    token = ""
    while True:
        page, token, _ = store.list_entries("stolen", page_size=2, page_token=token, status=PENDING)
        seen.extend(e.normalized_plate for e in page)
        if not token:
            break
    assert seen == [f"HI{n:03d}" for n in range(5)]
    _, token, _ = store.list_entries("stolen", page_size=2, status=PENDING)
    with pytest.raises(InvalidRequestError, match="status filter"):
        store.list_entries("stolen", page_token=token)
    assert [e.normalized_plate for e in store.list_entries("stolen", status=ACTIVE)[0]] == ["LO1"]
    assert matched(store, "HI001") == [] and matched(store, "LO1") == [ids[-1]]


def test_the_approval_priority_is_the_sites_choice(database: Database) -> None:
    strict = WatchlistStore(database, ApprovalPolicy(0))
    strict.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    assert strict.add_entry("stolen", wanted(priority=0), OFFICER).approval.status is PENDING
    off = WatchlistStore(database, ApprovalPolicy(101))
    assert off.add_entry("stolen", wanted("XY1", priority=100), OFFICER).approval.status is ACTIVE
    assert strict.policy.min_priority == 0
    with pytest.raises(ValueError, match="0-101"):
        ApprovalPolicy(102)


# --- face subjects ----------------------------------------------------------------------------


def template(seed: int) -> NewTemplate:
    vector = np.random.default_rng(seed).normal(size=128).astype(np.float32)
    return NewTemplate(
        "dlib_resnet", "colour", vector / np.linalg.norm(vector), 52.0, 140.0, b"\xff\xd8chip"
    )


def person(priority: int = 90, **kw: object) -> SubjectFields:
    raw: dict[str, object] = {
        "name": "J. Doe",
        "plates": ["AB123CD"],
        "category": "wanted",
        "action": "stop",
        "priority": priority,
        "reason": "arrest warrant",
        "legal_basis": "court order",
        "case_number": "2026/204",
        **kw,
    }
    return validate_subject(raw)


def found(faces: FaceStore, lists: list[Watchlist], probe_seed: int = 1) -> list[str]:
    """Subject ids the lanes' face index finds for a face like template ``probe_seed``'s."""
    subjects, templates = faces.snapshot()
    index = FaceIndex(lists, subjects, templates, "dlib_resnet")
    now = datetime.now(UTC)
    matches, _ = index.search(template(probe_seed).vector, [w.id for w in lists], 0.9, now)
    drivers = index.drivers(lists[0].id, "AB123CD", now)
    assert [d.id for d in drivers] == [m.subject.id for m in matches]
    return [m.subject.id for m in matches]


def test_a_high_severity_subject_waits_for_a_second_person(
    store: WatchlistStore, database: Database
) -> None:
    faces = FaceStore(database)
    lists = store.list_watchlists()
    subject = faces.enrol("stolen", person(), [template(1)], OFFICER)
    assert subject.approval.status is PENDING and subject.fields.case_number == "2026/204"
    assert found(faces, lists) == []
    with pytest.raises(ForbiddenError, match="two-person"):
        faces.approve_subject(subject.id, OFFICER)
    approved = faces.approve_subject(subject.id, SUPERVISOR, "photo matches the file")
    assert approved.approval.status is ACTIVE and approved.template_count == 1
    assert found(faces, lists) == [subject.id]

    # New photos change who matches: a high-severity subject waits again.
    more = faces.add_templates(subject.id, [template(2)], OTHER_OFFICER)
    assert more.approval.status is PENDING and more.updated_by == OTHER_OFFICER
    assert found(faces, lists) == []
    assert faces.list_subjects("stolen", status=PENDING)[0] == [more]
    rejected = faces.reject_subject(subject.id, SUPERVISOR, "second photo is someone else")
    assert rejected.approval.status is REJECTED and found(faces, lists) == []
    with pytest.raises(PreconditionError):
        faces.approve_subject(subject.id, "supervisor.two")
    again = faces.update_subject(subject.id, person(priority=95), OFFICER)
    assert again.approval.status is PENDING and again.approval.reviewed_by == ""
    faces.approve_subject(subject.id, OTHER_OFFICER)
    assert found(faces, lists) == [subject.id]

    changes = [(c.action, c.actor) for c in journal(database) if c.subject_id == subject.id]
    assert changes == [
        ("enrol", OFFICER),
        ("approve", SUPERVISOR),
        ("enrol", OTHER_OFFICER),
        ("reject", SUPERVISOR),
        ("update", OFFICER),
        ("approve", OTHER_OFFICER),
    ]
    enrol = next(c for c in journal(database) if c.subject_id == subject.id)
    assert enrol.after is not None
    assert (enrol.after["status"], enrol.after["case_number"]) == ("pending", "2026/204")
    refused = trail(database, "watchlist.review_refused")
    assert [(r.actor, r.target) for r in refused] == [(OFFICER, f"subject:{subject.id}")]
    assert trail_intact(database)


def test_a_low_severity_subject_matches_at_once_and_removal_needs_no_approval(
    store: WatchlistStore, database: Database
) -> None:
    faces = FaceStore(database)
    lists = store.list_watchlists()
    subject = faces.enrol("stolen", person(priority=50), [template(1)], OFFICER)
    assert subject.approval.status is ACTIVE and found(faces, lists) == [subject.id]
    with pytest.raises(PreconditionError):
        faces.approve_subject(subject.id, SUPERVISOR)
    pending = faces.enrol("stolen", person(name="R. Roe"), [template(3)], OFFICER)
    faces.remove_subject(pending.id, OFFICER, "enrolled by mistake")
    assert faces.list_subjects("stolen", status=PENDING)[0] == []
