"""The site's lane registry: every lane of the site, defined once in its database.

A node's ``[[lanes]]`` only seed it: the first node to bring a lane records it (trailed as
``lane.set``, reason "seeded from ... configuration"); after that the registry's definition
applies on every node, and a node whose TOML says otherwise is told so. The built-in default
lanes seed only an empty registry, so a node started without ``[[lanes]]`` never adds them to a
site that has its own. Edits (``lanescreen site lane-set|lane-remove``, ``SiteService``) are
trailed with their reason and reach every node within a second (``NOTIFY`` on PostgreSQL).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..config import LaneConfig, default_lanes
from ..domain.lanes import check_lane
from ..errors import InvalidRequestError, NotFoundError
from .db import Database
from .models import LaneRow
from .trail import TrailEvent
from .watchlists import WATCHLIST_CHANNEL

FIELDS = tuple(f.name for f in dataclasses.fields(LaneConfig))


def _lane(row: LaneRow) -> LaneConfig:
    values: dict[str, Any] = {name: getattr(row, name) for name in FIELDS}
    return LaneConfig(**values)


def _row_values(lane: LaneConfig) -> dict[str, Any]:
    return dataclasses.asdict(lane)


def _notify(session: Session) -> None:
    """Wake every node's refreshers when this commits (their listener is the watchlists')."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(WATCHLIST_CHANNEL, "lanes")))


class LaneStore:
    def __init__(self, db: Database, readers: Collection[str]) -> None:
        """``readers``: the plate reader names a lane may ask for."""
        self._db = db
        self._readers = readers

    def lanes(self) -> list[LaneConfig]:
        with self._db.read() as session:
            return [_lane(row) for row in session.scalars(select(LaneRow).order_by(LaneRow.id))]

    def lane(self, lane_id: str) -> LaneConfig:
        with self._db.read() as session:
            row = session.get(LaneRow, lane_id)
            if row is None:
                raise NotFoundError(f"the site has no lane {lane_id!r}")
            return _lane(row)

    def adopt(self, configured: list[LaneConfig], actor: str) -> list[str]:
        """Record the configured lanes the registry lacks (the defaults only into an empty
        one); returns how the configuration differs from the registry, whose lanes apply."""
        try:
            return self._adopt(configured, actor)
        except IntegrityError:  # another node recorded the same lane at the same moment
            return self._adopt(configured, actor)

    def _adopt(self, configured: list[LaneConfig], actor: str) -> list[str]:
        differences = []
        with self._db.write() as session:
            rows = {row.id: row for row in session.scalars(select(LaneRow))}
            if rows and configured == default_lanes():
                return []
            for lane in configured:
                lane = self._checked(lane)
                row = rows.get(lane.id)
                if row is None:
                    self._record(session, None, lane, actor, f"seeded from {actor}'s configuration")
                elif (site := _lane(row)) != lane:
                    differences.append(_difference(site, lane, row.set_by))
        return differences

    def put(
        self, lane: LaneConfig, actor: str, reason: str
    ) -> tuple[LaneConfig | None, LaneConfig]:
        """Add ``lane`` to the site or replace its definition, trailed; returns (before, after)."""
        lane = self._checked(lane)
        if not reason.strip():
            raise InvalidRequestError("reason: say why the lane changes (it is trailed)")
        with self._db.write() as session:
            row = session.get(LaneRow, lane.id, with_for_update=True)
            before = _lane(row) if row is not None else None
            self._record(session, row, lane, actor, reason.strip())
        return before, lane

    def remove(self, lane_id: str, actor: str, reason: str) -> LaneConfig:
        """Take a lane out of the site (every node stops serving it), trailed."""
        if not reason.strip():
            raise InvalidRequestError("reason: say why the lane is removed (it is trailed)")
        with self._db.write() as session:
            row = session.get(LaneRow, lane_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"the site has no lane {lane_id!r}")
            before = _lane(row)
            session.delete(row)
            detail = {"before": _row_values(before), "reason": reason.strip()}
            self._db.trail.append(
                session, [TrailEvent("lane.remove", actor, f"lane:{lane_id}", detail)]
            )
            _notify(session)
        return before

    def _checked(self, lane: LaneConfig) -> LaneConfig:
        return check_lane(lane, self._readers)

    def _record(
        self, session: Session, row: LaneRow | None, lane: LaneConfig, actor: str, reason: str
    ) -> None:
        values = _row_values(lane)
        stamp = {"set_by": actor, "set_at": datetime.now(UTC)}
        before = None
        if row is None:
            session.add(LaneRow(**values, **stamp))
        else:
            before = _row_values(_lane(row))
            for name, value in (values | stamp).items():
                setattr(row, name, value)
        detail = {"before": before, "after": values, "reason": reason}
        self._db.trail.append(session, [TrailEvent("lane.set", actor, f"lane:{lane.id}", detail)])
        _notify(session)


def _difference(site: LaneConfig, ours: LaneConfig, set_by: str) -> str:
    fields = [
        f"{name} {getattr(site, name)!r} (here {getattr(ours, name)!r})"
        for name in FIELDS
        if getattr(site, name) != getattr(ours, name)
    ]
    return (
        f"lane {site.id} is defined by the site (set by {set_by}) with {', '.join(fields)}; "
        "the site's definition applies (change it with `lanescreen site lane-set`)"
    )
