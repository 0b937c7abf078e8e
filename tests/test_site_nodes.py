"""Several nodes on one PostgreSQL: each answers from its own journal, the site's database ends
up with every acknowledged HIT exactly once, and the audit trail verifies."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from lanescreen.api.server import LanescreenServer
from lanescreen.cli.main import main
from lanescreen.config import (
    Config,
    FaceConfig,
    LaneConfig,
    ServerConfig,
    StorageConfig,
    VisionConfig,
)
from lanescreen.domain.decisions import Outcome
from lanescreen.store.db import StoreError, open_configured
from lanescreen.store.decisions import DecisionStore, HitFilter
from lanescreen.store.models import DecisionRow, SiteSettingRow, TrailRow
from lanescreen.v1 import (
    common_pb2,
    screening_pb2,
    screening_pb2_grpc,
    site_pb2,
    site_pb2_grpc,
    watchlist_pb2,
    watchlist_pb2_grpc,
)
from sqlalchemy import delete, func, select

from tests.store_fixtures import PostgresCluster, PostgresServer
from tests.support import EU_PHOTOS, cn_frame, plate_labels

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

NODES = 3
FRAMES = 12
LISTED = "eu7.jpg"  # read exactly and confidently (tests/test_server_e2e.py)


@pytest.fixture
def site(
    model_dir: Path, tmp_path: Path, postgres_server: PostgresServer
) -> Iterator[list[LanescreenServer]]:
    url = postgres_server.url(postgres_server.create_schema())
    key = tmp_path / "trail.key"  # one site, one trail key, every node holding a copy
    nodes = []
    try:
        for n in range(NODES):
            config = Config(
                server=ServerConfig(listen="127.0.0.1:0", insecure_dev=True),
                storage=StorageConfig(
                    data_dir=tmp_path / f"node-{n}", database_url=url, trail_key_file=key
                ),
                vision=VisionConfig(model_dir=model_dir, auto_fetch=False),
                faces=FaceConfig(face_enabled=False),
                lanes=[LaneConfig(id=f"lane-{n}", budget_ms=5000)],
            )
            node = LanescreenServer(config)
            node.start()
            nodes.append(node)
        yield nodes
    finally:
        for node in nodes:
            node.stop(grace=1)


def _stream(port: int, lane: str, acknowledged: list[str]) -> None:
    image = (EU_PHOTOS / LISTED).read_bytes()
    frames = (
        screening_pb2.Frame(lane_id=lane, frame_id=f"{lane}-{n}", image=image)
        for n in range(FRAMES)
    )
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        for reply in screening_pb2_grpc.ScreeningServiceStub(channel).Screen(frames):
            assert reply.decision.outcome == common_pb2.OUTCOME_HIT, reply
            acknowledged.append(reply.decision.decision_id)


def test_three_nodes_stream_hits_at_once_and_each_is_stored_once(
    site: list[LanescreenServer],
) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{site[0].port}") as channel:
        lists = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        lists.CreateWatchlist(
            watchlist_pb2.CreateWatchlistRequest(name="stolen", kind=common_pb2.LIST_KIND_DENY)
        )
        entry = watchlist_pb2.PlateEntry(plate=plate_labels("openalpr_eu_dev")[LISTED])
        lists.AddPlateEntry(watchlist_pb2.AddPlateEntryRequest(watchlist="stolen", entry=entry))
    acknowledged: list[str] = []
    lanes = [
        threading.Thread(target=_stream, args=(node.port, f"lane-{n}", acknowledged))
        for n, node in enumerate(site)
    ]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join(timeout=120)
    assert len(acknowledged) == NODES * FRAMES
    assert all(node.sink.caught_up(timeout_s=30) for node in site)

    database = site[0].database
    store = DecisionStore(database)
    logged = store.logged_frames(Outcome.HIT)
    assert sorted(d for d, _ in logged) == sorted(acknowledged)  # every frame, once
    # One alert per lane's vehicle (the same car, 12 frames), each frame counted into it.
    alerts = {d.decision_id: d for d in store.iter_hits(HitFilter(outcome=Outcome.HIT))}
    assert {a for _, a in logged} == set(alerts) and len(alerts) == NODES
    assert all(a.alert is not None and a.alert.frames == FRAMES for a in alerts.values())
    with database.read() as session:
        rows = session.scalar(select(func.count()).select_from(DecisionRow))
        chained = session.scalar(
            select(func.count(func.distinct(TrailRow.target))).where(
                TrailRow.action == "decision.hit"
            )
        )
        check = database.trail.verify(session)
    assert rows == chained == NODES
    assert check.ok, check.problem
    assert DecisionStore(database).verify_against_trail().ok


def _node_config(tmp_path: Path, name: str, url: str, model_dir: Path, key: Path) -> Config:
    return Config(
        server=ServerConfig(listen="127.0.0.1:0", insecure_dev=True),
        storage=StorageConfig(data_dir=tmp_path / name, database_url=url, trail_key_file=key),
        vision=VisionConfig(model_dir=model_dir, auto_fetch=False),
        faces=FaceConfig(face_enabled=False),
    )


def test_a_node_with_another_trail_key_or_a_skewed_clock_refuses_to_start(
    model_dir: Path, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = postgres_server.url(postgres_server.create_schema())
    first = LanescreenServer(_node_config(tmp_path, "a", url, model_dir, tmp_path / "site.key"))
    try:
        with pytest.raises(StoreError, match=r"trail key .* is not the site's"):
            LanescreenServer(_node_config(tmp_path, "b", url, model_dir, tmp_path / "other.key"))
        late = lambda: datetime.now(UTC) - timedelta(minutes=2)  # noqa: E731
        config = _node_config(tmp_path, "c", url, model_dir, tmp_path / "site.key")
        with pytest.raises(StoreError, match=r"clock is -12\d\.\d s from the database"):
            LanescreenServer(config, wall_clock=late)
        # The tools check the key too: an export or an edit with another key would not verify.
        with pytest.raises(StoreError, match="is not the site's"):
            open_configured(_node_config(tmp_path, "d", url, model_dir, tmp_path / "x.key").storage)
        LanescreenServer(config).stop(grace=0)  # the same node with a good clock starts
    finally:
        first.stop(grace=0)


def test_a_node_whose_clock_drifts_while_serving_stops_reporting_serving(
    model_dir: Path, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = postgres_server.url(postgres_server.create_schema())
    drift = [timedelta(0)]
    node = LanescreenServer(
        _node_config(tmp_path, "a", url, model_dir, tmp_path / "site.key"),
        wall_clock=lambda: datetime.now(UTC) + drift[0],
    )
    node.start()
    try:
        assert _health(node) == SERVING
        drift[0] = timedelta(seconds=5)  # NTP lost: the node's clock runs ahead
        node._check_clock()  # what its clock thread does every minute
        _within(2, lambda: _health(node) == health_pb2.HealthCheckResponse.NOT_SERVING)
        with grpc.insecure_channel(f"127.0.0.1:{node.port}") as channel:
            status = screening_pb2_grpc.ScreeningServiceStub(channel).GetNodeStatus(
                screening_pb2.GetNodeStatusRequest()
            )
        assert 4.5 < status.clock_offset_s < 5.5 and not status.serving
        drift[0] = timedelta(0)
        node._check_clock()
        _within(2, lambda: _health(node) == SERVING)
    finally:
        node.stop(grace=0)


def test_a_site_whose_trail_predates_the_check_is_judged_by_its_newest_record(
    tmp_path: Path,
) -> None:
    storage = StorageConfig(data_dir=tmp_path, trail_key_file=tmp_path / "site.key")
    with open_configured(storage) as db:
        db.record_event("audit.search", "kim", "hits", {})
        with db.write() as session:  # as a database of lanescreen before the check was recorded
            session.execute(delete(SiteSettingRow))
    other = replace(storage, trail_key_file=tmp_path / "other.key")
    with pytest.raises(StoreError, match="newest trail record was not signed with it"):
        open_configured(other)
    with open_configured(storage) as db, db.read() as session:
        assert session.get(SiteSettingRow, "trail_key_check") is not None


def _screen(node: LanescreenServer, lane: str) -> screening_pb2.Decision:
    with grpc.insecure_channel(f"127.0.0.1:{node.port}") as channel:
        frame = screening_pb2.Frame(lane_id=lane, image=(EU_PHOTOS / LISTED).read_bytes())
        decision: screening_pb2.Decision = screening_pb2_grpc.ScreeningServiceStub(
            channel
        ).ScreenFrame(frame, timeout=30)
        return decision


def test_an_edit_through_one_node_decides_the_very_next_frame_on_another(
    site: list[LanescreenServer],
) -> None:
    editor, other = site[0], site[1]
    assert _screen(other, "lane-1").outcome == common_pb2.OUTCOME_CLEAR
    plate = plate_labels("openalpr_eu_dev")[LISTED]
    with grpc.insecure_channel(f"127.0.0.1:{editor.port}") as channel:
        lists = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        lists.CreateWatchlist(
            watchlist_pb2.CreateWatchlistRequest(name="wanted", kind=common_pb2.LIST_KIND_DENY)
        )
        for _ in range(3):  # added, then removed, then added again: each seen at once
            added = lists.AddPlateEntry(
                watchlist_pb2.AddPlateEntryRequest(
                    watchlist="wanted", entry=watchlist_pb2.PlateEntry(plate=plate)
                )
            )
            assert _screen(other, "lane-1").outcome == common_pb2.OUTCOME_HIT
            lists.RemovePlateEntry(
                watchlist_pb2.RemovePlateEntryRequest(entry_id=added.id, reason="found")
            )
            assert _screen(other, "lane-1").outcome == common_pb2.OUTCOME_CLEAR


def _screen_status(node: LanescreenServer, lane: str) -> grpc.StatusCode:
    image = (EU_PHOTOS / LISTED).read_bytes()
    with grpc.insecure_channel(f"127.0.0.1:{node.port}") as channel:
        stub = screening_pb2_grpc.ScreeningServiceStub(channel)
        try:
            stub.ScreenFrame(screening_pb2.Frame(lane_id=lane, frame_id="f", image=image))
        except grpc.RpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


def _within(seconds: float, check: Callable[[], bool]) -> float:
    """How long ``check`` took to hold (polled every 50 ms); fails after ``seconds``."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - start


