"""``lanescreen journal``: what waits in a node's journal, and shipping it to the database.

A running server ships its own journal; these commands are for a journal whose node is gone
(its machine died during a database outage): copy the file, with its ``-wal`` file, and ship it
from any machine with the site's configuration. Shipping is idempotent, so a journal shipped
twice, or beside its own node's shipper, stores every decision once.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from ..config import Config
from ..store.db import Database
from ..store.decisions import DecisionStore
from ..store.journal import DecisionJournal, Shipper
from .common import add_json_flag, fail, print_json
from .local import with_database


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "journal",
        help="a node's journal of decisions: what waits, and shipping it to the database",
        description="Every decision is journaled on its node before it is answered and shipped "
        "to the database after. These commands show and ship a journal, e.g. one copied from a "
        "node that died while the database was away. An administrator's command: it works on "
        "this machine's journal files and the site's database directly.",
    )
    actions = parser.add_subparsers(dest="journal_command", metavar="ACTION", required=True)
    source = argparse.ArgumentParser(add_help=False)
    source.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="the journal file (default: this node's, storage.journal_file)",
    )
    add_json_flag(source)
    status = actions.add_parser("status", parents=[source], help="what waits in the journal")
    status.set_defaults(handler=run_status)
    ship = actions.add_parser(
        "ship",
        parents=[source],
        help="ship the journal's decisions to the database, each once",
        description="With --from the journal's node is taken to be gone: a decision it journaled "
        "but never answered is stored as unanswered. Without it, such decisions younger than a "
        "few seconds wait for their own server.",
    )
    ship.set_defaults(handler=run_ship)


def _journal(args: argparse.Namespace, config: Config) -> DecisionJournal:
    path = args.source or config.storage.resolved_journal_file()
    if not path.is_file():
        raise FileNotFoundError(f"no journal at {path}")
    return DecisionJournal(path)


def run_status(args: argparse.Namespace, config: Config) -> int:
    try:
        journal = _journal(args, config)
    except (OSError, ValueError) as exc:
        return fail(str(exc), 2)
    try:
        backlog = journal.backlog()
    finally:
        journal.close()
    if args.json:
        print_json(
            {
                "journal": str(journal.path),
                "decisions": backlog.decisions,
                "bytes": backlog.bytes,
                "oldest_age_s": round(backlog.oldest_age_s, 3),
            }
        )
    else:
        print(
            f"{journal.path}: {backlog.decisions} decisions wait ({backlog.bytes / 2**20:.1f} MB), "
            f"the oldest {backlog.oldest_age_s:.0f} s old"
        )
    return 0


def run_ship(args: argparse.Namespace, config: Config) -> int:
    try:
        journal = _journal(args, config)
    except (OSError, ValueError) as exc:
        return fail(str(exc), 2)

    def work(db: Database) -> int:
        before = len(journal)
        try:
            moved = Shipper(DecisionStore(db), journal).ship(final=args.source is not None)
        except SQLAlchemyError as exc:
            return fail(f"the database failed while shipping ({exc.__class__.__name__}): {exc}")
        left = len(journal)
        if args.json:
            print_json(
                {"journal": str(journal.path), "shipped": moved, "before": before, "left": left}
            )
        else:
            print(
                f"shipped {moved} of {before} decisions from {journal.path} to {db.url}; {left} wait"
            )
        return 0

    try:
        return with_database(config, work)
    finally:
        journal.close()
