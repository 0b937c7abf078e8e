"""The site PKI: one CA that signs the server's certificate and every client's.

A client certificate says who holds it in URI subject-alternative names, which TLS verification
leaves alone and the server reads back after the handshake:

- ``lanescreen:lane:<id>``, one per lane, for a lane terminal;
- ``lanescreen:user:<name>`` and ``lanescreen:role:<role>`` per role, for a person;
- ``lanescreen:console:<name>``, for a shared workstation whose users sign in with bearer tokens.

Keys are EC P-256, written owner-only (0600) in owner-only directories. Files under ``root``::

    ca.pem ca.key server.pem server.key
    lanes/<id>.pem lanes/<id>.key  users/<name>.*  consoles/<name>.*
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LANE, USER, CONSOLE = "lane", "user", "console"
CLIENT_KINDS = (LANE, USER, CONSOLE)
URI_SCHEME = "lanescreen"
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
CA_DAYS = 3650
DEFAULT_DAYS = {LANE: 825, CONSOLE: 825, USER: 365, "server": 825}
"""Validity of issued certificates; people's are shorter, as people change jobs."""
CLOCK_SKEW = timedelta(minutes=5)
"""Certificates are valid from this long before they are issued, for clients whose clock is slow."""
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
"""Names and lane ids a certificate can carry: safe in file names and URIs, never containing ':'."""


class PkiError(RuntimeError):
    """A certificate or key cannot be made, read or used; the message says which and why."""


