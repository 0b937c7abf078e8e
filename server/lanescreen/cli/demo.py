"""``lanescreen demo``: rendered vehicles streamed to a running server, every outcome shown.

It works only through the gRPC API, as an officer (the watchlists) and as lane terminals (the
frames), with certificates of the site PKI that it issues itself on first use, as `lanescreen
pki issue-user` and `issue-lane` would (``--insecure-dev``: plaintext, none). What it renders
and expects is :mod:`lanescreen.demo`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..api.client import open_channel, site_credentials
from ..config import Config
from ..demo import DENY_LIST, Listing, Passage, Plan, plan
from ..security.pki import LANE, USER, PkiError, SitePaths
from ..store.db import Database
from .common import add_client_flags, add_json_flag, fail, print_json
from .lane import outcome_of, screen_stream, summary, totals_line
from .local import with_database
from .pki import issue_recorded

if TYPE_CHECKING:
    import grpc

OFFICER = "demo.officer"
"""The person the demo edits watchlists as (a certificate with the officer role)."""


class DemoError(Exception):
    """The demo cannot go on; the message says what to do."""


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="stream rendered vehicles to a running server and show HIT, CLEAR and REVIEW",
        description="Render a few vehicles with lanescreen's own plate renderer, put some of "
        f"their plates on a deny list ({DENY_LIST!r}) and the staff gate's allow list, stream "
        "them to a running server as lane terminals and print what it decided, vehicle by "
        "vehicle, against what each should come to.",
    )
    parser.add_argument(
        "--lane", default="", help="general lane to use (default: the first without allow lists)"
    )
    parser.add_argument(
        "--staff-lane",
        default="",
        help="allow-list lane to use (default: the first with an allow list)",
    )
    parser.add_argument("--save", type=Path, help="also write the rendered frames here, as JPEG")
    add_client_flags(parser)
    add_json_flag(parser)
    parser.set_defaults(handler=run)


def _fonts() -> Any:
    from ..training.synth.fonts import FontsMissingError, find_fonts

    try:
        return find_fonts(complete=False, borrow=True)
    except FontsMissingError as exc:
        raise DemoError(f"{exc} (or run `make deps`)") from None


def _certificate(
    config: Config,
    kind: str,
    name: str,
    *,
    roles: tuple[str, ...] = (),
    lanes: tuple[str, ...] = (),
) -> Path:
    """The site PKI's certificate of ``name``, issued and recorded first if there is none."""
    paths = SitePaths(config.pki_dir)
    cert, _key = paths.client(kind, name)
    if cert.is_file():
        return cert
    if not paths.ca_key.is_file():
        raise DemoError(
            f"no site CA at {paths.root}: start the server first (`make serve`), or pass "
            "--insecure-dev for a server started with --insecure-dev"
        )

    def work(db: Database) -> int:
        issue_recorded(db, paths, kind, name, actor="lanescreen demo", roles=roles, lanes=lanes)
        return 0

    if with_database(config, work) != 0:
        raise DemoError(f"could not record the certificate of {name}")
    print(f"issued a {kind} certificate for {name}: {cert}", file=sys.stderr)
    return cert


def _channel(
    config: Config,
    args: argparse.Namespace,
    kind: str,
    name: str,
    *,
    roles: tuple[str, ...] = (),
    lanes: tuple[str, ...] = (),
) -> Any:
    """A channel to the server as ``name`` (over TLS with its certificate, issued if need be)."""
    target = args.server or config.server.listen
    if args.insecure_dev:
        return open_channel(config, target, None)
    cert = _certificate(config, kind, name, roles=roles, lanes=lanes)
    return open_channel(config, target, site_credentials(config, cert))


