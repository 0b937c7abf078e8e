"""How a person's commands reach the server: over the gRPC API, as that person.

A person's command (the hit log, dispositions, and in time the watchlists) is a client of the
running server like the console and the lane terminals are, so the server checks the person's
roles, records their name with what they do, and trails a refusal, the same way everywhere.
The person proves who they are with their own certificate (``lanescreen pki issue-user``), or
with their token (``lanescreen users add``) over a console certificate of the site.
Administrator commands that must touch this machine's files or the database itself (pki, users,
journal shipping, purge, trail verification, migrations) stay local and say so in their help.
"""

from __future__ import annotations

import argparse
import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..api.auth import ACTOR_METADATA_KEY, AUTHORIZATION_METADATA_KEY
from ..api.client import open_channel, site_credentials
from ..config import Config
from ..errors import LanescreenError
from .common import fail

TOKEN_ENV = "LANESCREEN_TOKEN"
CALL_TIMEOUT_S = 60.0


def add_person_flags(parser: argparse.ArgumentParser) -> None:
    """How the command signs in to the server: ``--server``, a token or a certificate."""
    group = parser.add_argument_group(
        "signing in to the server (people's commands go through the API, as you)"
    )
    group.add_argument("--server", default="", help="host:port (default: server.listen)")
    group.add_argument(
        "--token",
        default="",
        help=f"your token (default: ${TOKEN_ENV}); sent over the site's console certificate",
    )
    group.add_argument(
        "--cert",
        type=Path,
        help="your personal certificate (lanescreen pki issue-user); with --token, the console "
        "certificate to send it over (default: <data_dir>/pki/consoles/<console_name>.pem)",
    )
    group.add_argument("--key", type=Path, help="the certificate's key (default: beside it)")
    group.add_argument("--ca", type=Path, help="the CA of the server's certificate")
    group.add_argument(
        "--insecure-dev",
        action="store_true",
        help="plaintext to a server started with --insecure-dev (also when server.insecure_dev "
        "is set here); you are --actor",
    )
    group.add_argument(
        "--actor",
        default="",
        help="development servers only: who you are (default: $LANESCREEN_ACTOR or login)",
    )


class Api:
    """The services over one channel, each call carrying the person's credentials."""

    def __init__(self, channel: Any, metadata: tuple[tuple[str, str], ...]) -> None:
        from ..v1 import audit_pb2_grpc, site_pb2_grpc, watchlist_pb2_grpc

        self._metadata = metadata
        self.audit = audit_pb2_grpc.AuditServiceStub(channel)
        self.watchlists = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        self.site = site_pb2_grpc.SiteServiceStub(channel)

    def call(self, method: Callable[..., Any], request: Any) -> Any:
        return method(request, metadata=self._metadata, timeout=CALL_TIMEOUT_S)

    def stream(self, method: Callable[..., Any], request: Any) -> Iterator[Any]:
        yield from method(request, metadata=self._metadata)


def _connect(args: argparse.Namespace, config: Config) -> tuple[Any, tuple[tuple[str, str], ...]]:
    target = args.server or config.server.listen
    if args.insecure_dev or config.server.insecure_dev:  # a development node's configuration
        from .local import actor_of

        return open_channel(config, target, None), ((ACTOR_METADATA_KEY, actor_of(args)),)
    token = args.token or os.environ.get(TOKEN_ENV, "")
    if token:
        cert = args.cert or config.pki_dir / "consoles" / f"{config.console.console_name}.pem"
        metadata: tuple[tuple[str, str], ...] = (
            (AUTHORIZATION_METADATA_KEY, f"Bearer {token.strip()}"),
        )
    elif args.cert is not None:
        cert, metadata = args.cert, ()
    else:
        raise FileNotFoundError(
            f"sign in: give --token (or ${TOKEN_ENV}) with the site's console certificate, or "
            "--cert with your personal certificate (lanescreen pki issue-user)"
        )
    return open_channel(config, target, site_credentials(config, cert, args.key, args.ca)), metadata


def through_api(handler: Callable[[argparse.Namespace, Config, Api], int]) -> Callable[..., int]:
    """A people's command: it gets the API as the person; a refusal is its exit status (2 for
    a request the server calls invalid, 1 otherwise) with the server's words."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace, config: Config) -> int:
        import grpc

        try:
            channel, metadata = _connect(args, config)
        except (FileNotFoundError, ConnectionError) as exc:
            return fail(str(exc))
        try:
            return handler(args, config, Api(channel, metadata))
        except LanescreenError as exc:  # the command's own check, before or after a call
            return fail(str(exc), 2 if exc.status == "INVALID_ARGUMENT" else 1)
        except grpc.RpcError as exc:
            code = exc.code()
            status = 2 if code is grpc.StatusCode.INVALID_ARGUMENT else 1
            return fail(f"{exc.details()} ({code.name})", status)
        finally:
            channel.close()

    return run
