"""``lanescreen site``: the policy every node of a site applies alike, kept in its database.

Two-person approval (``approval_min_priority``) and the retention policy (the
``*_retention_*`` settings, ``keep_review_face_images``) are the site's, not each node's: the
first node or tool to open a site's database records its configuration's values, and from then on
every node applies the database's. Changing one is an administrator's act, trailed with its
reason (``site.setting``); nodes apply it to their next edit (approval) or within 10 minutes
(retention).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..config import Config
from ..store.db import Database
from ..store.site import POLICY, set_site_policy, site_policy
from .common import add_json_flag, print_json
from .watchlist import actor_of, with_database


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "site",
        help="the policy every node of the site applies: two-person approval, retention",
        description="Show or change the site's policy, kept in the database (docs/operations.md).",
    )
    actions = parser.add_subparsers(dest="site_command", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="the site's policy settings")
    add_json_flag(show)
    show.set_defaults(handler=run_show)
    change = actions.add_parser(
        "set", help="change one policy setting for every node of the site (trailed)"
    )
    change.add_argument("name", choices=sorted(POLICY), help="the setting")
    change.add_argument("value", help="its new value (a number, or true/false)")
    change.add_argument("--reason", required=True, help="why it changes (kept in the audit trail)")
    change.add_argument(
        "--actor", default="", help="who changes it (default: $LANESCREEN_ACTOR or login)"
    )
    add_json_flag(change)
    change.set_defaults(handler=run_set)


def run_show(args: argparse.Namespace, config: Config) -> int:
    def work(db: Database) -> int:
        values = site_policy(db)
        if args.json:
            print_json(values)
        else:
            for name, value in values.items():
                print(f"{POLICY[name].section}.{name} = {value if value is not None else '-'}")
        return 0

    return with_database(config, work)


def run_set(args: argparse.Namespace, config: Config) -> int:
    def work(db: Database) -> int:
        before, after = set_site_policy(db, args.name, args.value, actor_of(args), args.reason)
        if args.json:
            print_json({"name": args.name, "before": before, "after": after})
        else:
            print(f"{args.name}: {before} -> {after} for every node of the site")
        return 0

    return with_database(config, work)
