"""The watchlist store: versions, the change journal, soft removal, paging, imports, snapshots."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from lanescreen.domain.watchlists import EntryFields, ListKind, MatchMode, WatchlistDelta
from lanescreen.errors import ConflictError, InvalidRequestError, NotFoundError
from lanescreen.store.db import Database
from lanescreen.store.models import ChangeRow, EntryRow
from lanescreen.store.watchlists import WatchlistStore
from sqlalchemy import select

OFFICER = "officer.kim"


@pytest.fixture
def store(database: Database) -> WatchlistStore:
    return WatchlistStore(database)


def changes(db: Database, watchlist_id: str) -> list[ChangeRow]:
    with db.read() as session:
        return list(
            session.scalars(
                select(ChangeRow)
                .where(ChangeRow.watchlist_id == watchlist_id)
                .order_by(ChangeRow.id)
            )
        )


def stolen(plate: str = "AB-123-CD", **kw: object) -> EntryFields:
    base = EntryFields(
        plate=plate, category="stolen", action="stop", priority=80, reason="reported stolen"
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_create_and_get_by_id_or_name(store: WatchlistStore) -> None:
    created = store.create_watchlist("stolen", ListKind.DENY, "Stolen vehicles", OFFICER)
    assert (created.version, created.entry_count, created.created_by) == (1, 0, OFFICER)
    assert created.created_at.tzinfo is not None
    assert store.get_watchlist(created.id) == created
    assert store.get_watchlist("stolen") == created
    with pytest.raises(NotFoundError, match="'nope'"):
        store.get_watchlist("nope")


def test_duplicate_name_is_a_conflict(store: WatchlistStore) -> None:
    store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    with pytest.raises(ConflictError, match="already exists"):
        store.create_watchlist("stolen", ListKind.ALLOW, "", OFFICER)


@pytest.mark.parametrize(
    ("name", "actor", "message"),
    [
        ("", OFFICER, "name: is required"),
        ("x" * 201, OFFICER, "name: is longer"),
        ("two\nlines", OFFICER, "name: contains the control character U.000A; it must be one line"),
        ("stolen\u202e", OFFICER, "name: contains the invisible character U.202E"),
        ("0b7c6f0e-1f52-4c55-9d0b-0a6c5d1e2f3a", OFFICER, "look like a watchlist id"),
        ("ok", "", "actor: is required"),
    ],
)
def test_bad_watchlist_arguments(
    store: WatchlistStore, name: str, actor: str, message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        store.create_watchlist(name, ListKind.DENY, "", actor)


def test_every_edit_bumps_the_version_and_writes_the_journal(
    store: WatchlistStore, database: Database
) -> None:
    wl = store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    entry = store.add_entry("stolen", stolen(), OFFICER)
    assert entry.normalized_plate == "AB123CD" and entry.created_by == OFFICER
    assert store.get_watchlist(wl.id).version == 2

    later = datetime.now(UTC) + timedelta(days=30)
    updated = store.update_entry(entry.id, replace(entry.fields, expires_at=later), "officer.lee")
    assert updated.fields.expires_at == later
    assert updated.updated_at >= entry.updated_at and updated.created_at == entry.created_at
    assert store.get_watchlist(wl.id).version == 3

    version = store.remove_entry(entry.id, "officer.lee", "recovered by owner")
    assert version == 4 == store.get_watchlist(wl.id).version

    journal = changes(database, wl.id)
    assert [(c.action, c.version, c.actor) for c in journal] == [
        ("create", 1, OFFICER),
        ("add", 2, OFFICER),
        ("update", 3, "officer.lee"),
        ("remove", 4, "officer.lee"),
    ]
    assert journal[2].before is not None and journal[2].before["expires_at"] is None
    assert journal[2].after is not None and journal[2].after["expires_at"] == later.isoformat()
    assert journal[3].reason == "recovered by owner" and journal[3].after is None


def test_an_update_that_changes_nothing_is_not_an_edit(store: WatchlistStore) -> None:
    wl = store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    entry = store.add_entry(wl.id, stolen(), OFFICER)
    assert store.update_entry(entry.id, entry.fields, OFFICER) == entry
    assert store.get_watchlist(wl.id).version == 2


def test_removal_is_soft_and_accountable(store: WatchlistStore, database: Database) -> None:
    wl = store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    entry = store.add_entry(wl.id, stolen(), OFFICER)
    store.remove_entry(entry.id, "officer.lee", "recovered")
    with pytest.raises(NotFoundError, match=r"was removed .* by officer\.lee: recovered"):
        store.get_entry(entry.id)
    with pytest.raises(NotFoundError, match="was removed"):
        store.remove_entry(entry.id, OFFICER, "again")
    with pytest.raises(NotFoundError, match="was removed"):
        store.update_entry(entry.id, stolen(), OFFICER)
    with database.read() as session:
        row = session.get(EntryRow, entry.id)
        assert (
            row is not None
            and row.removed_by == "officer.lee"
            and row.removed_reason == "recovered"
        )
    assert store.get_watchlist(wl.id).entry_count == 0
    assert store.snapshot()[1] == []


def test_remove_needs_a_reason(store: WatchlistStore) -> None:
    wl = store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    entry = store.add_entry(wl.id, stolen(), OFFICER)
    with pytest.raises(InvalidRequestError, match="reason: is required"):
        store.remove_entry(entry.id, OFFICER, "  ")


def test_unknown_entries_and_lists(store: WatchlistStore) -> None:
    with pytest.raises(NotFoundError):
        store.get_entry("no-such-entry")
    with pytest.raises(NotFoundError):
        store.add_entry("no-such-list", stolen(), OFFICER)
    with pytest.raises(InvalidRequestError):
        store.get_watchlist("")


def test_fields_a_caller_built_wrongly_are_refused(store: WatchlistStore) -> None:
    store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    for fields, message in [
        (stolen(priority=101), "priority"),
        (stolen(plate="-"), "plate"),
        (stolen(reason="nul\x00byte"), "control character"),
        (stolen(owner="bad \udce9 byte"), "UTF-8"),
    ]:
        with pytest.raises(InvalidRequestError, match=message):
            store.add_entry("stolen", fields, OFFICER)
    assert store.get_watchlist("stolen").version == 1


def test_list_entries_pages_by_plate_without_gaps_or_repeats(store: WatchlistStore) -> None:
    wl = store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    plates = [f"AB{n:03d}" for n in range(25)] + [
        "AB007"
    ]  # a duplicate plate: paging is by (plate, id)
    store.import_entries(wl.id, [stolen(p) for p in plates], OFFICER)
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page, token, version = store.list_entries("stolen", page_size=7, page_token=token)
        pages += 1
        seen.extend(e.normalized_plate for e in page)
        assert version == 2
        if not token:
            break
    assert seen == sorted(plates) and pages == 4

    prefixed, token, _ = store.list_entries("stolen", plate_prefix="ab-01")
    assert [e.normalized_plate for e in prefixed] == [f"AB01{n}" for n in range(10)] and token == ""


def test_page_tokens_are_checked(store: WatchlistStore) -> None:
    wl = store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    other = store.create_watchlist("wanted", ListKind.DENY, "", OFFICER)
    store.import_entries(wl.id, [stolen(f"AB{n:03d}") for n in range(3)], OFFICER)
    _, token, _ = store.list_entries(wl.id, page_size=1)
    for bad in ["garbage!", "e30", token[:-3]]:
        with pytest.raises(InvalidRequestError, match="page_token"):
            store.list_entries(wl.id, page_token=bad)
    with pytest.raises(InvalidRequestError, match="different list"):
        store.list_entries(other.id, page_token=token)
    with pytest.raises(InvalidRequestError, match="page_size"):
        store.list_entries(wl.id, page_size=-1)
    with pytest.raises(InvalidRequestError, match="plate_prefix"):
        store.list_entries(wl.id, plate_prefix="--")
    assert len(store.list_entries(wl.id, page_size=5000)[0]) == 3


def test_import_is_one_version_with_a_journal_row_per_entry(
    store: WatchlistStore, database: Database
) -> None:
    wl = store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    batches: list[int] = []
    rows = [stolen(f"IMP{n:04d}", match_mode=MatchMode.LENIENT) for n in range(2500)]
    ids, version = store.import_entries("stolen", rows, OFFICER, progress=batches.append)
    assert len(ids) == len(set(ids)) == 2500 and version == 2
    assert batches == [1000, 1000, 500]
    assert store.get_entry(ids[1234]).fields == rows[1234]
    assert store.get_watchlist(wl.id).entry_count == 2500
    journal = changes(database, wl.id)
    assert len(journal) == 2501 and {c.action for c in journal[1:]} == {"import"}
    assert {c.version for c in journal[1:]} == {2} and journal[1].entry_id == ids[0]
    assert store.import_entries("stolen", [], OFFICER) == ([], 2)


def test_a_failed_import_loads_nothing(store: WatchlistStore) -> None:
    wl = store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    with pytest.raises(InvalidRequestError, match="row 2: priority"):
        store.import_entries(wl.id, [stolen("AB1"), stolen("AB2", priority=500)], OFFICER)
    assert store.get_watchlist(wl.id).entry_count == 0 and store.get_watchlist(wl.id).version == 1


def test_snapshot_has_every_list_and_live_entry_including_expired(store: WatchlistStore) -> None:
    deny = store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    allow = store.create_watchlist("residents", ListKind.ALLOW, "", OFFICER)
    live = store.add_entry(deny.id, stolen("AB1"), OFFICER)
    expired = store.add_entry(deny.id, stolen("AB2"), OFFICER)
    store.update_entry(
        expired.id,
        replace(expired.fields, expires_at=datetime.now(UTC) - timedelta(days=1)),
        OFFICER,
    )
    gone = store.add_entry(allow.id, stolen("CD3"), OFFICER)
    store.remove_entry(gone.id, OFFICER, "moved away")
    watchlists, entries = store.snapshot()
    assert [(w.name, w.entry_count) for w in watchlists] == [("residents", 0), ("stolen", 2)]
    assert {e.id for e in entries} == {live.id, expired.id}


def test_every_edit_and_only_an_edit_is_a_change_since_the_versions_held(
    store: WatchlistStore,
) -> None:
    held: dict[str, int] = {}

    def delta() -> WatchlistDelta | None:
        found = store.changes_since(held)
        if found is not None:
            held.update(found.versions)
        return found

    wl = store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    created = delta()
    assert created is not None and [w.name for w in created.watchlists] == ["stolen"]
    assert created.entries == [] and not created.reset
    entry = store.add_entry(wl.id, stolen(), OFFICER)
    added = delta()
    assert added is not None and [e.id for e in added.entries] == [entry.id]
    assert delta() is None  # nothing moved: one cheap read
    store.update_entry(entry.id, replace(entry.fields, priority=10), OFFICER)
    updated = delta()
    assert updated is not None and [e.fields.priority for e in updated.entries] == [10]
    [imported] = store.import_entries(wl.id, [stolen("XY1")], OFFICER)[0]
    assert [e.id for e in delta().entries] == [imported]  # type: ignore[union-attr]
    store.remove_entry(entry.id, OFFICER, "done")
    gone = delta()
    assert gone is not None and gone.removed == {entry.id} and gone.entries == []
    # A list whose version went back (a restored database): reload everything.
    back = store.changes_since({wl.id: held[wl.id] + 5})
    assert back is not None and back.reset


def test_concurrent_edits_each_get_their_own_version(store: WatchlistStore) -> None:
    wl = store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            for i in range(5):
                store.add_entry(wl.id, stolen(f"T{n}X{i}"), f"officer{n}")
        except Exception as exc:  # noqa: BLE001 - collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = store.get_watchlist(wl.id)
    assert final.version == 21 and final.entry_count == 20


def test_lookups_with_text_no_database_can_hold_find_nothing(store: WatchlistStore) -> None:
    wl = store.create_watchlist("stolen", ListKind.DENY, "", OFFICER)
    store.import_entries(wl.id, [stolen("AB1"), stolen("AB2")], OFFICER)
    for key in ("st\x00len", "bad \udce9"):
        with pytest.raises(NotFoundError):
            store.get_watchlist(key)
        with pytest.raises(NotFoundError):
            store.get_entry(key)
    _, token, _ = store.list_entries(wl.id, page_size=1)
    forged = json.dumps([wl.id, "", "AB\x001", "x"]).encode()
    with pytest.raises(InvalidRequestError, match="page_token"):
        store.list_entries(wl.id, page_token=base64.urlsafe_b64encode(forged).decode())
    assert token


def test_the_same_vehicle_twice_on_one_list_is_a_conflict(store: WatchlistStore) -> None:
    wl = store.create_watchlist("stolen", ListKind.DENY, "", "jones")
    first = store.add_entry(wl.id, stolen("AB-123-CD"), "jones")
    with pytest.raises(ConflictError, match=f"already on 'stolen' as entry {first.id}"):
        store.add_entry(wl.id, stolen("ab 123 cd"), "jones")
    other = store.add_entry(wl.id, stolen("XY-1"), "jones")
    with pytest.raises(ConflictError, match="already on 'stolen'"):
        store.update_entry(other.id, stolen("AB123CD"), "jones")
    store.add_entry(wl.id, stolen("AB123CD", region="fr"), "jones")  # another country's plate
    store.update_entry(first.id, stolen("AB-123-CD", reason="still stolen"), "jones")
    assert store.listed_plates(wl.id, [("AB123CD", ""), ("ZZ1", "")]) == {("AB123CD", ""): first.id}
