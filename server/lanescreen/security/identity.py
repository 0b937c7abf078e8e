"""Who is calling, proven by a client certificate or a bearer token, and whether they may.

Every connection to the TLS port presents a certificate from the site CA (TLS verifies the chain,
the server cannot ask for anything weaker, see docs/security.md). What it says decides the caller:

- a lane certificate: the lane terminal, role ``lane``, for the lanes it names;
- a person's certificate: that person, with the roles it carries;
- a console certificate: a shared workstation, no roles of its own; the person at it sends
  ``authorization: Bearer <token>`` and acts with the token's roles.

Tokens are random, shown once, and stored only as their SHA-256 (a 256-bit random secret needs no
slow hash). A revoked certificate or token, or an expired token, is refused; a revocation reaches
open streams at their next message.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from ..errors import LanescreenError
from .pki import CONSOLE, LANE, PkiError, read_peer_certificate
from .policy import ROLES, Rule, rule_for

log = logging.getLogger(__name__)

TOKEN_PREFIX = "lst_"
"""Marks lanescreen tokens, so secret scanners and people can tell one when they see it."""
ANONYMOUS = "anonymous"
REVOCATION_REFRESH_S = 2.0
"""How stale the server's copy of the revoked certificates may be."""
REFRESH_WAIT_S = 0.02
"""How long the call that finds the copy stale waits for the re-read before going on with it."""


@dataclass(frozen=True)
class Identity:
    """An authenticated caller. ``name`` is what the trail records as the actor: a person's name,
    ``lane:<id>`` or ``console:<name>``."""

    name: str
    roles: frozenset[str]
    lanes: frozenset[str] = frozenset()
    via: str = ""
    """How it was proven: ``lane-certificate``, ``user-certificate``, ``console-certificate``,
    ``token@console:<name>``, or ``insecure-dev``."""
    any_lane: bool = False
    """Development mode only: may screen as every lane."""

    def may_screen(self, lane_id: str) -> bool:
        return LANE in self.roles and (self.any_lane or lane_id in self.lanes)


@dataclass(frozen=True)
class Credential:
    """An issued token or certificate, as the credential store keeps it (never the secret)."""

    id: str
    kind: str
    """``token``, or the certificate kind: ``lane``, ``user``, ``console``."""
    name: str
    roles: frozenset[str]
    lanes: frozenset[str]
    fingerprint: str
    """SHA-256 of a certificate's DER; empty for a token."""
    serial: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


class CredentialLookup(Protocol):
    """What authentication needs from the credential store."""

    def find_token(self, digest: str) -> Credential | None: ...

    def revoked_fingerprints(self) -> frozenset[str]: ...


class AuthError(LanescreenError):
    """A refused call. ``actor`` is who it claimed or proved to be (``anonymous`` if nobody)."""

    status = "UNAUTHENTICATED"

    def __init__(self, reason: str, actor: str = ANONYMOUS) -> None:
        super().__init__(reason)
        self.reason = reason
        self.actor = actor


class Unauthenticated(AuthError):
    """No credentials, or ones that are unknown, expired or revoked (gRPC UNAUTHENTICATED)."""


class PermissionDenied(AuthError):
    """Proven, but not allowed this (gRPC PERMISSION_DENIED)."""

    status = "PERMISSION_DENIED"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Admission:
    """One authenticated call: the identity, and what to re-check while a stream stays open."""

    identity: Identity
    fingerprint: str = ""
    cert_not_after: datetime | None = None
    token: str = ""


def dev_identity(actor: str, peer: str) -> Identity:
    """Development mode's caller: whoever the metadata claims, with every role and lane."""
    return Identity(
        name=actor.strip()[:200] or f"dev@{peer}",
        roles=ROLES,
        via="insecure-dev",
        any_lane=True,
    )