def test_the_lanes_are_the_sites_and_every_node_serves_every_lane(
    site: list[LanescreenServer],
) -> None:
    # Each node was configured with one lane; all of them serve all three.
    assert [lane.id for lane in site[2].lanes.lanes()] == ["lane-0", "lane-1", "lane-2"]
    assert _screen(site[0], "lane-2").outcome == common_pb2.OUTCOME_CLEAR
    gate = site_pb2.Lane(id="gate-9", name="north gate", budget_ms=3000, every_deny_list=True)
    with grpc.insecure_channel(f"127.0.0.1:{site[0].port}") as channel:
        registry = site_pb2_grpc.SiteServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            registry.PutLane(site_pb2.PutLaneRequest(lane=gate))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "reason" in (refused.value.details() or "")
        registry.PutLane(site_pb2.PutLaneRequest(lane=gate, reason="gate opened"))
        served = _within(5, lambda: _screen_status(site[2], "gate-9") == grpc.StatusCode.OK)
        # every node within about a second of the edit (each refreshes on its own)
        served += _within(5, lambda: "gate-9" in {lane.id for lane in site[1].lanes.lanes()})
        assert served < 1.5
        listed = registry.ListLanes(site_pb2.ListLanesRequest())
        assert [lane.id for lane in listed.lanes] == ["gate-9", "lane-0", "lane-1", "lane-2"]
        assert site[1].lanes.lane("gate-9").budget_ms == 3000
        registry.RemoveLane(site_pb2.RemoveLaneRequest(lane_id="gate-9", reason="gate closed"))
    gone = _within(5, lambda: _screen_status(site[1], "gate-9") == grpc.StatusCode.NOT_FOUND)
    assert gone < 1.5
    with site[0].database.read() as session:
        trailed = session.scalars(
            select(TrailRow.action).where(TrailRow.target == "lane:gate-9").order_by(TrailRow.at)
        ).all()
    assert trailed == ["lane.set", "lane.remove"]


