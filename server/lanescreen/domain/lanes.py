"""The site's lanes as this node serves them: read from the site's lane registry, kept current.

Lanes are site data (ids, budgets, lists, region, reader), defined once for every node in the
database. A node serves every lane of the registry; a lane added or changed elsewhere reaches it
within ``poll_s`` (at once when an edit is notified), off the answer path. A lane whose plate
reader this node has not loaded yet is prepared in the background first (its model fetched and
loaded) and, until then, its frames are refused saying so rather than read with the wrong reader.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace
from typing import Protocol

from ..config import LaneConfig
from ..errors import InvalidRequestError, NotFoundError, PreconditionError
from .refresher import Refresher

log = logging.getLogger(__name__)


class LaneSource(Protocol):
    def lanes(self) -> list[LaneConfig]: ...


def _ready(lane: LaneConfig) -> None:
    """A lane needs nothing prepared (a node whose readers are all loaded)."""


class LaneRegistry:
    def __init__(
        self,
        lanes: Iterable[LaneConfig],
        source: LaneSource | None = None,
        *,
        prepare: Callable[[LaneConfig], None] = _ready,
        poll_s: float = 1.0,
    ) -> None:
        """``lanes``: the lanes ready to serve now; ``source``: where later changes come from
        (None: these lanes for good); ``prepare``: loads what a new or changed lane needs,
        raising if it cannot."""
        self._lanes = {lane.id: lane for lane in lanes}
        self._unready: dict[str, str] = {}
        """Lanes of the registry this node cannot serve yet, and why."""
        self._source = source
        self._prepare = prepare
        self._refresher = Refresher(
            "lanes",
            self.refresh,
            poll_s,
            failing="cannot read the site's lane registry; serving the lanes as last read",
            recovered="lane registry read again",
        )

    def lane(self, lane_id: str) -> LaneConfig:
        """The lane called ``lane_id``; NotFoundError if the site has no such lane,
        PreconditionError if this node cannot serve it yet."""
        lane = self._lanes.get(lane_id)
        if lane is not None:
            return lane
        if lane_id in self._unready:
            raise PreconditionError(
                f"lane {lane_id!r} is not served by this node yet: {self._unready[lane_id]}"
            )
        known = ", ".join(sorted(self._lanes)) or "none"
        raise NotFoundError(f"unknown lane {lane_id!r} (the site's lanes: {known})")

    def lanes(self) -> list[LaneConfig]:
        return sorted(self._lanes.values(), key=lambda lane: lane.id)

    def refresh(self) -> bool:
        """Bring the lanes up to the registry's; returns whether any changed."""
        if self._source is None:
            return False
        wanted = {lane.id: lane for lane in self._source.lanes()}
        lanes = {}
        unready = {}
        for lane_id, lane in wanted.items():
            if self._lanes.get(lane_id) != lane:
                try:
                    self._prepare(lane)
                except Exception as exc:
                    if self._unready.get(lane_id) is None:
                        log.exception("lane %s cannot be served yet", lane_id)
                    unready[lane_id] = f"{type(exc).__name__}: {exc}"
                    if lane_id in self._lanes:  # its earlier definition still holds
                        lanes[lane_id] = self._lanes[lane_id]
                    continue
            lanes[lane_id] = lane
        changed = lanes != self._lanes or unready != self._unready
        if changed:
            self._log_changes(lanes)
        self._lanes, self._unready = lanes, unready
        return changed

    def _log_changes(self, lanes: dict[str, LaneConfig]) -> None:
        added = sorted(lanes.keys() - self._lanes.keys())
        removed = sorted(self._lanes.keys() - lanes.keys())
        changed = sorted(k for k in lanes.keys() & self._lanes.keys() if lanes[k] != self._lanes[k])
        for what, ids in (("added", added), ("removed", removed), ("changed", changed)):
            if ids:
                log.info("site lanes %s: %s", what, ", ".join(ids))

    def start(self) -> None:
        self._refresher.start()

    def wake(self) -> None:
        self._refresher.wake()

    def stop(self) -> None:
        self._refresher.stop()


LANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""Lane ids are names in certificates, URLs and logs: letters, digits, ``.``, ``_``, ``-``."""


def check_lane(lane: LaneConfig, readers: Collection[str]) -> LaneConfig:
    """``lane`` with its names trimmed, or InvalidRequestError naming its bad field."""
    if not LANE_ID.fullmatch(lane.id):
        raise InvalidRequestError(
            f"lane id {lane.id!r}: 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    if lane.budget_ms <= 0:
        raise InvalidRequestError(
            f"lane {lane.id}: budget_ms must be positive, got {lane.budget_ms}"
        )
    if lane.reader and lane.reader not in readers:
        known = ", ".join(sorted(readers))
        raise InvalidRequestError(
            f"lane {lane.id}: unknown reader {lane.reader!r} (known: {known})"
        )
    names = [*(lane.deny_lists or []), *lane.allow_lists]
    if any(not name.strip() for name in names):
        raise InvalidRequestError(f"lane {lane.id}: a list name is empty")
    return replace(
        lane,
        name=lane.name.strip(),
        region=lane.region.strip().lower(),
        deny_lists=None if lane.deny_lists is None else [n.strip() for n in lane.deny_lists],
        allow_lists=[n.strip() for n in lane.allow_lists],
    )
