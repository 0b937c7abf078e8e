"""What administrators' commands share: they run on the server's machine and open the site's
database directly (pki, users, site, journal, demo seeding, retention, trail verification).

People's everyday commands (the hit log, dispositions, watchlists) go through the API instead
(:mod:`.client`), so their roles are checked there.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import os
import sys
from collections.abc import Callable

from ..config import Config
from ..domain.governance import ApprovalPolicy
from ..domain.watchlists import EntryError
from ..errors import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    PreconditionError,
)
from ..store.db import Database, StoreError, open_configured
from ..store.faces import FaceStore
from ..store.site import adopt_site_policy
from ..store.watchlists import WatchlistStore
from .common import fail

Handler = Callable[[argparse.Namespace, Config], int]


def actor_of(args: argparse.Namespace) -> str:
    """``--actor``, else ``$LANESCREEN_ACTOR``, else the login name."""
    if args.actor.strip():
        return str(args.actor).strip()
    if os.environ.get("LANESCREEN_ACTOR", "").strip():
        return os.environ["LANESCREEN_ACTOR"].strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        raise InvalidRequestError(
            "actor: no login name found; pass --actor or set LANESCREEN_ACTOR"
        ) from None


def open_database(config: Config) -> Database:
    """The site's database, with the site's policy applied to ``config`` (what differs from
    this configuration is said on standard error: the site's applies)."""
    db = open_configured(config.storage)
    try:
        differences = adopt_site_policy(db, config, f"node:{config.storage.resolved_node_id()}")
    except BaseException:
        db.close()
        raise
    for difference in differences:
        print(f"lanescreen: note: {difference}", file=sys.stderr)
    return db


def approval_policy(config: Config) -> ApprovalPolicy:
    return ApprovalPolicy(config.governance.approval_min_priority)


def stores(config: Config, db: Database) -> tuple[WatchlistStore, FaceStore]:
    """The plate and face stores, with the site's approval policy."""
    policy = approval_policy(config)
    return WatchlistStore(db, policy), FaceStore(db, policy)


def with_database(config: Config, work: Callable[[Database], int]) -> int:
    """Run ``work`` with the database open; store and domain errors become exit statuses."""
    try:
        with open_database(config) as db:
            return work(db)
    except (InvalidRequestError, EntryError) as exc:
        return fail(str(exc), 2)
    except (NotFoundError, ConflictError, ForbiddenError, PreconditionError, StoreError) as exc:
        return fail(str(exc))


def handles_errors(handler: Callable[[argparse.Namespace, Config, Database], int]) -> Handler:
    """A sub-command handler that gets the open database (see :func:`with_database`)."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace, config: Config) -> int:
        return with_database(config, lambda db: handler(args, config, db))

    return run
