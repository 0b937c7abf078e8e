"""Client-side channels to a lanescreen server: the site PKI's client certificates, and a
channel that says what to check when nobody answers. Used by every client the project ships
(the lane and demo commands, the console)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Config


def channel_credentials(cert: Path, key: Path, ca: Path) -> Any:
    """TLS credentials presenting ``cert``/``key`` and trusting only ``ca`` for the server."""
    import grpc

    missing = [str(p) for p in (cert, key, ca) if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"no {', '.join(missing)}: issue the lane's certificate with "
            "`lanescreen pki issue-lane LANE` (or pass --cert/--key/--ca, or --insecure-dev "
            "for a development server)"
        )
    return grpc.ssl_channel_credentials(
        root_certificates=ca.read_bytes(),
        private_key=key.read_bytes(),
        certificate_chain=cert.read_bytes(),
    )


def site_credentials(
    config: Config, cert: Path, key: Path | None = None, ca: Path | None = None
) -> Any:
    """Credentials for a client certificate of the site PKI: its key beside it (``.key``), and
    the CA beside it (what `pki issue-* --out DIR` writes) or the site's."""
    beside = cert.parent / "ca.pem"
    ca = ca or (beside if beside.is_file() else config.pki_dir / "ca.pem")
    return channel_credentials(cert, key or cert.with_suffix(".key"), ca)


def open_channel(config: Config, target: str, credentials: Any | None) -> Any:
    """A channel to ``target`` once it answers (plaintext without ``credentials``); raises
    ConnectionError saying what to check."""
    import grpc

    options = [("grpc.max_send_message_length", config.server.max_message_bytes)]
    channel = (
        grpc.insecure_channel(target, options=options)
        if credentials is None
        else grpc.secure_channel(target, credentials, options=options)
    )
    try:
        grpc.channel_ready_future(channel).result(timeout=10)
    except grpc.FutureTimeoutError:
        channel.close()
        raise ConnectionError(
            f"no lanescreen server answering at {target} (over "
            f"{'plaintext' if credentials is None else 'TLS'}: is it the server's mode, and "
            "does the server trust this certificate?)"
        ) from None
    return channel
