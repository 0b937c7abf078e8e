"""``lanescreen console``: the officers' and auditors' web console, a client of the gRPC API."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..config import Config, ConsoleConfig, is_loopback, split_listen
from .common import fail


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "console",
        help="run the web console for officers, supervisors and auditors",
        description="Serve the web console (docs/console.md). It calls the lanescreen server "
        "over gRPC with a console certificate, as the person signed in with their token; it "
        "never opens the database, so every page is checked by the API's roles.",
    )
    parser.add_argument("--listen", help="host:port of the web console (console_listen)")
    parser.add_argument("--server", help="host:port of the lanescreen server (console_server)")
    parser.add_argument(
        "--cert",
        type=Path,
        help="console certificate (default: <data_dir>/pki/consoles/<console_name>.pem)",
    )
    parser.add_argument("--key", type=Path, help="its key (default: the certificate's .key)")
    parser.add_argument("--ca", type=Path, help="the CA of the server's certificate")
    parser.add_argument(
        "--insecure-dev",
        action="store_true",
        help="development only: plaintext to an --insecure-dev server and plain HTTP, both on "
        "loopback only; people are named by what they type at sign-in",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="least severe log messages written (default INFO)",
    )
    parser.set_defaults(handler=run)


def _settings(args: argparse.Namespace, config: Config) -> ConsoleConfig:
    console = config.console
    console.console_listen = args.listen or console.console_listen
    console.console_server = args.server or console.console_server
    console.console_cert_file = args.cert or console.console_cert_file
    console.console_key_file = args.key or console.console_key_file
    console.console_ca_file = args.ca or console.console_ca_file
    console.console_insecure_dev = args.insecure_dev or console.console_insecure_dev
    return console


def _problem(console: ConsoleConfig) -> str:
    """Why this configuration may not start, or ""."""
    https = console.console_tls_cert_file is not None
    if console.console_insecure_dev:
        if not (is_loopback(console.console_listen) and is_loopback(console.console_server)):
            return (
                "--insecure-dev sends tokens in plaintext, so the console and the server must "
                "both be on a loopback address"
            )
        return ""
    if not https and not is_loopback(console.console_listen):
        return (
            f"the console would serve plain HTTP on {console.console_listen}: set "
            "console_tls_cert_file and console_tls_key_file, or listen on 127.0.0.1 behind a "
            "TLS proxy"
        )
    if https and console.console_tls_key_file is None:
        return "console_tls_cert_file needs console_tls_key_file"
    return ""


def run(args: argparse.Namespace, config: Config) -> int:
    from ..telemetry.logs import configure_logging

    configure_logging(args.log_level, config.server.log_format)
    console = _settings(args, config)
    problem = _problem(console)
    if problem:
        return fail(f"cannot start: {problem}")
    import uvicorn

    from ..api.client import site_credentials
    from ..console.api import ConsoleApi
    from ..console.app import create_app
    from ..console.web import ConsoleSettings

    credentials = None
    if not console.console_insecure_dev:
        cert = console.console_cert_file or (
            config.pki_dir / "consoles" / f"{console.console_name}.pem"
        )
        try:
            credentials = site_credentials(
                config, cert, console.console_key_file, console.console_ca_file
            )
        except FileNotFoundError as exc:
            return fail(f"cannot start: {exc}; issue one with `lanescreen pki issue-console NAME`")
    https = console.console_tls_cert_file is not None
    app = create_app(
        ConsoleApi(console.console_server, credentials),
        ConsoleSettings(
            session_s=console.console_session_hours * 3600,
            idle_s=console.console_idle_minutes * 60,
            https=https,
        ),
    )
    host, port = split_listen(console.console_listen)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=int(port),
            log_level=args.log_level.lower(),
            ssl_certfile=str(console.console_tls_cert_file) if https else None,
            ssl_keyfile=str(console.console_tls_key_file) if https else None,
            server_header=False,
        )
    )
    print(
        f"lanescreen console on {'https' if https else 'http'}://{console.console_listen}, "
        f"calling the server at {console.console_server} "
        f"({'PLAINTEXT, development' if credentials is None else 'TLS, console certificate'})",
        flush=True,
    )
    server.run()
    return 0
