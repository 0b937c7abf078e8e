"""``lanescreen users``: people's bearer tokens (for shared consoles), listed and revoked.

A token is random, printed once, and kept only as its SHA-256; it works over a console
certificate (``lanescreen pki issue-console``) sent as ``authorization: Bearer <token>``. People
with their own certificate (``lanescreen pki issue-user``) need no token; ``users revoke`` withdraws
both.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from ..config import Config
from ..domain.watchlists import EntryError, parse_timestamp
from ..security.identity import new_token, token_digest
from ..security.pki import USER, PkiError, check_name
from ..store.credentials import CredentialStore
from ..store.db import Database
from .common import add_json_flag, add_person_arguments, fail, print_json
from .local import actor_of, with_database
from .pki import credential_json, print_credentials

DEFAULT_EXPIRY = "90d"
_DURATION = re.compile(r"(\d+)\s*([dh])")


def expiry(text: str, now: datetime) -> datetime | None:
    """``90d``, ``12h``, an ISO 8601 date or date-time, or ``never``."""
    text = text.strip().lower()
    if text == "never":
        return None
    match = _DURATION.fullmatch(text)
    if match:
        amount = int(match.group(1))
        return now + (timedelta(days=amount) if match.group(2) == "d" else timedelta(hours=amount))
    try:
        when = parse_timestamp(text, "expires")
    except EntryError as exc:
        raise argparse.ArgumentTypeError(
            "--expires: give 90d, 12h, an ISO 8601 date or 'never'"
        ) from exc
    if when is None or when <= now:
        raise argparse.ArgumentTypeError("--expires: must be in the future")
    return when


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "users",
        help="people's sign-in tokens: add, list, revoke",
        description="Bearer tokens for people at shared consoles. Roles: officer (watchlists), "
        "supervisor (watchlists, the hit log, managing lanes and users), auditor (the hit log, "
        "reading lists). See docs/security.md. An administrator's command: it works on the "
        "site's database directly, on the server's machine.",
    )
    actions = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument(
        "--actor", default="", help="who does it (default: $LANESCREEN_ACTOR or login)"
    )
    add_json_flag(shared)

    add = actions.add_parser(
        "add",
        parents=[shared],
        help="issue a token for a person (printed once)",
        description="Issue a bearer token with the given roles. It is printed once and stored "
        "only as a hash: hand it over now.",
    )
    add_person_arguments(add)
    add.add_argument(
        "--expires",
        default=DEFAULT_EXPIRY,
        help=f"90d, 12h, an ISO 8601 date, or never (default {DEFAULT_EXPIRY})",
    )
    add.set_defaults(handler=run_add)

    listing = actions.add_parser("list", parents=[shared], help="people's tokens and certificates")
    listing.add_argument("--all", action="store_true", help="include revoked ones")
    listing.set_defaults(handler=run_list)

    revoke = actions.add_parser(
        "revoke",
        parents=[shared],
        help="revoke a person's tokens and certificates",
        description="Every live token and personal certificate of NAME stops working at once "
        "(certificates within seconds).",
    )
    revoke.add_argument("name", help="the person whose tokens and certificates are withdrawn")
    revoke.set_defaults(handler=run_revoke)


def run_add(args: argparse.Namespace, config: Config) -> int:
    now = datetime.now(UTC)
    try:
        check_name(args.name)
        expires_at = expiry(args.expires, now)
    except PkiError as exc:
        return fail(str(exc), 2)
    except argparse.ArgumentTypeError as exc:
        return fail(str(exc), 2)
    roles = tuple(dict.fromkeys(args.roles))

    def work(db: Database) -> int:
        token = new_token()
        credential = CredentialStore(db).add(
            "token",
            args.name,
            token_digest(token),
            roles=roles,
            created_by=actor_of(args),
            expires_at=expires_at,
        )
        if args.json:
            print_json({**credential_json(credential), "token": token})
        else:
            until = f"until {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else "with no expiry"
            print(f"token for {args.name} ({', '.join(sorted(roles))}), {until}:")
            print(token)
            print(
                "It is shown only now. Send it over a console certificate as "
                "'authorization: Bearer <token>'."
            )
        return 0

    return with_database(config, work)


def run_list(args: argparse.Namespace, config: Config) -> int:
    def work(db: Database) -> int:
        store = CredentialStore(db)
        print_credentials(
            args, store.list_credentials(kinds=("token", USER), include_revoked=args.all)
        )
        return 0

    return with_database(config, work)


def run_revoke(args: argparse.Namespace, config: Config) -> int:
    def work(db: Database) -> int:
        revoked = CredentialStore(db).revoke(args.name, ("token", USER), actor_of(args))
        if not revoked:
            return fail(f"{args.name!r} has no live token or certificate")
        if args.json:
            for credential in revoked:
                print_json(credential_json(credential))
        else:
            print(f"revoked {len(revoked)} credential(s) of {args.name}")
        return 0

    return with_database(config, work)