def check_name(name: str, what: str = "name") -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise PkiError(
            f"{what} {name!r}: use 1-100 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class SitePaths:
    """Where one site's PKI files live."""

    root: Path

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.root / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.root / "server.key"

    def client(self, kind: str, name: str) -> tuple[Path, Path]:
        """The certificate and key files of a client of ``kind`` (lane, user, console)."""
        folder = self.root / f"{kind}s"
        return folder / f"{name}.pem", folder / f"{name}.key"


@dataclass(frozen=True)
class Issued:
    """A certificate just issued, and where its files are."""

    kind: str
    name: str
    roles: tuple[str, ...]
    lanes: tuple[str, ...]
    serial: str
    fingerprint: str
    not_after: datetime
    cert_file: Path
    key_file: Path


@dataclass(frozen=True)
class PeerCertificate:
    """What a verified client certificate says about its holder."""

    kind: str
    name: str
    roles: frozenset[str]
    lanes: frozenset[str]
    fingerprint: str
    """SHA-256 of the certificate's DER: what revocation names."""
    not_after: datetime


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Write ``data`` to ``path`` atomically; owner-only when ``private``."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _name(common_name: str, unit: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "lanescreen"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def load_ca(paths: SitePaths) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The site CA's certificate and key, or a :class:`PkiError` saying how to make them."""
    if not paths.ca_cert.exists() or not paths.ca_key.exists():
        raise PkiError(
            f"no site CA in {paths.root}: run `lanescreen pki init` (or start `lanescreen serve` "
            "once, which creates it)"
        )
    try:
        cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
        key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise PkiError(f"cannot read the site CA in {paths.root}: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PkiError(f"{paths.ca_key} is not an EC private key")
    return cert, key


def create_ca(paths: SitePaths, *, days: int = CA_DAYS) -> x509.Certificate:
    """A new site CA. Refuses to replace one: every certificate it signed would stop working."""
    if paths.ca_cert.exists() or paths.ca_key.exists():
        raise PkiError(
            f"a site CA already exists in {paths.root} (to name more server hosts: `lanescreen "
            "pki issue-server --host ...`; remove the CA only to re-issue every certificate)"
        )
    key = _new_key()
    now = datetime.now(UTC)
    subject = _name(f"lanescreen site CA ({socket.gethostname()}, {now:%Y-%m-%d})", "ca")
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(paths.ca_key, _key_pem(key), private=True)
    _write(paths.ca_cert, _cert_pem(cert), private=False)
    return cert


def _leaf(
    paths: SitePaths,
    subject: x509.Name,
    sans: Sequence[x509.GeneralName],
    usage: x509.ObjectIdentifier,
    days: int,
    cert_file: Path,
    key_file: Path,
) -> x509.Certificate:
    ca_cert, ca_key = load_ca(paths)
    key = _new_key()
    now = datetime.now(UTC)
    not_after = min(now + timedelta(days=days), ca_cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(key_file, _key_pem(key), private=True)
    _write(cert_file, _cert_pem(cert), private=False)
    return cert


def _host_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def issue_server(
    paths: SitePaths, hosts: Iterable[str] = DEFAULT_HOSTS, *, days: int = DEFAULT_DAYS["server"]
) -> x509.Certificate:
    """The server's certificate, valid for ``hosts`` (DNS names or IP addresses)."""
    names = list(dict.fromkeys(h.strip() for h in hosts if h.strip()))
    if not names:
        raise PkiError("the server certificate needs at least one host name or address")
    return _leaf(
        paths,
        _name(names[0], "server"),
        [_host_name(h) for h in names],
        ExtendedKeyUsageOID.SERVER_AUTH,
        days,
        paths.server_cert,
        paths.server_key,
    )


def ensure_site(paths: SitePaths) -> bool:
    """Create the CA and a server certificate for the default hosts where they are missing, so a
    first ``lanescreen serve`` is secure without a setup step. Returns whether anything was made."""
    made = False
    if not paths.ca_cert.exists():
        create_ca(paths)
        made = True
    if not paths.server_cert.exists() or not paths.server_key.exists():
        issue_server(paths)
        made = True
    return made


def issue_client(
    paths: SitePaths,
    kind: str,
    name: str,
    *,
    roles: Sequence[str] = (),
    lanes: Sequence[str] = (),
    days: int | None = None,
    out_dir: Path | None = None,
) -> Issued:
    """A client certificate for a lane terminal, a person or a console, written to ``out_dir``
    (default: the site's ``lanes/``, ``users/`` or ``consoles/``) as ``<name>.pem`` and ``.key``.

    A lane certificate may name several lanes (a terminal serving more than one); ``name`` is then
    the first. Roles are for people only; the caller checks they are known roles.
    """
    if kind not in CLIENT_KINDS:
        raise PkiError(f"unknown certificate kind {kind!r} (known: {', '.join(CLIENT_KINDS)})")
    check_name(name, "lane id" if kind == LANE else "name")
    for lane in lanes:
        check_name(lane, "lane id")
    uris = [f"{URI_SCHEME}:{kind}:{name}"]
    if kind == LANE:
        uris += [f"{URI_SCHEME}:lane:{lane}" for lane in lanes if lane != name]
    elif lanes:
        raise PkiError("only lane certificates name lanes")
    if roles and kind != USER:
        raise PkiError("only people's certificates carry roles")
    if kind == USER and not roles:
        raise PkiError("a person's certificate needs at least one role")
    uris += [f"{URI_SCHEME}:role:{role}" for role in dict.fromkeys(roles)]
    cert_file, key_file = paths.client(kind, name)
    if out_dir is not None:
        cert_file, key_file = out_dir / cert_file.name, out_dir / key_file.name
    cert = _leaf(
        paths,
        _name(name, kind),
        [x509.UniformResourceIdentifier(uri) for uri in uris],
        ExtendedKeyUsageOID.CLIENT_AUTH,
        days or DEFAULT_DAYS[kind],
        cert_file,
        key_file,
    )
    if out_dir is not None and out_dir.resolve() != paths.root.resolve():
        # What a terminal elsewhere needs besides its own pair: the CA to check the server by.
        _write(out_dir / "ca.pem", paths.ca_cert.read_bytes(), private=False)
    peer = read_peer_certificate(_cert_pem(cert))
    return Issued(
        kind,
        name,
        tuple(sorted(peer.roles)),
        tuple(sorted(peer.lanes)),
        format(cert.serial_number, "x"),
        peer.fingerprint,
        cert.not_valid_after_utc,
        cert_file,
        key_file,
    )


@functools.lru_cache(maxsize=1024)
def read_peer_certificate(pem: bytes) -> PeerCertificate:
    """The holder a client certificate names. Its chain was verified by TLS already; this reads
    the ``lanescreen:`` URIs (cached, as every call of a connection presents the same bytes)."""
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise PkiError(f"unreadable client certificate: {exc}") from exc
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = sans.get_values_for_type(x509.UniformResourceIdentifier)
    except x509.ExtensionNotFound:
        uris = []
    kinds: dict[str, list[str]] = {}
    for uri in uris:
        scheme, _, rest = uri.partition(":")
        kind, _, value = rest.partition(":")
        if scheme == URI_SCHEME and value:
            kinds.setdefault(kind, []).append(value)
    holders = [k for k in CLIENT_KINDS if k in kinds]
    if len(holders) != 1 or (holders[0] != LANE and len(kinds[holders[0]]) != 1):
        raise PkiError(
            "the client certificate names no lanescreen lane, person or console (or more than "
            "one kind): issue one with `lanescreen pki issue-lane|issue-user|issue-console`"
        )
    kind = holders[0]
    roles = frozenset(kinds.get("role", ()))
    if roles and kind != USER:
        raise PkiError(f"a {kind} certificate cannot carry roles")
    names = kinds[kind]
    return PeerCertificate(
        kind=kind,
        name=names[0],
        roles=roles,
        lanes=frozenset(names) if kind == LANE else frozenset(),
        fingerprint=fingerprint(cert),
        not_after=cert.not_valid_after_utc,
    )


def read_certificate(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise PkiError(f"cannot read the certificate {path}: {exc}") from exc


@dataclass(frozen=True)
class ServerTls:
    """What the server's TLS port needs, read and checked."""

    cert_chain: bytes
    private_key: bytes
    client_ca: bytes
    created: bool
    """The site PKI was created just now."""


def server_tls(
    site: SitePaths,
    cert_file: Path | None = None,
    key_file: Path | None = None,
    client_ca_file: Path | None = None,
) -> ServerTls:
    """The configured certificate, key and client CA; with none configured, the site PKI's
    (created where missing). Checked here, so a wrong file is named at start-up, not a handshake."""
    if (cert_file is None) != (key_file is None):
        raise PkiError(
            "server.tls_cert_file and server.tls_key_file go together: set both, or neither to "
            f"use the site PKI in {site.root}"
        )
    created = False
    if cert_file is None or key_file is None:
        created = ensure_site(site)
        cert_file, key_file = site.server_cert, site.server_key
    ca_file = client_ca_file or site.ca_cert
    chain, key, ca = (_read(f) for f in (cert_file, key_file, ca_file))
    try:
        certs = x509.load_pem_x509_certificates(chain)
        private = serialization.load_pem_private_key(key, password=None)
        x509.load_pem_x509_certificates(ca)
    except (ValueError, TypeError) as exc:
        raise PkiError(f"cannot use {cert_file}, {key_file} or {ca_file}: {exc}") from exc
    if certs[0].public_key() != private.public_key():
        raise PkiError(f"{key_file} is not the key of the certificate in {cert_file}")
    return ServerTls(chain, key, ca, created)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PkiError(f"cannot read {path}: {exc}") from exc
