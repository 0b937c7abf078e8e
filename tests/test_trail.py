"""The tamper-evident audit trail: appends chain, and any edit, deletion or insertion is named."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from lanescreen.cli.main import main
from lanescreen.domain.decisions import Outcome
from lanescreen.domain.watchlists import EntryFields, ListKind
from lanescreen.store.db import Database
from lanescreen.store.decisions import DecisionStore
from lanescreen.store.models import DecisionRow, TrailHeadRow, TrailRow
from lanescreen.store.trail import AuditTrail, TrailEvent, load_or_create_key
from lanescreen.store.watchlists import WatchlistStore
from sqlalchemy import delete, select, update

from tests.store_fixtures import make_decision


def events(n: int, action: str = "test.event") -> list[TrailEvent]:
    return [
        TrailEvent(action, "officer.kim", f"thing:{i}", {"i": i, "note": "é"}) for i in range(n)
    ]


def append(db: Database, batch: list[TrailEvent]) -> list[int]:
    with db.write() as session:
        return db.trail.append(session, batch)


def verify(db: Database):  # type: ignore[no-untyped-def]
    with db.read() as session:
        return db.trail.verify(session)


def test_appends_chain_in_order_and_verify(database: Database) -> None:
    assert append(database, events(3)) == [1, 2, 3]
    assert append(database, events(2)) == [4, 5]
    database.record_event("audit.search", "auditor.ng", "hits", {"filter": {}})
    check = verify(database)
    assert check.ok and check.records == 6 and len(check.head_hash) == 64
    with database.read() as session:
        rows = list(session.scalars(select(TrailRow).order_by(TrailRow.seq)))
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert rows[-1].action == "audit.search" and rows[-1].actor == "auditor.ng"


def test_an_edited_record_is_named(database: Database) -> None:
    append(database, events(5))
    with database.write() as session:
        session.execute(update(TrailRow).where(TrailRow.seq == 3).values(actor="someone.else"))
    check = verify(database)
    assert not check.ok and check.broken_seq == 3 and check.records == 2
    assert "record 3" in check.problem and "changed" in check.problem


def test_a_removed_record_or_tail_is_named(database: Database) -> None:
    append(database, events(5))
    with database.write() as session:
        session.execute(delete(TrailRow).where(TrailRow.seq == 2))
    assert verify(database).broken_seq == 2
    with database.write() as session:
        session.execute(delete(TrailRow).where(TrailRow.seq >= 2))
    check = verify(database)
    assert not check.ok and check.broken_seq == 2 and "removed" in check.problem
    with database.read() as session:
        assert session.get(TrailHeadRow, "site").seq == 5  # type: ignore[union-attr]


def test_rewritten_hashes_do_not_verify_without_the_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keyed.db'}"
    key = load_or_create_key(tmp_path / "trail.key")
    assert load_or_create_key(tmp_path / "trail.key") == key and len(key) == 32
    assert (tmp_path / "trail.key").stat().st_mode & 0o077 == 0
    with Database.open(url, trail_key=key) as db:
        append(db, events(3))
        assert verify(db).ok
    # Someone with the database but not the key recomputes the chain as plain SHA-256.
    with Database.open(url) as forger, forger.write() as session:
        rows = list(session.scalars(select(TrailRow).order_by(TrailRow.seq)))
        session.execute(delete(TrailRow))
        head = session.get(TrailHeadRow, "site")
        assert head is not None
        head.seq, head.hash = 0, "0" * 64
        session.flush()
        forged = [TrailEvent(r.action, "forger", r.target, r.detail) for r in rows]
        AuditTrail(None).append(session, forged)
    with Database.open(url, trail_key=key) as db:
        check = verify(db)
    assert not check.ok and check.broken_seq == 1


def test_every_list_edit_and_hit_is_in_the_trail(database: Database) -> None:
    store = WatchlistStore(database)
    store.create_watchlist("stolen", ListKind.DENY, "", "officer.kim")
    entry = store.add_entry("stolen", EntryFields("AB123CD", reason="stolen"), "officer.kim")
    store.import_entries("stolen", [EntryFields("XY1"), EntryFields("XY2")], "officer.lee")
    store.remove_entry(entry.id, "officer.lee", "recovered")
    DecisionStore(database).record(make_decision(Outcome.HIT), None)
    DecisionStore(database).record(make_decision(Outcome.CLEAR), None)
    with database.read() as session:
        rows = list(session.scalars(select(TrailRow).order_by(TrailRow.seq)))
    assert [r.action for r in rows] == [
        "watchlist.create",
        "watchlist.add",
        "watchlist.import",
        "watchlist.import",
        "watchlist.remove",
        "decision.hit",
    ]
    assert rows[4].target == f"entry:{entry.id}" and rows[4].detail["reason"] == "recovered"
    assert rows[4].actor == "officer.lee" and rows[4].detail["before"]["plate"] == "AB123CD"
    assert verify(database).ok


Cli = Callable[..., tuple[int, dict[str, object]]]


@pytest.fixture
def cli_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    monkeypatch.setenv("LANESCREEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LANESCREEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("LANESCREEN_CONFIG", raising=False)

    def run() -> tuple[int, dict[str, object]]:
        status = main(["audit", "verify", "--json"])
        return status, json.loads(capsys.readouterr().out)

    return run


def test_audit_verify_names_a_hit_edited_behind_the_services_back(
    tmp_path: Path, cli_verify: Cli
) -> None:
    from lanescreen.config import StorageConfig
    from lanescreen.store.db import open_configured

    with open_configured(StorageConfig(data_dir=tmp_path / "data")) as db:
        store = DecisionStore(db)
        decisions = [make_decision(Outcome.HIT) for _ in range(3)]
        for d in decisions:
            store.record(d, None)
        status, report = cli_verify()
        assert status == 0 and report["ok"] and report["decisions_checked"] == 3
        assert report["keyed"] is True
        victim = decisions[1].decision_id
        with db.write() as session:
            row = session.get(DecisionRow, victim)
            assert row is not None
            record = dict(row.record)
            record["outcome"] = "REVIEW"
            row.record = record
        status, report = cli_verify()
        assert status == 1 and not report["ok"] and report["broken_decision"] == victim
        assert "record" in str(report["problem"]) and report["broken_seq"] is None

        with db.write() as session:
            session.execute(update(TrailRow).where(TrailRow.seq == 2).values(detail={"x": 1}))
        status, report = cli_verify()
        assert status == 1 and report["broken_seq"] == 2


def test_each_node_appends_to_its_own_chain_and_anchors_it_in_the_site_chain(
    database: Database, tmp_path: Path
) -> None:
    key = load_or_create_key(tmp_path / "trail.key")
    nodes = [AuditTrail(key, chain) for chain in ("node-a", "node-b")]
    for round_ in range(3):  # interleaved: each chain numbers its own records
        for trail in nodes:
            with database.write() as session:
                assert trail.append(session, events(2)) == [2 * round_ + 1, 2 * round_ + 2]
    with database.write() as session:
        for trail in nodes:
            trail.anchor(session)
    with database.read() as session:
        check = nodes[0].verify(session)
    assert check.ok, check.problem
    assert {chain: n for chain, (n, _) in check.chains.items()} == {
        "site": 2,
        "node-a": 6,
        "node-b": 6,
    }
    with database.read() as session:
        anchored = [
            r.detail for r in session.scalars(select(TrailRow).where(TrailRow.chain == "site"))
        ]
    assert [(a["chain"], a["seq"]) for a in anchored] == [("node-a", 6), ("node-b", 6)]

    # A node's chain cut back behind its anchor, its head re-set to match: the anchor says so.
    with database.write() as session:
        session.execute(delete(TrailRow).where(TrailRow.chain == "node-b", TrailRow.seq > 4))
        last = session.get(TrailRow, ("node-b", 4))
        head = session.get(TrailHeadRow, "node-b")
        assert last is not None and head is not None
        head.seq, head.hash = 4, last.hash
    with database.read() as session:
        cut = nodes[0].verify(session)
    assert not cut.ok and cut.chain == "node-b" and cut.broken_seq == 6
    assert "no longer holds the record 6" in cut.problem


def test_a_chain_signed_with_another_key_is_told_apart_from_a_changed_record(
    database: Database, tmp_path: Path
) -> None:
    ours = AuditTrail(load_or_create_key(tmp_path / "ours.key"), "node-a")
    theirs = AuditTrail(load_or_create_key(tmp_path / "theirs.key"), "node-b")
    for trail in (ours, theirs):
        with database.write() as session:
            trail.append(session, events(3))
    with database.read() as session:
        check = ours.verify(session)
    assert not check.ok and check.chain == "node-b" and check.broken_seq == 1
    assert (
        "signed with another key" in check.problem and "changed" not in check.problem.split(":")[-1]
    )
