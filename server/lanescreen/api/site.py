"""SiteService: the site's policy and lane registry, over the API, for supervisors (and for
reading, everyone who reads the lists). A thin edge over :mod:`lanescreen.store.site` and
:mod:`lanescreen.store.lanes`."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from ..config import LaneConfig
from ..store.db import Database
from ..store.lanes import LaneStore
from ..store.site import set_site_policy, site_policy
from ..v1 import site_pb2, site_pb2_grpc
from .auth import identity_of
from .errors import errors_to_status
from .watchlists import actor_of


def lane_to_pb(lane: LaneConfig) -> site_pb2.Lane:
    return site_pb2.Lane(
        id=lane.id,
        name=lane.name,
        budget_ms=lane.budget_ms,
        deny_lists=lane.deny_lists or [],
        every_deny_list=lane.deny_lists is None,
        allow_lists=lane.allow_lists,
        region=lane.region,
        review_when_no_plate=lane.review_when_no_plate,
        reader=lane.reader,
        review_when_no_face=lane.review_when_no_face,
    )


def lane_from_pb(msg: site_pb2.Lane) -> LaneConfig:
    return LaneConfig(
        id=msg.id,
        name=msg.name,
        budget_ms=msg.budget_ms,
        deny_lists=None if msg.every_deny_list else list(msg.deny_lists),
        allow_lists=list(msg.allow_lists),
        region=msg.region,
        review_when_no_plate=msg.review_when_no_plate,
        reader=msg.reader,
        review_when_no_face=msg.review_when_no_face,
    )


PERSON_PROOFS = ("token@", "user-certificate", "insecure-dev")
"""How a person's identity is proven (:attr:`Identity.via`); lanes and bare consoles differ."""


class SiteServicer(site_pb2_grpc.SiteServiceServicer):
    def __init__(
        self, database: Database, lanes: LaneStore, lanes_changed: Callable[[], None]
    ) -> None:
        """``lanes_changed``: wakes this node's lane registry after an edit made through it."""
        self._db = database
        self._lanes = lanes
        self._lanes_changed = lanes_changed

    @errors_to_status
    def GetSitePolicy(
        self, request: site_pb2.GetSitePolicyRequest, context: grpc.ServicerContext
    ) -> site_pb2.SitePolicy:
        settings = {k: v for k, v in site_policy(self._db).items() if v is not None}
        return site_pb2.SitePolicy(settings=settings)

    @errors_to_status
    def SetSitePolicy(
        self, request: site_pb2.SetSitePolicyRequest, context: grpc.ServicerContext
    ) -> site_pb2.SitePolicyChange:
        before, after = set_site_policy(
            self._db, request.name, request.value, actor_of(context), request.reason
        )
        return site_pb2.SitePolicyChange(name=request.name, before=before or "", after=after)

    @errors_to_status
    def ListLanes(
        self, request: site_pb2.ListLanesRequest, context: grpc.ServicerContext
    ) -> site_pb2.LaneList:
        return site_pb2.LaneList(lanes=[lane_to_pb(lane) for lane in self._lanes.lanes()])

    @errors_to_status
    def PutLane(
        self, request: site_pb2.PutLaneRequest, context: grpc.ServicerContext
    ) -> site_pb2.LaneChange:
        before, after = self._lanes.put(
            lane_from_pb(request.lane), actor_of(context), request.reason
        )
        self._lanes_changed()
        return site_pb2.LaneChange(
            before=lane_to_pb(before) if before is not None else None, after=lane_to_pb(after)
        )

    @errors_to_status
    def RemoveLane(
        self, request: site_pb2.RemoveLaneRequest, context: grpc.ServicerContext
    ) -> site_pb2.LaneChange:
        before = self._lanes.remove(request.lane_id, actor_of(context), request.reason)
        self._lanes_changed()
        return site_pb2.LaneChange(before=lane_to_pb(before))

    def GetCaller(
        self, request: site_pb2.GetCallerRequest, context: grpc.ServicerContext
    ) -> site_pb2.Caller:
        identity = identity_of(context)
        if identity is None:  # not reached: the interceptor admits every call first
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "no credentials")
        return site_pb2.Caller(
            name=identity.name,
            roles=sorted(identity.roles),
            via=identity.via,
            person=identity.via.startswith(PERSON_PROOFS),
        )
