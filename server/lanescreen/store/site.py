"""What every node of a site must agree on: checked when a node opens the site's database, and
the policy the site applies alike on every node (two-person approval, retention).

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
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..config import Config
from ..domain.governance import ApprovalPolicy
from ..errors import InvalidRequestError
from .db import Database, StoreError
from .models import SiteSettingRow, TrailRow
from .trail import TRAIL_KEY_CHECK, TrailEvent

CLIENT_CA_SHA256 = "client_ca_sha256"
MAX_CLOCK_SKEW_S = 2.0


def _put(session: Session, row: SiteSettingRow | None, name: str, value: str, actor: str) -> None:
    """Record ``value`` as the site's ``name`` (``row``: the setting's row, if it has one)."""
    if row is None:
        session.add(SiteSettingRow(name=name, value=value, set_by=actor, set_at=datetime.now(UTC)))
    else:
        row.value, row.set_by, row.set_at = value, actor, datetime.now(UTC)


def _agree(db: Database, name: str, ours: str, actor: str, *, explain: str) -> None:
    with db.write() as session:
        row = session.get(SiteSettingRow, name)
        if row is None:
            _put(session, None, name, ours, actor)
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


# --- the site's policy -----------------------------------------------------------------------

POLICY_PREFIX = "policy."


@dataclass(frozen=True)
class PolicySetting:
    """A setting every node of a site must apply alike, kept in the database."""

    name: str
    """The configuration field it seeds from (and overrides), unique across sections."""
    section: str
    parse: Callable[[str], object]


def _priority(text: str) -> int:
    value = int(text)
    ApprovalPolicy(value)  # raises ValueError naming the range
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(f"must be a positive number of hours or days, got {text!r}")
    return value


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in {"true", "false"}:
        raise ValueError(f"must be true or false, got {text!r}")
    return lowered == "true"


POLICY = {
    setting.name: setting
    for setting in (
        PolicySetting("approval_min_priority", "governance", _priority),
        PolicySetting("clear_retention_hours", "storage", _positive),
        PolicySetting("review_retention_days", "storage", _positive),
        PolicySetting("hit_retention_days", "storage", _positive),
        PolicySetting("evidence_retention_days", "storage", _positive),
        PolicySetting("keep_review_face_images", "storage", _flag),
    )
}
"""What the site decides for every node: two-person approval and the retention policy. Each node's
TOML value seeds the site's on the first opening of its database; after that the site's applies."""


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def site_setting(session: Session, name: str) -> str | None:
    """The site's value of policy setting ``name`` as stored (None: not recorded yet)."""
    row = session.get(SiteSettingRow, POLICY_PREFIX + name)
    return row.value if row is not None else None


def approvals(session: Session, fallback: ApprovalPolicy) -> ApprovalPolicy:
    """The site's two-person rule, read in the caller's transaction (so every node judges an
    edit alike, whatever its own configuration says); ``fallback`` before it is recorded."""
    value = site_setting(session, "approval_min_priority")
    return fallback if value is None else ApprovalPolicy(int(value))


def adopt_site_policy(db: Database, config: Config, actor: str) -> list[str]:
    """Record the configuration's policy where the site has none yet, then make the
    configuration the site's: returns what differed (the site's value applies)."""
    differences = []
    with db.write() as session:
        for setting in POLICY.values():
            section = getattr(config, setting.section)
            ours = _text(getattr(section, setting.name))
            row = session.get(SiteSettingRow, POLICY_PREFIX + setting.name)
            if row is None:
                _put(session, None, POLICY_PREFIX + setting.name, ours, actor)
                continue
            if row.value != ours:
                differences.append(
                    f"{setting.section}.{setting.name} is {row.value} for the site (set by "
                    f"{row.set_by}); this configuration says {ours}: the site's applies "
                    "(change it with `lanescreen site set`)"
                )
            setattr(section, setting.name, setting.parse(row.value))
    return differences


def set_site_policy(
    db: Database, name: str, value: str, actor: str, reason: str
) -> tuple[str | None, str]:
    """Change one policy setting for the whole site, trailed; returns (before, after)."""
    setting = POLICY.get(name)
    if setting is None:
        known = ", ".join(POLICY)
        raise InvalidRequestError(f"{name!r} is not a site setting (known: {known})")
    if not reason.strip():
        raise InvalidRequestError("reason: say why the site's policy changes (it is trailed)")
    try:
        after = _text(setting.parse(value))
    except ValueError as exc:
        raise InvalidRequestError(f"{name}: {exc}") from exc
    with db.write() as session:
        row = session.get(SiteSettingRow, POLICY_PREFIX + name, with_for_update=True)
        before = row.value if row is not None else None
        _put(session, row, POLICY_PREFIX + name, after, actor)
        detail = {"name": name, "before": before, "after": after, "reason": reason.strip()}
        db.trail.append(session, [TrailEvent("site.setting", actor, f"setting:{name}", detail)])
    return before, after


def site_policy(db: Database) -> dict[str, str | None]:
    with db.read() as session:
        return {name: site_setting(session, name) for name in POLICY}
