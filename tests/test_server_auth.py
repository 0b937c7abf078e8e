"""Identity and roles over real TLS on loopback: real certificates from the site PKI the server
creates on first start, issued with the real CLI; refusals checked in the audit trail."""

from __future__ import annotations

import io
import json
import queue
import sqlite3
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from lanescreen.api.auth import ACTOR_METADATA_KEY
from lanescreen.api.server import LanescreenServer, transport_security
from lanescreen.cli.main import main
from lanescreen.config import Config, ConfigError, ServerConfig, load_config
from lanescreen.security.identity import new_token, token_digest
from lanescreen.security.pki import SitePaths, create_ca, issue_client
from lanescreen.store.credentials import CredentialStore
from lanescreen.store.models import TrailRow
from lanescreen.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    common_pb2,
    screening_pb2,
    screening_pb2_grpc,
    watchlist_pb2,
    watchlist_pb2_grpc,
)
from sqlalchemy import select

from tests.support import EVAL_PLATES, plate_labels

pytestmark = pytest.mark.slow

PHOTO = EVAL_PLATES / "openalpr_eu_dev" / "eu1.jpg"
SCREEN_FRAME = "/lanescreen.v1.ScreeningService/ScreenFrame"
SCREEN = "/lanescreen.v1.ScreeningService/Screen"
EXPORT_HITS = "/lanescreen.v1.AuditService/ExportHits"
LIST_WATCHLISTS = "/lanescreen.v1.WatchlistService/ListWatchlists"
APPROVE_ENTRY = "/lanescreen.v1.WatchlistService/ApprovePlateEntry"
LISTED_PHOTO = "eu7.jpg"  # as in tests/test_server_e2e.py: read exactly and confidently


def cli(config_file: Path, *args: str) -> dict[str, Any]:
    """Run ``lanescreen --config FILE ARGS --json`` and return its JSON answer."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["--config", str(config_file), *args, "--json"]) == 0
    return dict(json.loads(out.getvalue().splitlines()[-1]))


@dataclass
class Site:
    server: LanescreenServer
    config_file: Path
    pki: SitePaths
    target: str
    tokens: dict[str, str]

    def channel(
        self, client: str | None = None, *, ca: Path | None = None, target: str = ""
    ) -> grpc.Channel:
        """A TLS channel presenting ``client`` (``lanes/lane-1``, ``consoles/desk-1``...)."""
        key = cert = None
        if client is not None:
            cert = (self.pki.root / f"{client}.pem").read_bytes()
            key = (self.pki.root / f"{client}.key").read_bytes()
        credentials = grpc.ssl_channel_credentials((ca or self.pki.ca_cert).read_bytes(), key, cert)
        return grpc.secure_channel(target or self.target, credentials)

    def refusals(self, target: str) -> list[TrailRow]:
        assert self.server.refusals.flush()  # written off the refused caller's path
        with self.server.database.read() as session:
            return list(
                session.scalars(
                    select(TrailRow)
                    .where(TrailRow.action == "auth_refused", TrailRow.target == target)
                    .order_by(TrailRow.seq)
                )
            )


@pytest.fixture(scope="module")
def site(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("data")
    config_file = data / "lanescreen.toml"
    config_file.write_text(
        f"""
