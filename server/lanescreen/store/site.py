"""What every node of a site must agree on, checked when a node opens the site's database.

Nodes sharing one database must hold the same trail key (else each writes records the others'
``audit verify`` reports as tampered), trust the same client CA, and keep time with the
database (records and expiries are ordered and judged by time). The first node to open a
database records the key's check value and the CA's fingerprint; every later one compares its
own and refuses to start, saying which differs, rather than write records nobody can verify.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select, text

from .db import Database, StoreError
from .models import SiteSettingRow, TrailRow
from .trail import TRAIL_KEY_CHECK

CLIENT_CA_SHA256 = "client_ca_sha256"
MAX_CLOCK_SKEW_S = 2.0


def _agree(db: Database, name: str, ours: str, actor: str, *, explain: str) -> None:
    with db.write() as session:
        row = session.get(SiteSettingRow, name)
        if row is None:
            session.add(
                SiteSettingRow(name=name, value=ours, set_by=actor, set_at=datetime.now(UTC))
            )
            return
        if row.value != ours:
            raise StoreError(
                f"{explain} (site {name} {row.value[:12]}..., set by {row.set_by} at "
                f"{row.set_at:%Y-%m-%d %H:%M}Z; this node's {ours[:12]}...)"
            )


def check_trail_key(db: Database, key_file: str, actor: str) -> None:
    """Refuse a trail key other than the site's. A site whose trail predates the record of the
    key's check value is judged by its newest record: the key must have signed it."""
    ours = db.trail.key_check()
    with db.read() as session:
        recorded = session.get(SiteSettingRow, TRAIL_KEY_CHECK)
        last = session.scalars(select(TrailRow).order_by(TrailRow.at.desc()).limit(1)).first()
        signed = last is None or db.trail.signed(last)
    explain = (
        f"this node's trail key ({key_file}) is not the site's: its records would not verify "
        "beside the others'. Copy the site's trail key file to every node"
    )
    if recorded is None and not signed:
        raise StoreError(f"{explain} (the newest trail record was not signed with it)")
    _agree(db, TRAIL_KEY_CHECK, ours, actor, explain=explain)


def check_client_ca(db: Database, ca_pem: bytes, ca_file: str, actor: str) -> None:
    """Refuse a client CA other than the site's: lanes issued by one node's CA would be
    refused by another's."""
    ours = hashlib.sha256(ca_pem).hexdigest()
    explain = (
        f"this node trusts another client CA ({ca_file}) than the site's nodes do: a lane "
        "certificate from one would be refused by the other. Use the site's CA on every node"
    )
    _agree(db, CLIENT_CA_SHA256, ours, actor, explain=explain)


def clock_skew_s(db: Database, now: Callable[[], datetime]) -> float:
    """How far this node's clock is from the database server's (0 on SQLite: one machine)."""
    if db.engine.dialect.name == "sqlite":
        return 0.0
    with db.engine.connect() as connection:
        before = time.monotonic()
        theirs = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
        half_trip = (time.monotonic() - before) / 2
    mine = now()
    return float((mine - theirs).total_seconds() - half_trip)


def check_clock(db: Database, now: Callable[[], datetime]) -> None:
    skew = clock_skew_s(db, now)
    if abs(skew) > MAX_CLOCK_SKEW_S:
        raise StoreError(
            f"this node's clock is {skew:+.1f} s from the database server's (at most "
            f"{MAX_CLOCK_SKEW_S:g} s allowed): expiries and the order of records would be "
            "wrong. Synchronise the clocks (NTP) and start again"
        )