def _ensure_list(stub: Any, name: str, listing: Listing, plates: list[str]) -> str:
    """The list exists with its kind and holds ``plates``; returns what was done, in words."""
    import grpc

    from ..v1 import common_pb2, watchlist_pb2

    kind = common_pb2.LIST_KIND_DENY if listing is Listing.DENY else common_pb2.LIST_KIND_ALLOW
    try:
        existing = stub.GetWatchlist(watchlist_pb2.GetWatchlistRequest(watchlist=name))
        if existing.kind != kind:
            raise DemoError(
                f"a list called {name!r} exists and is not a {listing.value} list; "
                "the demo will not change it"
            )
        done = "kept"
    except grpc.RpcError as exc:
        if exc.code() is not grpc.StatusCode.NOT_FOUND:
            raise
        description = "lanescreen demo: rendered vehicles, no real plate"
        stub.CreateWatchlist(
            watchlist_pb2.CreateWatchlistRequest(name=name, kind=kind, description=description)
        )
        done = "created"
    added = []
    for plate in plates:
        listed = stub.ListPlateEntries(
            watchlist_pb2.ListPlateEntriesRequest(watchlist=name, plate_prefix=plate)
        )
        if any(e.normalized_plate == plate for e in listed.entries):
            continue
        entry = watchlist_pb2.PlateEntry(
            plate=plate,
            match_mode=common_pb2.MATCH_MODE_EXACT,
            category="demo",
            action="alert" if listing is Listing.DENY else "allow",
            priority=10,
            reason="lanescreen demo: a rendered vehicle",
            legal_basis="demonstration only",
            owner=OFFICER,
        )
        reply = stub.AddPlateEntry(watchlist_pb2.AddPlateEntryRequest(watchlist=name, entry=entry))
        if reply.status == watchlist_pb2.APPROVAL_STATUS_PENDING:
            print(f"  {plate} waits for a supervisor's approval before it matches", file=sys.stderr)
        added.append(plate)
    return f"{listing.value} list {name!r} {done}, {len(added)} of {len(plates)} plates added"


def _frames(passages: list[Passage]) -> Iterator[Any]:
    import cv2
    from google.protobuf.timestamp_pb2 import Timestamp

    from ..v1 import common_pb2, screening_pb2

    for passage in passages:
        for index, frame in enumerate(passage.frames):
            ok, jpeg = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            assert ok, "OpenCV could not encode a rendered frame"
            captured = Timestamp()
            captured.GetCurrentTime()
            yield screening_pb2.Frame(
                lane_id=passage.lane.id,
                camera=common_pb2.CAMERA_ROLE_PLATE,
                frame_id=passage.frame_id(index),
                captured_at=captured,
                image=jpeg.tobytes(),
                passage_id=passage.passage_id,
            )


def _verdict(passage: Passage, last: Any) -> tuple[bool, str]:
    """Whether the passage's last answer is what the vehicle should come to, and a line on it."""
    vehicle = passage.vehicle
    outcome = outcome_of(last)
    codes = [r.code for r in last.decision.reasons] if outcome != "ERROR" else []
    met = outcome == vehicle.expect.value and vehicle.reason.value in codes
    got = f"{outcome} {', '.join(codes)}".strip()
    wanted = f"{vehicle.expect.value} {vehicle.reason.value}"
    return met, f"=> {got}" + (", as it should" if met else f"; it should be {wanted}")


def _save(plan_: Plan, folder: Path) -> None:
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for passage in plan_.passages:
        for index, frame in enumerate(passage.frames):
            cv2.imwrite(str(folder / f"{passage.frame_id(index)}.jpg"), frame.image)


