"""Faults lose nothing: a database that stops mid-stream, a server killed with SIGKILL mid-stream.

Both through the real service on loopback with real models and photos; "acknowledged" means the
lane received the decision, which is when the service promises the decision is on disk.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from unittest import mock

import grpc
import pytest
from lanescreen.api.auth import ACTOR_METADATA_KEY
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
from lanescreen.domain.decisions import Outcome, StageTiming
from lanescreen.store.db import Database, open_configured
from lanescreen.store.decisions import DecisionStore, HitFilter
from lanescreen.store.journal import DecisionJournal, JournalSink, Shipper
from lanescreen.store.models import TrailRow
from lanescreen.v1 import (
    common_pb2,
    screening_pb2,
    screening_pb2_grpc,
    watchlist_pb2,
    watchlist_pb2_grpc,
)
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from tests.store_fixtures import PostgresCluster, PostgresServer, make_decision
from tests.support import EVAL_PLATES, REPO, descendants, plate_labels

pytestmark = pytest.mark.slow

EU = EVAL_PLATES / "openalpr_eu_dev"
LISTED_PHOTO = "eu7.jpg"
OFFICER = ((ACTOR_METADATA_KEY, "officer.jones"),)


def frame(frame_id: str) -> screening_pb2.Frame:
    return screening_pb2.Frame(
        lane_id="lane-1",
        camera=common_pb2.CAMERA_ROLE_PLATE,
        frame_id=frame_id,
        image=(EU / LISTED_PHOTO).read_bytes(),
    )


def list_the_plate(channel: grpc.Channel) -> None:
    stub = watchlist_pb2_grpc.WatchlistServiceStub(channel)
    stub.CreateWatchlist(
        watchlist_pb2.CreateWatchlistRequest(name="stolen", kind=common_pb2.LIST_KIND_DENY),
        metadata=OFFICER,
    )
    entry = watchlist_pb2.PlateEntry(
        plate=plate_labels("openalpr_eu_dev")[LISTED_PHOTO], category="stolen", action="stop"
    )
    stub.AddPlateEntry(
        watchlist_pb2.AddPlateEntryRequest(watchlist="stolen", entry=entry), metadata=OFFICER
    )


class Lane:
    """A lane terminal on one Screen stream: send a frame, wait for its answer."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._frames: queue.Queue[screening_pb2.Frame | None] = queue.Queue()
        self._replies = screening_pb2_grpc.ScreeningServiceStub(channel).Screen(
            iter(self._frames.get, None)
        )

    def screen(self, frame_id: str) -> screening_pb2.ScreenResponse:
        self._frames.put(frame(frame_id))
        return next(self._replies)

    def close(self) -> None:
        self._frames.put(None)


def stored_ids(db: Database) -> set[str]:
    """The frame decisions stored (each answered frame's, in the frame log) whose alert is in
    the hit log."""
    store = DecisionStore(db)
    alerts = {d.decision_id for d in store.iter_hits(HitFilter())}
    return {d for d, alert in store.logged_frames() if alert in alerts or d in alerts}