[server]
listen = "127.0.0.1:0"
[storage]
data_dir = "{data}"
[vision]
model_dir = "{model_dir}"
auto_fetch = false
[faces]
face_enabled = false
[[lanes]]
id = "lane-1"
budget_ms = 3000
[[lanes]]
id = "lane-2"
budget_ms = 3000
[[lanes]]
id = "lane-3"
budget_ms = 3000
"""
    )
    config = load_config(config_file, env={})
    server = LanescreenServer(config)  # no TLS settings: creates the site PKI in data/pki
    port = server.start()
    pki = SitePaths(config.pki_dir)
    assert pki.ca_cert.exists() and pki.server_cert.exists()
    cli(config_file, "pki", "issue-lane", "lane-1", "--actor", "admin")
    cli(config_file, "pki", "issue-lane", "lane-2", "--actor", "admin")
    cli(config_file, "pki", "issue-console", "desk-1", "--actor", "admin")
    cli(config_file, "pki", "issue-user", "audrey", "--role", "auditor", "--actor", "admin")
    tokens = {
        name: cli(config_file, "users", "add", name, "--role", role, "--actor", "admin")["token"]
        for name, role in (("jones", "officer"), ("smith", "auditor"), ("gone", "officer"))
    }
    cli(config_file, "users", "revoke", "gone", "--actor", "supervisor.lee")
    expired = new_token()
    CredentialStore(server.database).add(
        "token",
        "late",
        token_digest(expired),
        roles=["officer"],
        created_by="admin",
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    tokens["late"] = expired
    try:
        yield Site(server, config_file, pki, f"127.0.0.1:{port}", tokens)
    finally:
        server.stop(grace=1)


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def frame(lane: str, frame_id: str = "f") -> screening_pb2.Frame:
    return screening_pb2.Frame(
        lane_id=lane,
        camera=common_pb2.CAMERA_ROLE_PLATE,
        frame_id=frame_id,
        image=PHOTO.read_bytes(),
    )


def code_of(call: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as refused:
        call()
    code: grpc.StatusCode = refused.value.code()
    return code


def test_a_connection_without_a_client_certificate_is_refused(site: Site) -> None:
    with site.channel(None) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        # TLS itself refuses it (gRPC can only require client certificates or not ask for them),
        # so no RPC runs: the client sees the handshake fail.
        assert code_of(lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=5)) is (
            grpc.StatusCode.UNAVAILABLE
        )
    with grpc.insecure_channel(site.target) as plaintext:
        stub = health_pb2_grpc.HealthStub(plaintext)
        assert code_of(lambda: stub.Check(health_pb2.HealthCheckRequest(), timeout=5)) is (
            grpc.StatusCode.UNAVAILABLE
        )


def test_a_certificate_from_another_ca_is_refused(site: Site, tmp_path: Path) -> None:
    rogue = SitePaths(tmp_path / "rogue")
    create_ca(rogue)
    issue_client(rogue, "lane", "lane-1")
    cert, key = rogue.client("lane", "lane-1")
    credentials = grpc.ssl_channel_credentials(
        site.pki.ca_cert.read_bytes(), key.read_bytes(), cert.read_bytes()
    )
    with grpc.secure_channel(site.target, credentials) as channel:
        stub = screening_pb2_grpc.ScreeningServiceStub(channel)
        assert code_of(lambda: stub.ScreenFrame(frame("lane-1"), timeout=5)) is (
            grpc.StatusCode.UNAVAILABLE
        )


def test_a_console_with_no_person_signed_in_is_unauthenticated_and_logged(site: Site) -> None:
    with site.channel("consoles/desk-1") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        reply = health.Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        stub = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.ListWatchlists(watchlist_pb2.ListWatchlistsRequest(), timeout=5)
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "Bearer" in (refused.value.details() or "")
    [row] = site.refusals(LIST_WATCHLISTS)
    assert row.actor == "console:desk-1"
    assert row.detail["code"] == "UNAUTHENTICATED" and row.detail["peer"].startswith("ipv4:")


def test_bad_tokens_are_unauthenticated_and_logged(site: Site) -> None:
    method = "/lanescreen.v1.WatchlistService/GetWatchlist"
    with site.channel("consoles/desk-1") as channel:
        stub = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        request = watchlist_pb2.GetWatchlistRequest(watchlist="x")
        for token in (site.tokens["gone"], site.tokens["late"], new_token(), "not a token"):
            assert code_of(lambda t=token: stub.GetWatchlist(request, metadata=bearer(t))) is (
                grpc.StatusCode.UNAUTHENTICATED
            )
    reasons = [(row.actor, row.detail["reason"]) for row in site.refusals(method)]
    assert reasons[0] == ("gone", "the token of gone is revoked")
    assert reasons[1] == ("late", "the token of late is expired")
    assert reasons[2][0] == "anonymous" and "unknown bearer token" in reasons[2][1]
    assert len(reasons) == 4


def test_a_token_only_counts_over_a_console_certificate(site: Site) -> None:
    with site.channel("lanes/lane-1") as channel:
        stub = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        call = lambda: stub.ListWatchlists(  # noqa: E731
            watchlist_pb2.ListWatchlistsRequest(), metadata=bearer(site.tokens["jones"])
        )
        assert code_of(call) is grpc.StatusCode.UNAUTHENTICATED


def test_an_officer_token_on_an_auditor_rpc_is_denied_and_logged(site: Site) -> None:
    # A standard gRPC client's token credentials: "authorization: Bearer <token>" per call.
    tls = grpc.ssl_channel_credentials(
        site.pki.ca_cert.read_bytes(),
        (site.pki.root / "consoles/desk-1.key").read_bytes(),
        (site.pki.root / "consoles/desk-1.pem").read_bytes(),
    )
    as_jones = grpc.composite_channel_credentials(
        tls, grpc.access_token_call_credentials(site.tokens["jones"])
    )
    with grpc.secure_channel(site.target, as_jones) as channel:
        audit = audit_pb2_grpc.AuditServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            list(audit.ExportHits(audit_pb2.ExportHitsRequest(reason="curious"), timeout=5))
        assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
        assert "needs role auditor or supervisor" in (refused.value.details() or "")
        # The officer's own work is allowed: the hit queue.
        audit.ListHits(audit_pb2.ListHitsRequest(), timeout=5)
    [row] = site.refusals(EXPORT_HITS)
    assert row.actor == "jones" and row.detail["code"] == "PERMISSION_DENIED"


def test_the_acting_person_is_recorded_not_what_metadata_claims(site: Site) -> None:
    with site.channel("consoles/desk-1") as channel:
        stub = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        created = stub.CreateWatchlist(
            watchlist_pb2.CreateWatchlistRequest(name="stolen", kind=common_pb2.LIST_KIND_DENY),
            metadata=(*bearer(site.tokens["jones"]), (ACTOR_METADATA_KEY, "mallory")),
            timeout=10,
        )
    assert created.created_by == "jones"


def test_a_persons_certificate_carries_their_roles(site: Site) -> None:
    with site.channel("users/audrey") as channel:
        audit = audit_pb2_grpc.AuditServiceStub(channel)
        list(audit.ExportHits(audit_pb2.ExportHitsRequest(reason="quarterly audit"), timeout=10))
        lists = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        lists.ListWatchlists(watchlist_pb2.ListWatchlistsRequest(), timeout=5)
        create = watchlist_pb2.CreateWatchlistRequest(name="x", kind=common_pb2.LIST_KIND_DENY)
        assert code_of(lambda: lists.CreateWatchlist(create, timeout=5)) is (
            grpc.StatusCode.PERMISSION_DENIED
        )


def test_a_lane_certificate_screens_but_touches_nothing_else(site: Site) -> None:
    with site.channel("lanes/lane-1", target=site.target.replace("127.0.0.1", "localhost")) as ch:
        decision = screening_pb2_grpc.ScreeningServiceStub(ch).ScreenFrame(
            frame("lane-1"), timeout=10
        )
        assert decision.decision_id and decision.lane_id == "lane-1"
        lists = watchlist_pb2_grpc.WatchlistServiceStub(ch)
        assert code_of(lambda: lists.ListWatchlists(watchlist_pb2.ListWatchlistsRequest())) is (
            grpc.StatusCode.PERMISSION_DENIED
        )


def test_another_lanes_certificate_cannot_screen_as_lane_1(site: Site) -> None:
    with site.channel("lanes/lane-2") as channel:
        stub = screening_pb2_grpc.ScreeningServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.ScreenFrame(frame("lane-1"), timeout=10)
    assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "lane:lane-2 may not screen as lane 'lane-1'" in (refused.value.details() or "")
    [row] = site.refusals(SCREEN_FRAME)
    assert row.actor == "lane:lane-2" and row.detail["lane_id"] == "lane-1"


def test_a_refused_frame_is_answered_while_the_database_is_locked(site: Site) -> None:
    """The refusal is trailed off the caller's path: with another process holding SQLite's
    write lock, the refused lane is answered at once, and the record follows the lock."""
    before = len(site.refusals(SCREEN_FRAME))
    holder = sqlite3.connect(site.server.config.storage.resolved_database_url().split("///")[1])
    try:
        holder.execute("BEGIN IMMEDIATE")  # the write lock, as a long import would hold it
        with site.channel("lanes/lane-2") as channel:
            stub = screening_pb2_grpc.ScreeningServiceStub(channel)
            start = time.monotonic()
            with pytest.raises(grpc.RpcError) as refused:
                stub.ScreenFrame(frame("lane-1"), timeout=10)
            answered_s = time.monotonic() - start
        assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
        assert answered_s < 1.0, answered_s  # not the 5 s busy timeout
    finally:
        holder.rollback()
        holder.close()
    assert len(site.refusals(SCREEN_FRAME)) == before + 1


def test_a_lane_screens_only_as_itself_and_its_stream_goes_on(site: Site) -> None:
    before = len(site.refusals(SCREEN))
    frames = [
        frame("lane-1", "a"),
        frame("lane-2", "b"),
        frame("lane-2", "c"),
        frame("lane-1", "d"),
    ]
    with site.channel("lanes/lane-1") as channel:
        replies = list(
            screening_pb2_grpc.ScreeningServiceStub(channel).Screen(iter(frames), timeout=30)
        )
    assert [r.frame_id for r in replies] == ["a", "b", "c", "d"]
    assert replies[0].HasField("decision") and replies[3].HasField("decision")
    for refused in replies[1:3]:
        assert refused.HasField("error")
        assert refused.error.code == grpc.StatusCode.PERMISSION_DENIED.value[0]
        assert "may not screen as lane 'lane-2'" in refused.error.message
    # One trail record per stream and foreign lane, not one per frame.
    rows = site.refusals(SCREEN)[before:]
    assert [(r.actor, r.detail["lane_id"]) for r in rows] == [("lane:lane-1", "lane-2")]


def test_revoking_a_lane_ends_its_open_stream(site: Site) -> None:
    cli(site.config_file, "pki", "issue-lane", "lane-3", "--out", str(site.pki.root / "spare"))
    outbox: queue.Queue[screening_pb2.Frame | None] = queue.Queue()

    def requests() -> Iterator[screening_pb2.Frame]:
        while (item := outbox.get()) is not None:
            yield item

    with site.channel("spare/lane-3") as channel:
        replies = screening_pb2_grpc.ScreeningServiceStub(channel).Screen(requests(), timeout=30)
        outbox.put(frame("lane-3", "before"))
        assert next(replies).HasField("decision")
        cli(site.config_file, "users", "list")  # the CLI works while the server runs
        revoked = cli(site.config_file, "pki", "revoke", "lane-3", "--actor", "supervisor.lee")
        assert revoked["revoked_by"] == "supervisor.lee"
        time.sleep(2.2)  # the server re-reads revocations every 2 s
        outbox.put(frame("lane-3", "after"))
        with pytest.raises(grpc.RpcError) as ended:
            next(replies)
        outbox.put(None)
    assert ended.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "revoked" in (ended.value.details() or "")


def test_a_high_severity_entry_hits_only_once_a_second_person_supervisor_approves(
    site: Site,
) -> None:
    plate = plate_labels("openalpr_eu_dev")[LISTED_PHOTO]
    image = (PHOTO.parent / LISTED_PHOTO).read_bytes()
    # lee is an officer and a supervisor (a shift lead); ng a supervisor with a certificate.
    lee = cli(
        site.config_file, "users", "add", "lee", "--role", "officer", "--role", "supervisor",
        "--actor", "admin",
    )["token"]  # fmt: skip
    cli(site.config_file, "pki", "issue-user", "ng", "--role", "supervisor", "--actor", "admin")
    entry = watchlist_pb2.PlateEntry(
        plate=plate,
        priority=90,
        category="wanted",
        action="stop",
        reason="vehicle of a robbery suspect",
        legal_basis="European Arrest Warrant",
        case_number="EAW DE-2026-4471",
    )

    def screen(lane: screening_pb2_grpc.ScreeningServiceStub, frame_id: str) -> Any:
        decision = lane.ScreenFrame(
            screening_pb2.Frame(
                lane_id="lane-1",
                camera=common_pb2.CAMERA_ROLE_PLATE,
                frame_id=frame_id,
                image=image,
            ),
            timeout=30,
        )
        assert decision.plates and decision.plates[0].text == plate, decision
        return decision

    with (
        site.channel("consoles/desk-1") as desk,
        site.channel("users/ng") as ng,
        site.channel("lanes/lane-1") as lane_channel,
    ):
        lists = watchlist_pb2_grpc.WatchlistServiceStub(desk)
        lane = screening_pb2_grpc.ScreeningServiceStub(lane_channel)
        lists.CreateWatchlist(
            watchlist_pb2.CreateWatchlistRequest(name="wanted", kind=common_pb2.LIST_KIND_DENY),
            metadata=bearer(lee),
            timeout=10,
        )
        added = lists.AddPlateEntry(
            watchlist_pb2.AddPlateEntryRequest(watchlist="wanted", entry=entry),
            metadata=bearer(lee),
            timeout=10,
        )
        assert added.status == watchlist_pb2.APPROVAL_STATUS_PENDING
        assert (added.updated_by, added.case_number) == ("lee", "EAW DE-2026-4471")
        trial = lists.ImportPlateEntries(
            watchlist_pb2.ImportPlateEntriesRequest(
                watchlist="wanted", data=b"plate,priority\nZZ1,95\nZZ2,10\n", dry_run=True
            ),
            metadata=bearer(lee),
            timeout=10,
        )
        assert [r.status for r in trial.rows] == [
            watchlist_pb2.APPROVAL_STATUS_PENDING,
            watchlist_pb2.APPROVAL_STATUS_ACTIVE,
        ]
        pending = screen(lane, "while-pending")
        assert pending.outcome == common_pb2.OUTCOME_CLEAR and not pending.matches
        waiting = lists.ListPlateEntries(
            watchlist_pb2.ListPlateEntriesRequest(
                watchlist="wanted", status=watchlist_pb2.APPROVAL_STATUS_PENDING
            ),
            metadata=bearer(site.tokens["jones"]),
            timeout=10,
        )
        assert [e.id for e in waiting.entries] == [added.id]

        approve = watchlist_pb2.ApprovePlateEntryRequest(entry_id=added.id, note="checked")
        # lee holds the supervisor role, but made the change: the two-person rule refuses.
        with pytest.raises(grpc.RpcError) as own:
            lists.ApprovePlateEntry(approve, metadata=bearer(lee), timeout=10)
        assert own.value.code() is grpc.StatusCode.PERMISSION_DENIED
        assert "two-person rule" in (own.value.details() or "")
        # jones is an officer: the role policy refuses before any code runs.
        with pytest.raises(grpc.RpcError) as officer:
            lists.ApprovePlateEntry(approve, metadata=bearer(site.tokens["jones"]), timeout=10)
        assert officer.value.code() is grpc.StatusCode.PERMISSION_DENIED
        assert "needs role supervisor" in (officer.value.details() or "")
        assert screen(lane, "still-pending").outcome == common_pb2.OUTCOME_CLEAR

        approved = watchlist_pb2_grpc.WatchlistServiceStub(ng).ApprovePlateEntry(
            approve, timeout=10
        )
        assert approved.status == watchlist_pb2.APPROVAL_STATUS_ACTIVE
        assert (approved.reviewed_by, approved.review_note, approved.updated_by) == (
            "ng",
            "checked",
            "lee",
        )
        hit = screen(lane, "approved")
    assert hit.outcome == common_pb2.OUTCOME_HIT, hit
    assert [m.entry_id for m in hit.matches] == [added.id]
    [refused] = site.refusals(APPROVE_ENTRY)
    assert (refused.actor, refused.detail["code"]) == ("jones", "PERMISSION_DENIED")
    with site.server.database.read() as session:
        trail = list(
            session.scalars(
                select(TrailRow)
                .where(TrailRow.target == f"entry:{added.id}")
                .order_by(TrailRow.seq)
            )
        )
    assert [(r.action, r.actor) for r in trail] == [
        ("watchlist.add", "lee"),
        ("watchlist.review_refused", "lee"),
        ("watchlist.approve", "ng"),
    ]


def test_plaintext_mode_needs_the_flag_and_loopback() -> None:
    with pytest.raises(ConfigError, match="loopback"):
        transport_security(Config(server=ServerConfig(listen="0.0.0.0:0", insecure_dev=True)))
    assert transport_security(Config(server=ServerConfig(listen="[::1]:0", insecure_dev=True))) is (
        None
    )


def test_the_lane_simulator_uses_the_lanes_certificate_from_the_site_pki(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = PHOTO.parent
    common = ["--config", str(site.config_file), "lane", str(folder), "--server", site.target]
    assert main([*common, "--lane", "lane-1", "--limit", "2", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2 and all("decision" in line for line in lines)
    # lane-2's own certificate, asking to screen as lane-1: every frame refused, the run goes on.
    lane_2 = site.pki.root / "lanes" / "lane-2.pem"
    assert main([*common, "--lane", "lane-1", "--cert", str(lane_2), "--limit", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("ERROR 7 lane:lane-2 may not screen as lane 'lane-1'") == 2
    # The totals are the last line of their own, after every decision's line.
    assert captured.out.splitlines()[-1] == "totals: ERROR 2"
    # A lane with no certificate issued: a message saying how to get one.
    assert main([*common, "--lane", "lane-9", "--limit", "1"]) == 2
    assert "lanescreen pki issue-lane" in capsys.readouterr().err


def test_the_site_policy_is_read_by_readers_and_changed_by_supervisors_only(site: Site) -> None:
    from lanescreen.v1 import site_pb2, site_pb2_grpc

    lee = cli(
        site.config_file, "users", "add", "lee.sup", "--role", "supervisor", "--actor", "admin"
    )
    officer, supervisor = bearer(site.tokens["jones"]), bearer(lee["token"])
    change = site_pb2.SetSitePolicyRequest(
        name="hit_retention_days", value="365", reason="records policy 2026"
    )
    with site.channel("consoles/desk-1") as channel:
        stub = site_pb2_grpc.SiteServiceStub(channel)
        policy = stub.GetSitePolicy(site_pb2.GetSitePolicyRequest(), metadata=officer, timeout=10)
        assert policy.settings["approval_min_priority"] == "80"
        assert code_of(lambda: stub.SetSitePolicy(change, metadata=officer, timeout=10)) is (
            grpc.StatusCode.PERMISSION_DENIED
        )
        done = stub.SetSitePolicy(change, metadata=supervisor, timeout=10)
        assert (done.before, done.after) == ("730.0", "365.0")
        unknown = site_pb2.SetSitePolicyRequest(name="max_speed", value="1", reason="x")
        assert code_of(lambda: stub.SetSitePolicy(unknown, metadata=supervisor, timeout=10)) is (
            grpc.StatusCode.INVALID_ARGUMENT
        )
        again = stub.GetSitePolicy(site_pb2.GetSitePolicyRequest(), metadata=officer, timeout=10)
        assert again.settings["hit_retention_days"] == "365.0"
    [refused] = site.refusals("/lanescreen.v1.SiteService/SetSitePolicy")
    assert refused.actor == "jones"
    with site.server.database.read() as session:
        [trailed] = session.scalars(select(TrailRow).where(TrailRow.action == "site.setting"))
    assert trailed.actor == "lee.sup" and trailed.detail["reason"] == "records policy 2026"
