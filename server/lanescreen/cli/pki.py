"""``lanescreen pki``: the site CA and the certificates of the server, lanes, people and consoles.

Files live under ``<data_dir>/pki`` (``--dir`` elsewhere; the server then needs the
``server.tls_*`` settings). Every client certificate issued is recorded (its fingerprint, never its
key) in the database with who issued it, so ``pki revoke`` and ``users revoke`` can withdraw it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import Config
from ..security.identity import Credential
from ..security.pki import (
    CLIENT_KINDS,
    CONSOLE,
    DEFAULT_HOSTS,
    LANE,
    USER,
    Issued,
    PkiError,
    SitePaths,
    create_ca,
    issue_client,
    issue_server,
)
from ..store.credentials import CredentialStore
from ..store.db import Database
from .common import add_json_flag, add_person_arguments, fail, print_json
from .local import actor_of, with_database


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "pki",
        help="the site CA; certificates for the server, lanes, people and consoles",
        description="A small site's PKI: one CA (EC P-256, 10 years) signing the server's "
        "certificate and every client's. See docs/security.md. An administrator's command: it "
        "runs on the server's machine and works on the CA key and the database directly.",
    )
    actions = parser.add_subparsers(dest="pki_command", metavar="ACTION", required=True)
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--dir", type=Path, help="PKI directory (default: <data_dir>/pki)")
    add_json_flag(where)
    issuing = argparse.ArgumentParser(add_help=False, parents=[where])
    issuing.add_argument(
        "--out", type=Path, help="write the certificate, key and ca.pem here instead"
    )
    issuing.add_argument("--days", type=int, help="validity in days (default: by kind)")
    issuing.add_argument(
        "--actor", default="", help="who issues it (default: $LANESCREEN_ACTOR or login)"
    )
    hosts = argparse.ArgumentParser(add_help=False)
    hosts.add_argument(
        "--host",
        action="append",
        default=[],
        help="DNS name or IP address clients reach the server by; repeat for more "
        f"(default: {', '.join(DEFAULT_HOSTS)})",
    )

    init = actions.add_parser(
        "init",
        parents=[where, hosts],
        help="create the site CA and the server certificate",
        description="Create the CA and a server certificate. `lanescreen serve` does this itself "
        "on first start for the default hosts; run it first to name other hosts.",
    )
    init.set_defaults(handler=run_init)

    server = actions.add_parser(
        "issue-server",
        parents=[where, hosts],
        help="re-issue the server certificate (e.g. for more host names)",
        description="Replace the server certificate; restart the server to use it.",
    )
    server.set_defaults(handler=run_issue_server)

    lane = actions.add_parser(
        "issue-lane",
        parents=[issuing],
        help="a lane terminal's certificate (role lane, for the lanes it names)",
        description="A certificate for a lane terminal. It may screen only frames of the lanes "
        "named here (several, for a terminal serving more than one).",
    )
    lane.add_argument(
        "lanes", nargs="+", metavar="LANE_ID", help="the lanes it may screen; the first names it"
    )
    lane.set_defaults(handler=run_issue_lane)

    user = actions.add_parser(
        "issue-user",
        parents=[issuing],
        help="a person's certificate carrying their roles",
        description="A person's own certificate, carrying their roles. For a shared workstation "
        "use issue-console and `lanescreen users add` tokens instead.",
    )
    add_person_arguments(user)
    user.set_defaults(handler=run_issue_user)

    console = actions.add_parser(
        "issue-console",
        parents=[issuing],
        help="a shared console's certificate; people sign in on it with tokens",
        description="A certificate for a shared workstation. It has no roles of its own: the "
        "person at it sends 'authorization: Bearer <token>' (`lanescreen users add`).",
    )
    console.add_argument("name", help="the workstation's name, e.g. desk-1")
    console.set_defaults(handler=run_issue_console)

    listing = actions.add_parser("list", parents=[where], help="the client certificates issued")
    listing.add_argument("--all", action="store_true", help="include revoked certificates")
    listing.set_defaults(handler=run_list)

    revoke = actions.add_parser(
        "revoke",
        parents=[where],
        help="revoke every certificate issued to a lane, person or console",
        description="Revoked certificates are refused within seconds, open streams included.",
    )
    revoke.add_argument("name", help="lane id, person's name or console name")
    revoke.add_argument("--kind", choices=CLIENT_KINDS, help="only certificates of this kind")
    revoke.add_argument(
        "--actor", default="", help="who revokes (default: $LANESCREEN_ACTOR or login)"
    )
    revoke.set_defaults(handler=run_revoke)


def _paths(args: argparse.Namespace, config: Config) -> SitePaths:
    return SitePaths(args.dir or config.pki_dir)


def run_init(args: argparse.Namespace, config: Config) -> int:
    paths = _paths(args, config)
    try:
        ca = create_ca(paths)
        server = issue_server(paths, args.host or DEFAULT_HOSTS)
    except (PkiError, OSError) as exc:
        return fail(str(exc))
    result = {
        "dir": str(paths.root),
        "ca": str(paths.ca_cert),
        "ca_expires_at": ca.not_valid_after_utc.isoformat(),
        "server_certificate": str(paths.server_cert),
        "hosts": args.host or list(DEFAULT_HOSTS),
        "server_expires_at": server.not_valid_after_utc.isoformat(),
    }
    if args.json:
        print_json(result)
    else:
        print(f"site CA: {paths.ca_cert} (key {paths.ca_key}: keep it safe, ideally offline)")
        print(f"server certificate: {paths.server_cert} for {', '.join(result['hosts'])}")
    return 0


def run_issue_server(args: argparse.Namespace, config: Config) -> int:
    paths = _paths(args, config)
    try:
        cert = issue_server(paths, args.host or DEFAULT_HOSTS)
    except (PkiError, OSError) as exc:
        return fail(str(exc))
    hosts = args.host or list(DEFAULT_HOSTS)
    if args.json:
        print_json(
            {
                "server_certificate": str(paths.server_cert),
                "hosts": hosts,
                "expires_at": cert.not_valid_after_utc.isoformat(),
            }
        )
    else:
        print(f"server certificate: {paths.server_cert} for {', '.join(hosts)}; restart the server")
    return 0


def _issue(
    args: argparse.Namespace,
    config: Config,
    kind: str,
    name: str,
    *,
    roles: tuple[str, ...] = (),
    lanes: tuple[str, ...] = (),
) -> int:
    paths = _paths(args, config)
    if args.days is not None and args.days <= 0:
        return fail("--days must be positive", 2)

    def work(db: Database) -> int:
        try:
            issued = issue_recorded(
                db,
                paths,
                kind,
                name,
                actor=actor_of(args),
                roles=roles,
                lanes=lanes,
                days=args.days,
                out_dir=args.out,
            )
        except (PkiError, OSError) as exc:
            return fail(str(exc))
        _print_issued(args, issued, paths)
        return 0

    return with_database(config, work)


def issue_recorded(
    db: Database,
    paths: SitePaths,
    kind: str,
    name: str,
    *,
    actor: str,
    roles: tuple[str, ...] = (),
    lanes: tuple[str, ...] = (),
    days: int | None = None,
    out_dir: Path | None = None,
) -> Issued:
    """Issue a client certificate and record it (fingerprint, never the key) so it can be
    revoked by name; the record is trailed as ``credential.issue`` by ``actor``."""
    issued = issue_client(paths, kind, name, roles=roles, lanes=lanes, days=days, out_dir=out_dir)
    CredentialStore(db).add(
        kind,
        issued.name,
        issued.fingerprint,
        roles=issued.roles,
        lanes=issued.lanes,
        serial=issued.serial,
        created_by=actor,
        expires_at=issued.not_after,
    )
    return issued


def _print_issued(args: argparse.Namespace, issued: Issued, paths: SitePaths) -> None:
    ca = (args.out / "ca.pem") if args.out else paths.ca_cert
    if args.json:
        print_json(
            {
                "kind": issued.kind,
                "name": issued.name,
                "roles": list(issued.roles),
                "lanes": list(issued.lanes),
                "certificate": str(issued.cert_file),
                "key": str(issued.key_file),
                "ca": str(ca),
                "serial": issued.serial,
                "fingerprint": issued.fingerprint,
                "expires_at": issued.not_after.isoformat(),
            }
        )
        return
    what = {LANE: "lanes " + ", ".join(issued.lanes), USER: "roles " + ", ".join(issued.roles)}
    print(f"{issued.kind} certificate for {issued.name} ({what.get(issued.kind, 'no roles')})")
    print(f"  certificate {issued.cert_file}\n  key         {issued.key_file} (owner-only)")
    print(f"  CA          {ca}\n  expires     {issued.not_after:%Y-%m-%d}")


def run_issue_lane(args: argparse.Namespace, config: Config) -> int:
    from .site import site_lanes

    lanes = tuple(dict.fromkeys(args.lanes))
    known = {lane.id for lane in site_lanes(config)}
    unknown = [lane for lane in lanes if lane not in known]
    if unknown:
        print(
            f"lanescreen: warning: the site has no lane {', '.join(unknown)} (the servers refuse "
            "its frames until it is added: `lanescreen site lane-set`)",
            file=sys.stderr,
        )
    return _issue(args, config, LANE, lanes[0], lanes=lanes)


def run_issue_user(args: argparse.Namespace, config: Config) -> int:
    return _issue(args, config, USER, args.name, roles=tuple(dict.fromkeys(args.roles)))


def run_issue_console(args: argparse.Namespace, config: Config) -> int:
    return _issue(args, config, CONSOLE, args.name)


def credential_json(credential: Credential) -> dict[str, Any]:
    return {
        "id": credential.id,
        "kind": credential.kind,
        "name": credential.name,
        "roles": sorted(credential.roles),
        "lanes": sorted(credential.lanes),
        "state": credential.state(datetime.now(UTC)),
        "fingerprint": credential.fingerprint,
        "serial": credential.serial,
        "created_by": credential.created_by,
        "created_at": credential.created_at.isoformat(),
        "expires_at": credential.expires_at.isoformat() if credential.expires_at else None,
        "revoked_at": credential.revoked_at.isoformat() if credential.revoked_at else None,
        "revoked_by": credential.revoked_by,
    }


def print_credentials(args: argparse.Namespace, credentials: list[Credential]) -> None:
    rows = [credential_json(c) for c in credentials]
    if args.json:
        for row in rows:
            print_json(row)
        return
    for row in rows:
        extra = ", ".join(row["roles"] or row["lanes"]) or "-"
        expires = (row["expires_at"] or "never")[:10]
        print(
            f"{row['kind']:8} {row['name']:20} {extra:28} {row['state']:8} expires {expires} "
            f"by {row['created_by']}"
        )


def run_list(args: argparse.Namespace, config: Config) -> int:
    def work(db: Database) -> int:
        store = CredentialStore(db)
        print_credentials(
            args, store.list_credentials(kinds=CLIENT_KINDS, include_revoked=args.all)
        )
        return 0

    return with_database(config, work)


def run_revoke(args: argparse.Namespace, config: Config) -> int:
    kinds = (args.kind,) if args.kind else CLIENT_KINDS

    def work(db: Database) -> int:
        revoked = CredentialStore(db).revoke(args.name, kinds, actor_of(args))
        if not revoked:
            return fail(f"no live certificate issued to {args.name!r}")
        if args.json:
            for credential in revoked:
                print_json(credential_json(credential))
        else:
            print(f"revoked {len(revoked)} certificate(s) of {args.name}")
        return 0

    return with_database(config, work)