def test_decisions_are_journaled_answered_and_shipped_once(
    tmp_path: Path, own_postgres: tuple[PostgresCluster, PostgresServer]
) -> None:
    cluster, server = own_postgres
    db = Database.open(f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/{server.database}")
    journal = DecisionJournal(tmp_path / "journal.db")
    sink = JournalSink(DecisionStore(db), journal, retry_s=0.2)  # not started: shipped by hand
    try:
        first = make_decision()
        sink.record(first, None)
        # Not answered yet: the shipper waits for the answer rather than store early times.
        assert sink.shipper.ship() == 0 and sink.waiting == 1
        answered = replace(first, total_ms=41.5, timings=(*first.timings, StageTiming("log", 2.0)))
        sink.settle(answered)
        assert sink.shipper.ship() == 1 and sink.waiting == 0
        cluster.halt()
        during = [make_decision() for _ in range(3)]
        for decision in during:
            sink.record(decision, None)
            sink.settle(replace(decision, total_ms=99.0))
        with pytest.raises(SQLAlchemyError):
            sink.shipper.ship()
        assert sink.waiting == 3
        # The journal file alone holds them and their answers: a new process sees all three.
        again = DecisionJournal(journal.path)
        assert [e.decision.decision_id for e in again.oldest(10)] == [d.decision_id for d in during]
        assert all(again.answer(d.decision_id).total_ms == 99.0 for d in during)  # type: ignore[union-attr]
        cluster.resume(server)
        # Shipped twice over (two shippers of one file, or a crash before the removal): once.
        assert Shipper(DecisionStore(db), again).ship() == 3
        assert Shipper(DecisionStore(db), journal).ship() == 0 and sink.waiting == 0
        stored = {d.decision_id: d for d in DecisionStore(db).iter_hits(HitFilter())}
        assert set(stored) == {first.decision_id, *(d.decision_id for d in during)}
        assert stored[first.decision_id].total_ms == 41.5
        assert [t.stage for t in stored[first.decision_id].timings][-1] == "log"
        assert all(stored[d.decision_id].total_ms == 99.0 for d in during)
        with db.read() as session:
            assert db.trail.verify(session).ok
    finally:
        journal.close()
        db.close()


def test_a_decision_never_answered_is_stored_so(tmp_path: Path, database: Database) -> None:
    journal = DecisionJournal(tmp_path / "journal.db")
    lost = make_decision()
    journal.put(lost, None)  # the node died before the answer left
    assert Shipper(DecisionStore(database), journal).ship() == 0  # it may still come
    assert Shipper(DecisionStore(database), journal).ship(final=True) == 1
    [stored] = DecisionStore(database).iter_hits(HitFilter())
    assert stored.decision_id == lost.decision_id and stored.answered is False
    assert stored.to_json()["answered"] is False


def test_a_clear_shipped_twice_is_stored_once(tmp_path: Path, database: Database) -> None:
    clear = make_decision(Outcome.CLEAR)
    for path in ("a.db", "b.db"):  # the same decision in two journals (a copy of a dead node's)
        journal = DecisionJournal(tmp_path / path)
        journal.put(clear, None)
        assert Shipper(DecisionStore(database), journal).ship(final=True) == 1
    assert DecisionStore(database).count_clear_reads() == 1


def test_database_stopped_mid_stream_loses_no_hit(
    model_dir: Path, tmp_path: Path, own_postgres: tuple[PostgresCluster, PostgresServer]
) -> None:
    cluster, pg = own_postgres
    url = f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/{pg.database}"
    config = Config(
        # Whether a hit is lost is the question here, not how fresh the lists are: the lists
        # may not be confirmed while the database is down (tests/test_site_nodes.py checks that).
        server=ServerConfig(
            listen="127.0.0.1:0", insecure_dev=True, max_watchlist_staleness_ms=60_000
        ),
        storage=StorageConfig(data_dir=tmp_path / "data", database_url=url),
        vision=VisionConfig(model_dir=model_dir, auto_fetch=False),
        faces=FaceConfig(face_enabled=False),
        lanes=[LaneConfig(id="lane-1", budget_ms=5000)],
    )
    server = LanescreenServer(config)
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        list_the_plate(channel)
        lane = Lane(channel)
        acknowledged = []
        for step in range(9):
            if step == 3:
                cluster.halt()
            if step == 6:
                cluster.resume(pg)
            reply = lane.screen(f"f{step}")
            assert reply.WhichOneof("result") == "decision", reply
            assert reply.decision.outcome == common_pb2.OUTCOME_HIT, reply.decision.reasons
            acknowledged.append(reply.decision.decision_id)
        lane.close()
        deadline = time.monotonic() + 30
        while server.sink.waiting and time.monotonic() < deadline:
            time.sleep(0.2)
        assert server.sink.waiting == 0
        assert set(acknowledged) <= stored_ids(server.database)
        with server.database.read() as session:
            assert server.database.trail.verify(session).ok
    finally:
        channel.close()
        server.stop(grace=1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def serve(
    model_dir: Path, tmp_path: Path
) -> Iterator[tuple[Path, int, list[subprocess.Popen[str]]]]:
    """Start ``lanescreen serve`` processes on one data directory and port (insecure dev)."""
    port = _free_port()
    config = tmp_path / "lanescreen.toml"
    config.write_text('[[lanes]]\nid = "lane-1"\nbudget_ms = 5000\n', encoding="utf-8")
    data = tmp_path / "data"
    started: list[subprocess.Popen[str]] = []
    yield data, port, started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def start_serving(
    model_dir: Path,
    data: Path,
    port: int,
    started: list[subprocess.Popen[str]],
    *,
    faces: bool = False,
) -> grpc.Channel:
    env = {
        **os.environ,
        "LANESCREEN_CONFIG": str(data.parent / "lanescreen.toml"),
        "LANESCREEN_DATA_DIR": str(data),
        "LANESCREEN_MODEL_DIR": str(model_dir),
        "LANESCREEN_AUTO_FETCH": "false",
        "LANESCREEN_FACE_ENABLED": str(faces).lower(),
        "LANESCREEN_LISTEN": f"127.0.0.1:{port}",
    }
    env.pop("LANESCREEN_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "lanescreen.cli.main", "serve", "--insecure-dev"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    started.append(process)
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        grpc.channel_ready_future(channel).result(timeout=120)
    except grpc.FutureTimeoutError:
        process.kill()
        output = process.communicate(timeout=30)[0]
        raise AssertionError(f"lanescreen serve did not start:\n{output}") from None
    return channel


def test_sigkill_mid_stream_loses_no_acknowledged_hit(
    model_dir: Path, serve: tuple[Path, int, list[subprocess.Popen[str]]]
) -> None:
    data, port, started = serve
    channel = start_serving(model_dir, data, port, started)
    list_the_plate(channel)
    acknowledged: list[str] = []
    stop = threading.Event()

    def stream() -> None:
        lane = Lane(channel)
        try:
            for n in range(1000):
                if stop.is_set():
                    break
                reply = lane.screen(f"k{n}")
                if reply.WhichOneof("result") == "decision":
                    acknowledged.append(reply.decision.decision_id)
        except grpc.RpcError:
            pass  # the server died under the stream, as intended
        finally:
            lane.close()

    streaming = threading.Thread(target=stream)
    streaming.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    started[0].send_signal(signal.SIGKILL)  # mid-stream: frames are in flight
    started[0].wait(timeout=30)
    stop.set()
    streaming.join(timeout=60)
    channel.close()
    assert len(acknowledged) >= 5

    # The dead node's journal, copied off its disk, shipped by the command...
    copy = data.parent / "copied"
    copy.mkdir()
    for part in data.glob("journal.db*"):
        shutil.copy2(part, copy / part.name)
    environment = {
        "LANESCREEN_DATA_DIR": str(data),
        "LANESCREEN_CONFIG": str(data.parent / "lanescreen.toml"),
    }
    from lanescreen.config import load_config

    config = load_config(env=environment)
    with mock.patch.dict(os.environ, environment):
        assert main(["journal", "ship", "--from", str(copy / "journal.db")]) == 0
    # ...and the same journal shipped again by the node itself once it is back: nothing twice.
    channel = start_serving(model_dir, data, port, started)  # the same data directory
    channel.close()
    deadline = time.monotonic() + 30
    while DecisionJournal(config.storage.resolved_journal_file()).backlog().decisions:
        assert time.monotonic() < deadline, "the restarted node did not ship its journal"
        time.sleep(0.2)
    started[1].send_signal(signal.SIGTERM)
    started[1].wait(timeout=60)
    with open_configured(config.storage) as db:
        assert set(acknowledged) <= stored_ids(db)
        with db.read() as session:
            check = db.trail.verify(session)
            hits = list(
                session.scalars(select(TrailRow.target).where(TrailRow.action == "decision.hit"))
            )
        assert check.ok, check.problem
        assert len(hits) == len(set(hits))  # each decision chained once
        assert DecisionStore(db).verify_against_trail().ok


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_face_workers_exit_when_their_server_is_killed(
    model_dir: Path, serve: tuple[Path, int, list[subprocess.Popen[str]]]
) -> None:
    data, port, started = serve
    channel = start_serving(model_dir, data, port, started, faces=True)
    channel.close()
    workers = descendants(started[0].pid)
    assert len(workers) >= 2, workers  # the forkserver and its face workers
    started[0].send_signal(signal.SIGKILL)
    started[0].wait(timeout=30)
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if _alive(pid)]


def test_an_outbox_of_lanescreen_0_1_becomes_the_journal(
    tmp_path: Path, database: Database
) -> None:
    import json as _json
    import sqlite3

    waiting = make_decision()
    old = sqlite3.connect(tmp_path / "outbox.db")
    old.execute(
        "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, decision TEXT NOT NULL, "
        "plate_crop_jpeg BLOB, frame_jpeg BLOB, face_chip_jpeg BLOB)"
    )
    old.execute(
        "INSERT INTO outbox (decision, frame_jpeg) VALUES (?, ?)",
        (_json.dumps(waiting.to_json()), b"\xff\xd8jpeg"),
    )
    old.commit()
    old.close()
    journal = DecisionJournal(tmp_path / "outbox.db")
    [entry] = journal.oldest(10)
    assert entry.decision.decision_id == waiting.decision_id
    assert entry.evidence is not None and entry.evidence.frame_jpeg == b"\xff\xd8jpeg"
    assert Shipper(DecisionStore(database), journal).ship(final=True) == 1
    assert len(journal) == 0


def test_a_full_journal_keeps_decisions_without_their_images(
    tmp_path: Path, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from lanescreen.domain.decisions import Evidence

    sink = JournalSink(DecisionStore(database), DecisionJournal(tmp_path / "j.db"), max_bytes=4000)
    images = Evidence(b"c" * 3000, b"f" * 3000, None)
    first, second = make_decision(), make_decision()
    sink.record(first, images)  # under the bound: kept whole
    with caplog.at_level("WARNING"):
        sink.record(second, images)  # over it: the record, without its images
    assert "without their images" in caplog.text
    by_id = {e.decision.decision_id: e for e in sink.journal.oldest(10)}
    assert by_id[first.decision_id].evidence == images
    assert by_id[second.decision_id].evidence is None


def test_journal_status_and_ship_from_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json as _json

    journal = DecisionJournal(tmp_path / "dead" / "journal.db")
    for _ in range(3):
        journal.put(make_decision(), None)
    journal.close()
    config = tmp_path / "site.toml"
    config.write_text(f'[storage]\ndata_dir = "{tmp_path / "site"}"\n', encoding="utf-8")
    common = ["--config", str(config), "journal"]
    source = ["--from", str(tmp_path / "dead" / "journal.db"), "--json"]
    assert main([*common, "status", *source]) == 0
    assert _json.loads(capsys.readouterr().out)["decisions"] == 3
    assert main([*common, "ship", *source]) == 0
    assert _json.loads(capsys.readouterr().out) | {"journal": ""} == {
        "journal": "",
        "shipped": 3,
        "before": 3,
        "left": 0,
    }
    assert main([*common, "status", "--from", str(tmp_path / "nowhere.db")]) == 2
    assert "no journal at" in capsys.readouterr().err
