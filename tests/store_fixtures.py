"""Database fixtures: every store test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started once per test session from the installed server binaries
(Debian's ``/usr/lib/postgresql/<version>/bin``) in a throwaway directory, on a free loopback port
with its unix socket in that directory, and stopped at the end. initdb refuses to run as root, so
as root the server runs as the ``postgres`` system user. Without the binaries the PostgreSQL cases
skip, saying why.

Each test gets a fresh schema in the server's one database (its connections' search_path), not a
fresh database: ``CREATE DATABASE`` costs ~0.3 s a test here (it copies a thousand catalog files);
a schema is the same clean slate, migrated by ``Database.open`` exactly as in production.

tests/conftest.py registers this module as a plugin, so every test module can use the fixtures.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lanescreen.domain.decisions import (
    CameraRole,
    Decision,
    MatchRecord,
    Outcome,
    PlateRead,
    Reason,
    ReasonCode,
    StageTiming,
)
from lanescreen.domain.watchlists import ListKind
from lanescreen.store.db import Database
from lanescreen.vision.types import Box, Candidate

from tests.support import descendants

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    """A running throwaway server with one database for the session's tests."""

    port: int
    database: str = "lanescreen_test"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def url(self, schema: str) -> str:
        """SQLAlchemy URL whose connections work in ``schema`` (via the search_path)."""
        base = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.database}"
        return f"{base}?options=-csearch_path%3D{schema}"

    def create_schema(self) -> str:
        """A fresh, empty schema: a clean slate for one test, far cheaper than CREATE DATABASE."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return name

    def drop_schema(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


class PostgresCluster:
    """initdb + pg_ctl in a temporary directory, run as ``postgres`` when we are root."""

    def __init__(self, bindir: Path, *, durable: bool = False) -> None:
        self.bindir = bindir
        self.durable = durable
        """Commit to disk as in production (a halted server keeps every committed row); off,
        the server is fast but a halt loses the last commits."""
        self.as_root = os.geteuid() == 0
        self.prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        self.base = Path(tempfile.mkdtemp(prefix="lanescreen-pg-"))
        self.data = self.base / "data"
        if self.as_root:
            owner = pwd.getpwnam("postgres")
            os.chown(self.base, owner.pw_uid, owner.pw_gid)

    def run(self, tool: str, *args: str) -> None:
        command = [*self.prefix, str(self.bindir / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed: {done.stdout}{done.stderr}")

    def start(self) -> PostgresServer:
        self.run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        for attempt in range(3):
            port = _free_port()  # another process may take it before the server binds: retry
            try:
                self._pg_ctl_start(port)
            except RuntimeError:
                if attempt == 2:
                    log = self.base / "log"
                    raise RuntimeError(
                        f"PostgreSQL did not start:\n{log.read_text(errors='replace')}"
                    ) from None
                continue
            server = PostgresServer(port)
            self.run(
                "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", server.database
            )
            return server
        raise AssertionError("unreachable")

    def _pg_ctl_start(self, port: int) -> None:
        options = f"-p {port} -k {self.base} -c listen_addresses=127.0.0.1"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self.run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.base / "log"),
            "-w",
            "start",
        )

    def halt(self) -> None:
        """Stop the server at once (as a crash or a cut cable would), keeping its data."""
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def freeze(self) -> None:
        """Stop every process of the server (SIGSTOP), as a hung machine or a stalled disk would:
        connections stay open and nothing answers."""
        self._signal_all(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal_all(signal.SIGCONT)

    def _signal_all(self, sig: signal.Signals) -> None:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        for pid in (postmaster, *descendants(postmaster)):
            os.kill(pid, sig)

    def resume(self, server: PostgresServer) -> None:
        """Start a halted server again on its old port."""
        self._pg_ctl_start(server.port)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            command = [
                *self.prefix,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "-w",
                "stop",
            ]
            subprocess.run(command, capture_output=True, timeout=60, check=False)
        shutil.rmtree(self.base, ignore_errors=True)


def new_cluster(*, durable: bool = False) -> PostgresCluster:
    """A new cluster (not started), or a skip saying what is missing (pytest's Skipped: the
    benchmarks catch it too)."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'lanescreen[postgres]')")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
    return PostgresCluster(bindir, durable=durable)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session (fsync off: test data need not survive a crash)."""
    cluster = new_cluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture
def own_postgres() -> Iterator[tuple[PostgresCluster, PostgresServer]]:
    """A durable PostgreSQL server of the test's own, which the test may halt and resume."""
    cluster = new_cluster(durable=True)
    try:
        yield cluster, cluster.start()
    finally:
        cluster.stop()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty database on the backend named by the test's parameter."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'lanescreen.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    schema = server.create_schema()
    try:
        yield server.url(schema)
    finally:
        server.drop_schema(schema)


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite in a temp file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        db = Database.open(f"sqlite:///{tmp_path / 'lanescreen.db'}")
        yield db
        db.close()
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    schema = server.create_schema()
    db = Database.open(server.url(schema))
    try:
        yield db
    finally:
        db.close()
        server.drop_schema(schema)


def make_decision(
    outcome: Outcome = Outcome.HIT,
    *,
    lane_id: str = "lane-1",
    decided_at: datetime | None = None,
    plate: str = "ABC123",
    matches: tuple[MatchRecord, ...] | None = None,
    watchlist_id: str = "wl-stolen",
    watchlist_name: str = "stolen",
    frame_id: str = "frame-1",
) -> Decision:
    """A realistic decision as the screener builds it: a read, a match (for HITs), timings."""
    when = decided_at or datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    read = PlateRead(
        text=plate,
        confidence=0.91,
        char_confidences=(0.91,) * len(plate),
        candidates=(Candidate(plate, 0.91), Candidate(plate.replace("1", "I"), 0.05)),
        box=Box(120.0, 340.0, 180.0, 42.0),
        corners=((120.0, 340.0), (300.0, 340.0), (300.0, 382.0), (120.0, 382.0)),
        detection_score=0.88,
        reader="fast_plate_ocr",
        region="eu",
        format="eu_pl",
    )
    if matches is None:
        matches = (
            (
                MatchRecord(
                    entry_id=f"entry-{plate}",
                    watchlist_id=watchlist_id,
                    watchlist_name=watchlist_name,
                    list_kind=ListKind.DENY,
                    category="stolen",
                    action="stop",
                    priority=80,
                    entry_plate=plate,
                    read_text=plate,
                    match_kind="exact",
                    distance=0,
                    reason="reported stolen",
                ),
            )
            if outcome is Outcome.HIT
            else ()
        )
    code = {
        Outcome.HIT: ReasonCode.DENY_LIST_MATCH,
        Outcome.REVIEW: ReasonCode.LOW_CONFIDENCE_READ,
        Outcome.CLEAR: ReasonCode.CLEAR,
    }[outcome]
    return Decision(
        decision_id=str(uuid.uuid4()),
        lane_id=lane_id,
        frame_id=frame_id,
        camera=CameraRole.PLATE,
        outcome=outcome,
        reasons=(Reason(code, f"read {plate}: {code.value}", "match"),),
        plates=(read,),
        matches=matches,
        timings=(
            StageTiming("detect", 31.5),
            StageTiming("read", 12.25),
            StageTiming("match", 0.1),
        ),
        budget_ms=250,
        budget_met=True,
        total_ms=48.0,
        captured_at=when - timedelta(milliseconds=60),
        decided_at=when,
        passage_id="passage-7",
    )