def test_a_lane_added_while_serving_is_read_with_its_own_reader(
    site: list[LanescreenServer],
) -> None:
    """The nodes loaded only the Latin reader; a Chinese lane added later is read with the
    project's own reader, which each node loads in the background before serving the lane."""
    assert not site[2]._pipeline.has_reader("lanescreen_fused")
    gate = site_pb2.Lane(id="gate-cn", budget_ms=5000, every_deny_list=True, region="cn")
    with grpc.insecure_channel(f"127.0.0.1:{site[0].port}") as channel:
        site_pb2_grpc.SiteServiceStub(channel).PutLane(
            site_pb2.PutLaneRequest(lane=gate, reason="lorries from the east")
        )
    seen: list[grpc.StatusCode] = []

    def served() -> bool:
        seen.append(_screen_status(site[2], "gate-cn"))
        return seen[-1] == grpc.StatusCode.OK

    _within(60, served)
    assert set(seen) <= {
        grpc.StatusCode.NOT_FOUND,  # not read from the registry yet
        grpc.StatusCode.FAILED_PRECONDITION,  # its reader loading
        grpc.StatusCode.OK,
    }
    with grpc.insecure_channel(f"127.0.0.1:{site[2].port}") as channel:
        decision = screening_pb2_grpc.ScreeningServiceStub(channel).ScreenFrame(
            cn_frame("皖AX775X"), timeout=30
        )
    assert (decision.plates[0].text, decision.plates[0].reader) == ("皖AX775X", "lanescreen_fused")