def _stream(config: Config, args: argparse.Namespace, plan_: Plan) -> tuple[dict[str, int], int]:
    """Stream each lane's passages on its own terminal's channel; print and check every answer.
    Returns the vehicles' outcomes counted and how many came out otherwise than they should."""
    from google.protobuf.json_format import MessageToDict

    counts: dict[str, int] = {}
    wrong = 0
    lanes = list(dict.fromkeys(p.lane.id for p in plan_.passages))
    for lane_id in lanes:
        passages = [p for p in plan_.passages if p.lane.id == lane_id]
        lane = passages[0].lane
        if not args.json:
            print(f"\nlane {lane_id} ({lane.name or 'lane'}):")
        with _channel(config, args, LANE, lane_id, lanes=(lane_id,)) as channel:
            answers = screen_stream(channel, _frames(passages))
            for passage in passages:
                if not args.json:
                    plate = passage.plate or "no plate"
                    listed = {
                        Listing.DENY: f", on {DENY_LIST}",
                        Listing.ALLOW: ", on the allow list",
                    }
                    print(
                        f"  vehicle {passage.number}, {passage.vehicle.story} "
                        f"({plate}{listed.get(passage.vehicle.listing, '')})"
                    )
                last = None
                for _ in passage.frames:
                    last = next(answers)
                    if args.json:
                        print_json(MessageToDict(last, preserving_proto_field_name=True))
                    else:
                        print(f"    {summary(last)}")
                assert last is not None
                met, line = _verdict(passage, last)
                wrong += not met
                outcome = outcome_of(last)
                counts[outcome] = counts.get(outcome, 0) + 1
                if not args.json:
                    print(f"    {line}")
            for extra in answers:  # none: every frame was answered above; let the stream end
                print(f"    unexpected: {summary(extra)}")
    return counts, wrong


def run(args: argparse.Namespace, config: Config) -> int:
    import grpc

    try:
        with _channel(config, args, USER, OFFICER, roles=("officer",)) as officer:
            return _run(args, config, officer)
    except (DemoError, ConnectionError, PkiError, OSError) as exc:
        return fail(str(exc))
    except grpc.RpcError as exc:
        return fail(f"the server refused: {exc.code().name}: {exc.details()}")


def _run(args: argparse.Namespace, config: Config, officer: grpc.Channel) -> int:
    """Plan the vehicles for the site's lanes (as the server serves them), list their plates
    as the officer, then stream each as its lane."""
    from ..api.site import lane_from_pb
    from ..v1 import site_pb2, site_pb2_grpc, watchlist_pb2_grpc

    listed = site_pb2_grpc.SiteServiceStub(officer).ListLanes(site_pb2.ListLanesRequest())
    config = dataclasses.replace(config, lanes=[lane_from_pb(lane) for lane in listed.lanes])
    try:
        fonts = _fonts()
        plan_ = plan(config, fonts, general_lane=args.lane, staff_lane=args.staff_lane)
    except (DemoError, ValueError) as exc:
        return fail(str(exc), 2)
    for why in plan_.skipped:
        print(f"lanescreen demo: left out {why}", file=sys.stderr)
    if not plan_.passages:
        return fail("no lane of the site can show the demo's vehicles", 2)
    if args.save:
        _save(plan_, args.save)
    frames = sum(len(p.frames) for p in plan_.passages)
    print(
        f"rendered {len(plan_.passages)} vehicles, {frames} frames (fonts: "
        f"{', '.join(f.name for f in fonts.faces[:3])}{', ...' if len(fonts.faces) > 3 else ''})",
        file=sys.stderr,
    )
    stub = watchlist_pb2_grpc.WatchlistServiceStub(officer)
    lists = [(DENY_LIST, Listing.DENY)]
    if plan_.allow_list:
        lists.append((plan_.allow_list, Listing.ALLOW))
    for name, listing in lists:
        print(_ensure_list(stub, name, listing, plan_.plates(listing)), file=sys.stderr)
    counts, wrong = _stream(config, args, plan_)
    if args.json:
        return 1 if wrong else 0
    print(f"\nvehicles: {totals_line(counts).removeprefix('totals: ')}")
    if wrong:
        print(f"{wrong} vehicle(s) did not come out as they should (see above)")
        return 1
    print(
        "every vehicle came out as it should. Officers confirm or dismiss the HIT:\n"
        "  lanescreen audit queue" + (f"\nthe frames are in {args.save}" if args.save else "")
    )
    return 0
