"""The site's lane registry: nodes' configured lanes seed what it lacks (the built-in defaults
only an empty one), the registry's definition applies over a node's, and every change is
trailed with its reason. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from lanescreen.config import LaneConfig, default_lanes
from lanescreen.domain.lanes import LaneRegistry
from lanescreen.errors import InvalidRequestError, NotFoundError, PreconditionError
from lanescreen.store.db import Database
from lanescreen.store.lanes import LaneStore
from lanescreen.store.models import TrailRow
from lanescreen.vision.weights import known_readers
from sqlalchemy import select

GATE = LaneConfig(id="gate-3", name="north gate", budget_ms=400, deny_lists=["stolen"])


@pytest.fixture
def lanes(database: Database) -> LaneStore:
    return LaneStore(database, known_readers())


def trail(db: Database) -> list[TrailRow]:
    with db.read() as session:
        rows = session.scalars(
            select(TrailRow).where(TrailRow.action.startswith("lane.")).order_by(TrailRow.seq)
        )
        return list(rows)


def test_the_defaults_seed_only_an_empty_registry(lanes: LaneStore, database: Database) -> None:
    assert lanes.adopt(default_lanes(), "node:a") == []
    assert lanes.lanes() == default_lanes()
    lanes.remove("staff-1", "supervisor.ng", "no staff gate at this site")
    # A node started later without [[lanes]] does not bring the default lanes back.
    assert lanes.adopt(default_lanes(), "node:b") == []
    assert [lane.id for lane in lanes.lanes()] == ["lane-1"]
    seeded = trail(database)[0]
    assert seeded.action == "lane.set" and seeded.actor == "node:a"
    assert seeded.detail["reason"] == "seeded from node:a's configuration"


def test_a_node_adds_its_lanes_and_the_sites_definition_applies(
    lanes: LaneStore, database: Database
) -> None:
    lanes.adopt([GATE], "node:a")
    other = LaneConfig(id="gate-4", budget_ms=300)
    differing = replace(GATE, budget_ms=900, allow_lists=["residents"])
    differences = lanes.adopt([differing, other], "node:b")
    assert [lane.id for lane in lanes.lanes()] == ["gate-3", "gate-4"]
    assert lanes.lane("gate-3") == GATE  # the site's, not node b's
    [difference] = differences
    assert "lane gate-3 is defined by the site (set by node:a)" in difference
    assert "budget_ms 400 (here 900)" in difference and "allow_lists" in difference
    assert trail_ok(database)


def trail_ok(db: Database) -> bool:
    with db.read() as session:
        return db.trail.verify(session).ok


def test_changes_are_validated_and_trailed_with_their_reason(
    lanes: LaneStore, database: Database
) -> None:
    before, after = lanes.put(GATE, "supervisor.ng", "new gate opened")
    assert before is None and after == GATE
    before, after = lanes.put(replace(GATE, budget_ms=300), "supervisor.ng", "tighter budget")
    assert before == GATE and after.budget_ms == 300
    removed = lanes.remove("gate-3", "supervisor.ng", "gate closed")
    assert removed.budget_ms == 300
    actions = [(row.action, row.detail["reason"]) for row in trail(database)]
    assert actions == [
        ("lane.set", "new gate opened"),
        ("lane.set", "tighter budget"),
        ("lane.remove", "gate closed"),
    ]
    assert trail(database)[1].detail["before"]["budget_ms"] == 400
    with pytest.raises(NotFoundError, match="no lane 'gate-3'"):
        lanes.remove("gate-3", "supervisor.ng", "again")
    for bad, message in [
        (replace(GATE, id="gate 3"), "lane id 'gate 3'"),
        (replace(GATE, budget_ms=0), "budget_ms must be positive"),
        (replace(GATE, reader="tesseract"), "unknown reader 'tesseract'"),
        (replace(GATE, allow_lists=[" "]), "a list name is empty"),
    ]:
        with pytest.raises(InvalidRequestError, match=message):
            lanes.put(bad, "supervisor.ng", "why")
    with pytest.raises(InvalidRequestError, match="reason"):
        lanes.put(GATE, "supervisor.ng", " ")
    assert lanes.lanes() == []
    assert trail_ok(database)


def test_nodes_seeding_the_same_lane_at_once_record_it_once(
    lanes: LaneStore, database: Database
) -> None:
    errors: list[BaseException] = []

    def seed(node: str) -> None:
        try:
            lanes.adopt([GATE], node)
        except Exception as exc:  # noqa: BLE001 - every failure is reported below
            errors.append(exc)

    threads = [threading.Thread(target=seed, args=(f"node:{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert lanes.lanes() == [GATE]
    assert len(trail(database)) == 1


def test_the_registry_serves_what_the_site_defines_and_prepares_new_lanes(
    lanes: LaneStore,
) -> None:
    lanes.adopt([GATE], "node:a")
    prepared: list[str] = []

    def prepare(lane: LaneConfig) -> None:
        if lane.reader == "easyocr":
            raise RuntimeError("model easyocr is missing")
        prepared.append(lane.id)

    registry = LaneRegistry(lanes.lanes(), lanes, prepare=prepare)
    assert registry.lane("gate-3") == GATE
    lanes.put(LaneConfig(id="gate-5"), "supervisor.ng", "new")
    lanes.put(LaneConfig(id="gate-6", reader="easyocr"), "supervisor.ng", "new")
    with pytest.raises(NotFoundError, match="unknown lane 'gate-5'"):
        registry.lane("gate-5")  # not read yet
    assert registry.refresh()
    assert registry.lane("gate-5").id == "gate-5" and prepared == ["gate-5"]
    with pytest.raises(PreconditionError, match=r"not served by this node yet: .*easyocr"):
        registry.lane("gate-6")
    lanes.remove("gate-3", "supervisor.ng", "closed")
    registry.refresh()
    with pytest.raises(NotFoundError, match="the site's lanes: gate-5"):
        registry.lane("gate-3")
    assert not registry.refresh()
