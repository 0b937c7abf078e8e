"""``lanescreen serve``: run the gRPC service until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from ..config import Config
from .common import fail


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the screening service",
        description="Start the gRPC service (screening, watchlists, audit, health, reflection) "
        "over TLS with client certificates; the first start creates the site PKI under "
        "<data_dir>/pki. Missing models are fetched first when vision.auto_fetch is on.",
    )
    parser.add_argument(
        "--listen", help="host:port to bind (default: server.listen, 127.0.0.1:50051)"
    )
    parser.add_argument(
        "--insecure-dev",
        action="store_true",
        help="development only: plaintext on loopback, no certificates, every caller has every "
        "role (server.insecure_dev)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="least severe log messages written (default INFO)",
    )
    parser.set_defaults(handler=run)


GIL_SWITCH_S = 0.001


def run(args: argparse.Namespace, config: Config) -> int:
    from ..telemetry.logs import configure_logging

    configure_logging(args.log_level, config.server.log_format)
    if args.listen:
        config.server.listen = args.listen
    if args.insecure_dev:
        config.server.insecure_dev = True
    # The process is the server's now: a thread answering a lane waits at most 1 ms for the
    # interpreter, not Python's default 5, whenever a background thread holds it.
    sys.setswitchinterval(GIL_SWITCH_S)
    from ..api.server import LanescreenServer
    from ..config import ConfigError
    from ..domain.face_matching import CalibrationError
    from ..security.pki import PkiError
    from ..store.db import StoreError
    from ..vision.faces.workers import FaceWorkerError
    from ..vision.weights import ModelError

    try:
        server = LanescreenServer(config)
        port = server.start()
    except (
        ModelError,
        StoreError,
        CalibrationError,
        FaceWorkerError,
        PkiError,
        ConfigError,
        OSError,
    ) as exc:
        return fail(f"cannot start: {exc}")
    transport = (
        "PLAINTEXT (insecure development mode)"
        if config.server.insecure_dev
        else f"TLS, client certificates from {config.server.tls_client_ca_file or config.pki_dir / 'ca.pem'}"
    )
    print(
        f"lanescreen listening on port {port} ({transport}); "
        f"lanes: {', '.join(lane.id for lane in config.lanes)}",
        flush=True,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop()
    return 0