class Authenticator:
    """Turns a verified peer certificate (and a token, if any) into an :class:`Identity`."""

    def __init__(
        self,
        credentials: CredentialLookup,
        *,
        refresh_s: float = REVOCATION_REFRESH_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials = credentials
        self._refresh_s = refresh_s
        self._clock = clock
        self._lock = threading.Lock()
        self._revoked: frozenset[str] | None = None
        self._loaded_at = 0.0
        self._refreshing: threading.Event | None = None

    def revoked(self) -> frozenset[str]:
        """Fingerprints of revoked certificates, re-read when older than ``refresh_s``.

        The re-read runs on its own thread and is waited for at most :data:`REFRESH_WAIT_S`:
        a fast store gives the new list at once, a slow or hung one costs one caller that long
        and everyone else nothing (they get the last list until the re-read returns). If the
        store cannot answer, the last list stays in use and the failure is logged.
        """
        with self._lock:
            if self._revoked is None:
                self._revoked = self._credentials.revoked_fingerprints()
                self._loaded_at = self._clock()
                return self._revoked
            stale = self._clock() - self._loaded_at >= self._refresh_s
            done = None
            if stale and self._refreshing is None:
                done = self._refreshing = threading.Event()
                threading.Thread(
                    target=self._refresh, args=(done,), name="revocations", daemon=True
                ).start()
        if done is not None:
            done.wait(REFRESH_WAIT_S)
        with self._lock:
            return self._revoked

    def _refresh(self, done: threading.Event) -> None:
        try:
            revoked: frozenset[str] | None = self._credentials.revoked_fingerprints()
        except Exception:
            log.exception("cannot re-read revoked certificates; using the last list")
            revoked = None
        with self._lock:
            if revoked is not None:
                self._revoked = revoked
            self._loaded_at = self._clock()
            self._refreshing = None
        done.set()

    def authenticate(self, peer_pem: bytes | None, token: str | None) -> Admission:
        if not peer_pem:
            raise Unauthenticated("no client certificate: connect with a site certificate")
        try:
            peer = read_peer_certificate(peer_pem)
        except PkiError as exc:
            raise Unauthenticated(str(exc)) from exc
        who = peer.name if peer.kind not in (LANE, CONSOLE) else f"{peer.kind}:{peer.name}"
        now = datetime.now(UTC)
        self._check_certificate(peer.fingerprint, peer.not_after, who, now)
        if token is not None:
            if not token:
                raise Unauthenticated("the authorization metadata must be 'Bearer <token>'", who)
            if peer.kind != CONSOLE:
                raise Unauthenticated(
                    f"a bearer token is accepted only over a console certificate; this "
                    f"connection's certificate is {peer.kind} {peer.name!r}",
                    who,
                )
            identity = self._token_identity(token, who, now)
            return Admission(identity, peer.fingerprint, peer.not_after, token)
        if peer.kind == LANE:
            identity = Identity(who, frozenset({LANE}), peer.lanes, "lane-certificate")
        elif peer.kind == CONSOLE:
            identity = Identity(who, frozenset(), via="console-certificate")
        else:
            identity = Identity(who, peer.roles, via="user-certificate")
        return Admission(identity, peer.fingerprint, peer.not_after)

    def recheck(self, admission: Admission) -> None:
        """Raise :class:`Unauthenticated` if the call's credentials were revoked or expired since
        it began (called for each message of a client stream)."""
        if not admission.fingerprint:
            return
        now = datetime.now(UTC)
        self._check_certificate(
            admission.fingerprint, admission.cert_not_after, admission.identity.name, now
        )
        if admission.token:
            self._token_identity(admission.token, admission.identity.name, now)

    def _check_certificate(
        self, fingerprint: str, not_after: datetime | None, who: str, now: datetime
    ) -> None:
        if fingerprint in self.revoked():
            raise Unauthenticated(f"the certificate of {who} was revoked", who)
        if not_after is not None and not_after <= now:
            raise Unauthenticated(f"the certificate of {who} expired at {not_after:%Y-%m-%d}", who)

    def _token_identity(self, token: str, console: str, now: datetime) -> Identity:
        credential = self._credentials.find_token(token_digest(token))
        if credential is None or credential.kind != "token":
            raise Unauthenticated(f"unknown bearer token (presented at {console})")
        state = credential.state(now)
        if state != "active":
            raise Unauthenticated(f"the token of {credential.name} is {state}", credential.name)
        return Identity(credential.name, credential.roles, via=f"token@{console}")


def authorize(identity: Identity, method: str) -> None:
    """Raise unless ``identity`` may call ``method`` under the policy table."""
    rule: Rule | None = rule_for(method)
    if rule is None:
        raise PermissionDenied(f"{method} has no access rule, so nobody may call it", identity.name)
    if rule.anyone or identity.roles & rule.roles:
        return
    if not identity.roles:
        raise Unauthenticated(
            f"{identity.name} is a console, not a person: sign in with "
            "'authorization: Bearer <token>' (lanescreen users add)",
            identity.name,
        )
    raise PermissionDenied(
        f"{method} needs role {' or '.join(sorted(rule.roles))}; {identity.name} has "
        f"{', '.join(sorted(identity.roles))}",
        identity.name,
    )