def test_a_frame_is_never_decided_on_watchlists_the_node_cannot_confirm(
    model_dir: Path, tmp_path: Path, own_postgres: tuple[PostgresCluster, PostgresServer]
) -> None:
    cluster, pg = own_postgres
    url = f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/{pg.database}"
    config = _node_config(tmp_path, "n", url, model_dir, tmp_path / "site.key")
    config = replace(config, lanes=[LaneConfig(id="lane-1", budget_ms=5000)])
    node = LanescreenServer(config)
    node.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{node.port}") as channel:
            lists = watchlist_pb2_grpc.WatchlistServiceStub(channel)
            lists.CreateWatchlist(
                watchlist_pb2.CreateWatchlistRequest(name="stolen", kind=common_pb2.LIST_KIND_DENY)
            )
            entry = watchlist_pb2.PlateEntry(plate=plate_labels("openalpr_eu_dev")[LISTED])
            lists.AddPlateEntry(watchlist_pb2.AddPlateEntryRequest(watchlist="stolen", entry=entry))
        assert _screen(node, "lane-1").outcome == common_pb2.OUTCOME_HIT
        assert _health(node) == SERVING
        cluster.freeze()  # the database host hangs: nothing can be confirmed
        try:
            time.sleep(1.5)
            stale = _screen(node, "lane-1")
            health_while_stale = _health(node)
        finally:
            cluster.thaw()
        assert health_while_stale == health_pb2.HealthCheckResponse.NOT_SERVING
        assert stale.outcome == common_pb2.OUTCOME_REVIEW
        assert [r.code for r in stale.reasons][:2] == ["watchlist_stale", "deny_list_match"]
        assert "on the lists as they were, HIT" in stale.reasons[0].detail
        assert len(stale.matches) == 1  # what the old lists gave is there for the officer
        deadline = time.monotonic() + 30
        while node.cache.staleness_s() > 0.5:
            assert time.monotonic() < deadline, "the node did not confirm its lists again"
            time.sleep(0.1)
        assert _screen(node, "lane-1").outcome == common_pb2.OUTCOME_HIT
        _within(2, lambda: _health(node) == SERVING)
    finally:
        node.stop(grace=1)


