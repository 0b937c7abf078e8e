"""The site PKI, identities from real certificates and tokens, the credential store, and the
policy table covering every RPC the server offers."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2
from lanescreen.security.identity import (
    Authenticator,
    PermissionDenied,
    Unauthenticated,
    authorize,
    new_token,
    token_digest,
)
from lanescreen.security.pki import (
    CONSOLE,
    LANE,
    USER,
    PkiError,
    SitePaths,
    create_ca,
    ensure_site,
    issue_client,
    issue_server,
    read_peer_certificate,
    server_tls,
)
from lanescreen.security.policy import POLICY, ROLES, rule_for
from lanescreen.store.credentials import CredentialStore
from lanescreen.store.db import Database
from lanescreen.v1 import audit_pb2, screening_pb2, site_pb2, watchlist_pb2

SERVICE_MODULES = (screening_pb2, watchlist_pb2, audit_pb2, site_pb2, health_pb2, reflection_pb2)


@pytest.fixture
def site(tmp_path: Path) -> SitePaths:
    paths = SitePaths(tmp_path / "pki")
    assert ensure_site(paths)
    return paths


def pem(path: Path) -> bytes:
    return path.read_bytes()


def offered_methods() -> set[str]:
    return {
        f"/{service.full_name}/{method.name}"
        for module in SERVICE_MODULES
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    }


def test_the_modules_checked_hold_every_service_the_server_offers() -> None:
    from lanescreen.api.server import SERVICE_NAMES

    checked = {
        service.full_name
        for module in SERVICE_MODULES
        for service in module.DESCRIPTOR.services_by_name.values()
    }
    assert set(SERVICE_NAMES) <= checked


def test_every_rpc_the_server_offers_has_an_access_rule() -> None:
    missing = sorted(offered_methods() - set(POLICY))
    assert not missing, f"RPCs without an access rule in security/policy.py: {missing}"
    stale = sorted(set(POLICY) - offered_methods())
    assert not stale, f"access rules for RPCs that do not exist: {stale}"
    for method, rule in POLICY.items():
        assert rule.anyone or (rule.roles and rule.roles <= ROLES), method


def test_an_unknown_method_is_refused_not_allowed() -> None:
    assert rule_for("/lanescreen.v1.AuditService/DeleteEverything") is None
    officer = _identity("officer")
    with pytest.raises(PermissionDenied, match="no access rule"):
        authorize(officer, "/lanescreen.v1.AuditService/DeleteEverything")


def _identity(*roles: str):  # type: ignore[no-untyped-def]
    from lanescreen.security.identity import Identity

    return Identity("someone", frozenset(roles))


def test_roles_against_the_policy() -> None:
    export = "/lanescreen.v1.AuditService/ExportHits"
    with pytest.raises(PermissionDenied, match="needs role auditor or supervisor"):
        authorize(_identity("officer"), export)
    authorize(_identity("auditor"), export)
    authorize(_identity("officer"), "/lanescreen.v1.WatchlistService/AddPlateEntry")
    with pytest.raises(PermissionDenied):
        authorize(_identity("auditor"), "/lanescreen.v1.WatchlistService/AddPlateEntry")
    authorize(_identity("auditor"), "/lanescreen.v1.WatchlistService/ListWatchlists")
    with pytest.raises(PermissionDenied):
        authorize(_identity("lane"), "/lanescreen.v1.WatchlistService/ListWatchlists")
    with pytest.raises(PermissionDenied):
        authorize(_identity("supervisor"), "/lanescreen.v1.ScreeningService/ScreenFrame")
    # A console certificate alone is a machine, not a person: it must sign someone in.
    with pytest.raises(Unauthenticated, match="Bearer"):
        authorize(_identity(), "/lanescreen.v1.WatchlistService/ListWatchlists")
    authorize(_identity(), "/grpc.health.v1.Health/Check")


def test_site_pki_files_and_what_certificates_say(site: SitePaths) -> None:
    for key in (site.ca_key, site.server_key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(site.root.stat().st_mode) == 0o700
    assert not ensure_site(site)  # nothing made twice
    with pytest.raises(PkiError, match="already exists"):
        create_ca(site)

    lane = issue_client(site, LANE, "north-1", lanes=["north-1", "north-2"])
    assert stat.S_IMODE(lane.key_file.stat().st_mode) == 0o600
    peer = read_peer_certificate(pem(lane.cert_file))
    assert (peer.kind, peer.name, peer.lanes, peer.roles) == (
        LANE,
        "north-1",
        frozenset({"north-1", "north-2"}),
        frozenset(),
    )
    assert peer.fingerprint == lane.fingerprint
    person = read_peer_certificate(
        pem(issue_client(site, USER, "alice", roles=["officer", "auditor"]).cert_file)
    )
    assert (person.kind, person.name, person.roles) == (
        USER,
        "alice",
        frozenset({"officer", "auditor"}),
    )
    console = read_peer_certificate(pem(issue_client(site, CONSOLE, "desk-3").cert_file))
    assert (console.kind, console.name, console.roles) == (CONSOLE, "desk-3", frozenset())
    # The server's certificate names no client: it cannot be used to call in.
    with pytest.raises(PkiError, match="names no lanescreen"):
        read_peer_certificate(pem(site.server_cert))


def test_issuing_refuses_what_it_cannot_encode_safely(site: SitePaths, tmp_path: Path) -> None:
    with pytest.raises(PkiError, match="lane id"):
        issue_client(site, LANE, "../etc/passwd")
    with pytest.raises(PkiError, match="name"):
        issue_client(site, USER, "eve:lane:lane-1", roles=["officer"])
    with pytest.raises(PkiError, match="needs at least one role"):
        issue_client(site, USER, "bob")
    with pytest.raises(PkiError, match="only people"):
        issue_client(site, CONSOLE, "desk", roles=["officer"])
    with pytest.raises(PkiError, match="no site CA"):
        issue_client(SitePaths(tmp_path / "elsewhere"), LANE, "lane-1")


def test_out_dir_gets_the_pair_and_the_ca(site: SitePaths, tmp_path: Path) -> None:
    out = tmp_path / "terminal"
    issued = issue_client(site, LANE, "lane-7", out_dir=out)
    assert issued.cert_file == out / "lane-7.pem" and issued.key_file == out / "lane-7.key"
    assert (out / "ca.pem").read_bytes() == site.ca_cert.read_bytes()


def test_server_tls_checks_the_files(site: SitePaths, tmp_path: Path) -> None:
    tls = server_tls(site)
    assert not tls.created and tls.client_ca == site.ca_cert.read_bytes()
    assert server_tls(SitePaths(tmp_path / "fresh")).created
    with pytest.raises(PkiError, match="go together"):
        server_tls(site, cert_file=site.server_cert)
    other = issue_client(site, CONSOLE, "desk-1")
    with pytest.raises(PkiError, match="is not the key"):
        server_tls(site, cert_file=site.server_cert, key_file=other.key_file)
    with pytest.raises(PkiError, match="cannot read"):
        server_tls(site, cert_file=tmp_path / "none.pem", key_file=site.server_key)
    issue_server(site, ["screening.example.org", "10.0.0.5"])
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(site.server_cert.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["screening.example.org"]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["10.0.0.5"]


def test_tokens_and_certificates_against_the_store(site: SitePaths, database: Database) -> None:
    store = CredentialStore(database)
    auth = Authenticator(store, refresh_s=0.0)
    console = pem(issue_client(site, CONSOLE, "desk-3").cert_file)
    lane_issued = issue_client(site, LANE, "lane-1")
    lane = pem(lane_issued.cert_file)
    store.add(LANE, "lane-1", lane_issued.fingerprint, lanes=["lane-1"], created_by="admin")

    token = new_token()
    assert token.startswith("lst_") and len(token) > 40
    store.add("token", "jones", token_digest(token), roles=["officer"], created_by="admin")
    admitted = auth.authenticate(console, token)
    assert admitted.identity.name == "jones"
    assert admitted.identity.roles == frozenset({"officer"})
    assert admitted.identity.via == "token@console:desk-3"

    as_lane = auth.authenticate(lane, None).identity
    assert as_lane.name == "lane:lane-1" and as_lane.may_screen("lane-1")
    assert not as_lane.may_screen("lane-2")

    with pytest.raises(Unauthenticated, match="unknown bearer token"):
        auth.authenticate(console, new_token())
    with pytest.raises(Unauthenticated, match="only over a console certificate"):
        auth.authenticate(lane, token)
    with pytest.raises(Unauthenticated, match="Bearer <token>"):
        auth.authenticate(console, "")
    with pytest.raises(Unauthenticated, match="no client certificate"):
        auth.authenticate(None, token)

    expired = new_token()
    store.add(
        "token",
        "smith",
        token_digest(expired),
        roles=["auditor"],
        created_by="admin",
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    with pytest.raises(Unauthenticated, match="smith is expired") as refused:
        auth.authenticate(console, expired)
    assert refused.value.actor == "smith"

    assert [c.kind for c in store.revoke("jones", ("token", USER), "supervisor.lee")] == ["token"]
    with pytest.raises(Unauthenticated, match="jones is revoked"):
        auth.authenticate(console, token)
    with pytest.raises(Unauthenticated, match="revoked"):
        auth.recheck(admitted)

    store.revoke("lane-1", (LANE,), "supervisor.lee")
    with pytest.raises(Unauthenticated, match="certificate of lane:lane-1 was revoked"):
        auth.authenticate(lane, None)
    listed = store.list_credentials(include_revoked=True)
    assert {(c.name, c.state(datetime.now(UTC))) for c in listed} == {
        ("lane-1", "revoked"),
        ("jones", "revoked"),
        ("smith", "expired"),
    }
    assert all(c.revoked_by == "supervisor.lee" for c in listed if c.revoked_at)


def test_revocations_are_reread_after_the_refresh_interval(
    site: SitePaths, database: Database
) -> None:
    store = CredentialStore(database)
    now = [0.0]
    auth = Authenticator(store, refresh_s=2.0, clock=lambda: now[0])
    issued = issue_client(site, LANE, "lane-1")
    store.add(LANE, "lane-1", issued.fingerprint, created_by="admin")
    admitted = auth.authenticate(pem(issued.cert_file), None)
    store.revoke("lane-1", (LANE,), "admin")
    auth.recheck(admitted)  # within the interval: the cached list
    now[0] = 2.5
    with pytest.raises(Unauthenticated, match="revoked"):
        auth.recheck(admitted)
