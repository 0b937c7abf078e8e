"""``lanescreen site``: the policy and the lanes every node of a site applies alike, kept in
its database.

Two-person approval (``approval_min_priority``) and the retention policy (the
``*_retention_*`` settings, ``keep_review_face_images``) are the site's, not each node's: the
first node or tool to open a site's database records its configuration's values, and from then on
every node applies the database's. Changing one is an administrator's act, trailed with its
reason (``site.setting``); nodes apply it to their next edit (approval) or within 10 minutes
(retention).

The lane registry is the site's too: nodes' ``[[lanes]]`` only seed lanes it lacks, every node
serves every lane, and ``lane-set``/``lane-remove`` change a lane for all of them within a second
(trailed as ``lane.set``/``lane.remove`` with the reason).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from ..config import Config, LaneConfig
from ..errors import NotFoundError
from ..store.db import Database
from ..store.lanes import LaneStore
from ..store.site import POLICY, set_site_policy, site_policy
from ..vision.weights import known_readers
from .common import add_json_flag, print_json
from .local import actor_of, open_database, with_database


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "site",
        help="what every node of the site applies: two-person approval, retention, the lanes",
        description="Show or change the site's policy and lanes, kept in the database "
        "(docs/operations.md). An administrator's command: it works on the site's database "
        "directly, on the server's machine.",
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
    _register_lanes(actions)


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in {"true", "false", "yes", "no", "1", "0", "on", "off"}:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return lowered in {"true", "yes", "1", "on"}


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _register_lanes(actions: Any) -> None:
    listing = actions.add_parser("lanes", help="the site's lanes, as every node serves them")
    add_json_flag(listing)
    listing.set_defaults(handler=run_lanes)
    put = actions.add_parser(
        "lane-set",
        help="add a lane to the site or change some of its settings (trailed)",
        description="Settings not given keep their value (a new lane starts from the defaults: "
        "250 ms, every deny list, no allow list). Every node serves the change within a second.",
    )
    put.add_argument("lane_id", help="the lane's id, as its certificates name it")
    put.add_argument("--name", help="a name for people")
    put.add_argument("--budget-ms", type=int, help="every decision is answered within this")
    put.add_argument("--deny-lists", type=_names, help="deny lists screened, comma-separated")
    put.add_argument(
        "--every-deny-list", action="store_true", help="screen every deny list (the default)"
    )
    put.add_argument(
        "--allow-lists", type=_names, help="allow lists (a plate on none is a REVIEW); '' for none"
    )
    put.add_argument("--region", help="plate region: us, eu, cn, br...; '' for none")
    put.add_argument("--reader", choices=["", *sorted(known_readers())], help="plate reader")
    put.add_argument(
        "--review-when-no-plate",
        type=_flag,
        metavar="true|false",
        help="a plate frame with no readable plate is a REVIEW (default true)",
    )
    put.add_argument(
        "--review-when-no-face",
        type=_flag,
        metavar="true|false",
        help="a driver frame with no face is a REVIEW (default true)",
    )
    put.add_argument("--reason", required=True, help="why it changes (kept in the audit trail)")
    put.add_argument("--actor", default="", help="who changes it (default: $LANESCREEN_ACTOR)")
    add_json_flag(put)
    put.set_defaults(handler=run_lane_set)
    remove = actions.add_parser(
        "lane-remove", help="take a lane out of the site: every node refuses its frames (trailed)"
    )
    remove.add_argument("lane_id", help="the lane's id")
    remove.add_argument("--reason", required=True, help="why (kept in the audit trail)")
    remove.add_argument("--actor", default="", help="who removes it (default: $LANESCREEN_ACTOR)")
    add_json_flag(remove)
    remove.set_defaults(handler=run_lane_remove)


def site_lanes(config: Config) -> list[LaneConfig]:
    """The site's lanes; this configuration's where no node has recorded any yet."""
    with open_database(config) as db:
        return LaneStore(db, known_readers()).lanes() or config.lanes


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


def _lane_line(lane: LaneConfig) -> str:
    deny = "every deny list" if lane.deny_lists is None else ", ".join(lane.deny_lists) or "none"
    extras = [f"deny: {deny}"]
    if lane.allow_lists:
        extras.append(f"allow: {', '.join(lane.allow_lists)}")
    if lane.region:
        extras.append(f"region {lane.region}")
    if lane.plate_reader():
        extras.append(f"reader {lane.plate_reader()}")
    name = f" ({lane.name})" if lane.name else ""
    return f"{lane.id}{name}: {lane.budget_ms} ms; {'; '.join(extras)}"


def run_lanes(args: argparse.Namespace, config: Config) -> int:
    def work(db: Database) -> int:
        lanes = LaneStore(db, known_readers()).lanes()
        if args.json:
            print_json([dataclasses.asdict(lane) for lane in lanes])
        elif not lanes:
            print("the site has no lanes yet: a node records its [[lanes]] when it starts")
        for lane in lanes if not args.json else ():
            print(_lane_line(lane))
        return 0

    return with_database(config, work)


def _changed(args: argparse.Namespace, lane: LaneConfig) -> LaneConfig:
    """``lane`` with the settings given on the command line."""
    given = {
        name: value
        for name in (
            "name",
            "budget_ms",
            "deny_lists",
            "allow_lists",
            "region",
            "reader",
            "review_when_no_plate",
            "review_when_no_face",
        )
        if (value := getattr(args, name)) is not None
    }
    if args.every_deny_list:
        given["deny_lists"] = None
    return dataclasses.replace(lane, **given)


def run_lane_set(args: argparse.Namespace, config: Config) -> int:
    def work(db: Database) -> int:
        store = LaneStore(db, known_readers())
        try:
            current = store.lane(args.lane_id)
        except NotFoundError:
            current = LaneConfig(id=args.lane_id)
        before, after = store.put(_changed(args, current), actor_of(args), args.reason)
        if args.json:
            print_json(
                {
                    "before": dataclasses.asdict(before) if before else None,
                    "after": dataclasses.asdict(after),
                }
            )
        else:
            print(("changed " if before else "added ") + _lane_line(after))
        return 0

    return with_database(config, work)


def run_lane_remove(args: argparse.Namespace, config: Config) -> int:
    def work(db: Database) -> int:
        before = LaneStore(db, known_readers()).remove(args.lane_id, actor_of(args), args.reason)
        if args.json:
            print_json({"removed": dataclasses.asdict(before)})
        else:
            print(f"removed lane {before.id}: every node refuses its frames from now on")
        return 0

    return with_database(config, work)