SERVING = health_pb2.HealthCheckResponse.SERVING


def _health(node: LanescreenServer) -> int:
    """The node's screening health, as a load balancer asks for it."""
    with grpc.insecure_channel(f"127.0.0.1:{node.port}") as channel:
        request = health_pb2.HealthCheckRequest(service="lanescreen.v1.ScreeningService")
        return int(health_pb2_grpc.HealthStub(channel).Check(request, timeout=5).status)


def _add(node: LanescreenServer, plate: str, priority: int) -> int:
    with grpc.insecure_channel(f"127.0.0.1:{node.port}") as channel:
        lists = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        entry = watchlist_pb2.PlateEntry(plate=plate, priority=priority)
        added = lists.AddPlateEntry(watchlist_pb2.AddPlateEntryRequest(watchlist="wl", entry=entry))
        return int(added.status)


def test_the_site_decides_two_person_approval_and_retention_for_every_node(
    model_dir: Path,
    tmp_path: Path,
    postgres_server: PostgresServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = postgres_server.url(postgres_server.create_schema())
    key = tmp_path / "site.key"
    strict = _node_config(tmp_path, "a", url, model_dir, key)  # approval from priority 80
    lax = _node_config(tmp_path, "b", url, model_dir, key)
    lax.governance.approval_min_priority = 95  # a node configured otherwise
    lax.storage.clear_retention_hours = 1.0
    first = LanescreenServer(strict)
    first.start()
    second = LanescreenServer(lax)
    second.start()
    try:
        # The second node applies the site's policy, not its own TOML.
        assert second.config.governance.approval_min_priority == 80
        assert second.config.storage.clear_retention_hours == 24.0
        with grpc.insecure_channel(f"127.0.0.1:{first.port}") as channel:
            watchlist_pb2_grpc.WatchlistServiceStub(channel).CreateWatchlist(
                watchlist_pb2.CreateWatchlistRequest(name="wl", kind=common_pb2.LIST_KIND_DENY)
            )
        pending = watchlist_pb2.APPROVAL_STATUS_PENDING
        assert _add(first, "PRI901", 90) == _add(second, "PRI902", 90) == pending
        # An administrator changes it for the site: every node's next edit follows, no restart.
        environment = {"LANESCREEN_DATABASE_URL": url, "LANESCREEN_TRAIL_KEY_FILE": str(key),
                       "LANESCREEN_DATA_DIR": str(tmp_path / "admin")}  # fmt: skip
        with mock.patch.dict(os.environ, environment):
            change = ["site", "set", "approval_min_priority", "95", "--reason", "policy 2026-12"]
            assert main([*change, "--actor", "admin.ng", "--json"]) == 0
            assert json.loads(capsys.readouterr().out) == {
                "name": "approval_min_priority", "before": "80", "after": "95",
            }  # fmt: skip
            assert main(["site", "set", "hit_retention_days", "-3", "--reason", "x"]) == 2
            assert "must be a positive number" in capsys.readouterr().err
            assert main(["site", "show", "--json"]) == 0
            assert json.loads(capsys.readouterr().out)["approval_min_priority"] == "95"
        active = watchlist_pb2.APPROVAL_STATUS_ACTIVE
        assert _add(first, "PRI903", 90) == _add(second, "PRI904", 90) == active
        with first.database.read() as session:
            [changed] = session.scalars(select(TrailRow).where(TrailRow.action == "site.setting"))
        assert changed.actor == "admin.ng" and changed.detail["reason"] == "policy 2026-12"
    finally:
        second.stop(grace=0)
        first.stop(grace=0)
