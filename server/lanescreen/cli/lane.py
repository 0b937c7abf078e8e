"""``lanescreen lane``: a lane-terminal simulator that streams frames to a server and prints decisions.

Sources: a folder of images (sorted by name), a video file, or a camera index. One decision per
frame is printed as it arrives (``--json``: one JSON object per line). It connects over TLS with
the lane's certificate (``lanescreen pki issue-lane``), by default the one under
``<data_dir>/pki/lanes/``; ``--insecure-dev`` talks plaintext to a development server.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..api.client import open_channel, site_credentials
from ..config import Config
from .common import add_client_flags, add_json_flag, fail, print_json

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
CAMERAS = ("plate", "driver", "overview")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "lane",
        help="simulate a lane terminal: stream frames, print decisions",
        description="Stream a folder of images, a video file or a camera to a lanescreen server over "
        "Screen and print each decision.",
    )
    parser.add_argument("source", help="folder of images, video file, or camera index (e.g. 0)")
    parser.add_argument("--lane", default="", help="lane id (default: the first configured lane)")
    parser.add_argument(
        "--camera",
        choices=CAMERAS,
        default="plate",
        help="the camera the frames come from: plate and overview are read for plates, driver "
        "for faces (default plate)",
    )
    parser.add_argument(
        "--fps",
        type=float,
        default=0.0,
        help="frames per second to send (default: the next frame once the last is answered)",
    )
    parser.add_argument("--limit", type=int, default=0, help="stop after N frames")
    parser.add_argument("--region", default="", help="plate region hint (us, eu, cn, br)")
    parser.add_argument(
        "--cert", type=Path, help="the lane's certificate (default: <data_dir>/pki/lanes/LANE.pem)"
    )
    parser.add_argument(
        "--key", type=Path, help="the lane's private key (default: beside the certificate, .key)"
    )
    parser.add_argument(
        "--ca",
        type=Path,
        help="CA to check the server by (default: ca.pem beside the certificate, else "
        "<data_dir>/pki/ca.pem)",
    )
    add_client_flags(parser)
    add_json_flag(parser)
    parser.set_defaults(handler=run)


def _frames(source: str, limit: int) -> Iterator[tuple[str, bytes]]:
    import cv2

    path = Path(source)
    count = 0
    if path.is_dir():
        for file in sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            if limit and count >= limit:
                return
            count += 1
            yield file.name, file.read_bytes()
        return
    if not source.isdigit() and "://" not in source and not path.exists():
        raise FileNotFoundError(
            f"{source!r} does not exist (give a folder of images, a video file, a stream URL or "
            "a camera index)"
        )
    capture = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not capture.isOpened():
        raise FileNotFoundError(f"cannot open {source!r} as a folder, video file or camera")
    try:
        while not limit or count < limit:
            ok, image = capture.read()
            if not ok:
                return
            ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            if ok:
                count += 1
                yield (
                    f"{path.stem if not source.isdigit() else 'camera'}-{count:06d}",
                    encoded.tobytes(),
                )
    finally:
        capture.release()


def summary(response: Any) -> str:
    """One line for one answer of ``Screen``: outcome, each plate once, reasons, time, matches."""
    from ..v1 import common_pb2

    if response.HasField("error"):
        return f"{response.frame_id}: ERROR {response.error.code} {response.error.message}"
    d = response.decision
    outcome = common_pb2.Outcome.Name(d.outcome).removeprefix("OUTCOME_")
    best: dict[str, float] = {}
    for plate in d.plates:  # a passage's frames read one plate many times: show it once
        best[plate.text] = max(plate.confidence, best.get(plate.text, 0.0))
    plates = ", ".join(f"{text or '?'} ({conf:.2f})" for text, conf in best.items()) or "no plate"
    matches = "; ".join(f"{m.watchlist_name}:{m.entry_plate} [{m.action}]" for m in d.matches)
    reasons = "; ".join(r.code for r in d.reasons)
    late = "" if d.budget_met else " LATE"
    line = f"{response.frame_id}: {outcome:6} {plates} | {reasons} | {d.total_ms:.0f}/{d.budget_ms} ms{late}"
    return f"{line} | {matches}" if matches else line


def outcome_of(response: Any) -> str:
    """``HIT``, ``CLEAR``, ``REVIEW`` or, for a frame refused with a status, ``ERROR``."""
    from ..v1 import common_pb2

    if response.HasField("error"):
        return "ERROR"
    return common_pb2.Outcome.Name(response.decision.outcome).removeprefix("OUTCOME_")


def totals_line(counts: dict[str, int]) -> str:
    return "totals: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def screen_stream(channel: Any, frames: Iterable[Any], fps: float = 0.0) -> Iterator[Any]:
    """Send ``frames`` on one ``Screen`` stream and yield each answer as it comes.

    Without ``fps`` the next frame goes once the last is answered, as a lane camera triggered
    per vehicle would; with ``fps`` they go at that rate regardless.
    """
    from ..v1 import screening_pb2_grpc

    answered = threading.Semaphore(1)
    interval = 1.0 / fps if fps > 0 else 0.0

    def requests() -> Iterator[Any]:
        for frame in frames:
            if not interval:
                answered.acquire()
            started = time.perf_counter()
            yield frame
            if interval:
                time.sleep(max(0.0, interval - (time.perf_counter() - started)))

    for response in screening_pb2_grpc.ScreeningServiceStub(channel).Screen(requests()):
        answered.release()
        yield response


def run(args: argparse.Namespace, config: Config) -> int:
    import grpc
    from google.protobuf.json_format import MessageToDict
    from google.protobuf.timestamp_pb2 import Timestamp

    from ..v1 import screening_pb2

    lane_id = args.lane or (config.lanes[0].id if config.lanes else "")
    if not lane_id:
        return fail("no lane given and none configured: pass --lane", 2)
    try:
        frames = _frames(args.source, args.limit)
        first = next(frames, None)
    except (FileNotFoundError, OSError) as exc:
        return fail(str(exc), 2)
    if first is None:
        return fail(f"no frames in {args.source!r}", 2)
    credentials = None
    if not args.insecure_dev:
        cert = args.cert or config.pki_dir / "lanes" / f"{lane_id}.pem"
        try:
            credentials = site_credentials(config, cert, args.key, args.ca)
        except OSError as exc:
            return fail(str(exc), 2)

    def requests() -> Iterator[screening_pb2.Frame]:
        for frame_id, image in _chain(first, frames):
            captured = Timestamp()
            captured.GetCurrentTime()
            yield screening_pb2.Frame(
                lane_id=lane_id,
                camera=f"CAMERA_ROLE_{args.camera.upper()}",
                frame_id=frame_id,
                captured_at=captured,
                image=image,
                plate_region=args.region,
            )

    counts: dict[str, int] = {}
    try:
        channel = open_channel(config, args.server or config.server.listen, credentials)
    except ConnectionError as exc:
        return fail(str(exc))
    with channel:
        try:
            for response in screen_stream(channel, requests(), args.fps):
                key = outcome_of(response)
                counts[key] = counts.get(key, 0) + 1
                if args.json:
                    print_json(MessageToDict(response, preserving_proto_field_name=True))
                else:
                    print(summary(response), flush=True)
        except grpc.RpcError as exc:
            return fail(f"stream ended: {exc.code().name}: {exc.details()}")
    if not args.json:
        # On stdout with the decisions, so it is always a line of its own after them.
        print(totals_line(counts), flush=True)
    return 0


def _chain(
    first: tuple[str, bytes], rest: Iterator[tuple[str, bytes]]
) -> Iterator[tuple[str, bytes]]:
    yield first
    yield from rest
