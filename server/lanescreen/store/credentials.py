"""Issued tokens and certificates: recorded as hashes, looked up at sign-in, revoked by name.

Issuing and revoking append to the audit trail in the same transaction, so the trail says who
granted or withdrew every credential.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from ..security.identity import Credential
from .db import Database
from .models import CredentialRow
from .trail import TrailEvent

KINDS = ("token", "lane", "user", "console")


class CredentialStore:
    """The ``credentials`` table; also the :class:`~lanescreen.security.identity.CredentialLookup`
    the server authenticates against."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        kind: str,
        name: str,
        digest: str,
        *,
        roles: Iterable[str] = (),
        lanes: Iterable[str] = (),
        serial: str = "",
        created_by: str,
        expires_at: datetime | None = None,
    ) -> Credential:
        """Record a credential just issued; ``digest`` is the token's SHA-256 or the certificate's
        fingerprint."""
        if kind not in KINDS:
            raise ValueError(f"unknown credential kind {kind!r}")
        row = CredentialRow(
            id=str(uuid.uuid4()),
            kind=kind,
            name=name,
            roles=sorted(set(roles)),
            lanes=sorted(set(lanes)),
            digest=digest,
            serial=serial,
            created_by=created_by[:200],
            created_at=datetime.now(UTC),
            expires_at=expires_at,
        )
        with self._db.write() as session:
            session.add(row)
            session.flush()
            detail = {
                "kind": kind,
                "roles": row.roles,
                "lanes": row.lanes,
                "credential_id": row.id,
                "serial": serial,
                "expires_at": expires_at.isoformat() if expires_at else None,
            }
            self._db.trail.append(
                session, [TrailEvent("credential.issue", row.created_by, name, detail)]
            )
            return _credential(row)

    def find_token(self, digest: str) -> Credential | None:
        with self._db.read() as session:
            row = session.scalar(
                select(CredentialRow).where(
                    CredentialRow.digest == digest, CredentialRow.kind == "token"
                )
            )
            return None if row is None else _credential(row)

    def revoked_fingerprints(self) -> frozenset[str]:
        with self._db.read() as session:
            return frozenset(
                session.scalars(
                    select(CredentialRow.digest).where(
                        CredentialRow.revoked_at.is_not(None), CredentialRow.kind != "token"
                    )
                )
            )

    def list_credentials(
        self, *, kinds: Sequence[str] = KINDS, name: str = "", include_revoked: bool = False
    ) -> list[Credential]:
        """Credentials of ``kinds`` (optionally of one name), oldest first."""
        query = select(CredentialRow).where(CredentialRow.kind.in_(kinds))
        if name:
            query = query.where(CredentialRow.name == name)
        if not include_revoked:
            query = query.where(CredentialRow.revoked_at.is_(None))
        with self._db.read() as session:
            rows = session.scalars(query.order_by(CredentialRow.created_at, CredentialRow.id))
            return [_credential(row) for row in rows]

    def revoke(self, name: str, kinds: Sequence[str], revoked_by: str) -> list[Credential]:
        """Revoke every live credential of ``kinds`` issued to ``name``; returns those revoked."""
        now = datetime.now(UTC)
        with self._db.write() as session:
            rows = list(
                session.scalars(
                    select(CredentialRow)
                    .where(
                        CredentialRow.name == name,
                        CredentialRow.kind.in_(kinds),
                        CredentialRow.revoked_at.is_(None),
                    )
                    .order_by(CredentialRow.created_at)
                )
            )
            for row in rows:
                row.revoked_at, row.revoked_by = now, revoked_by[:200]
            if rows:
                detail = {
                    "credential_ids": [row.id for row in rows],
                    "kinds": sorted({row.kind for row in rows}),
                }
                self._db.trail.append(
                    session, [TrailEvent("credential.revoke", revoked_by[:200], name, detail)]
                )
            session.flush()
            return [_credential(row) for row in rows]


def _credential(row: CredentialRow) -> Credential:
    return Credential(
        id=row.id,
        kind=row.kind,
        name=row.name,
        roles=frozenset(row.roles),
        lanes=frozenset(row.lanes),
        fingerprint="" if row.kind == "token" else row.digest,
        serial=row.serial,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )
