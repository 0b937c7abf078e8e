"""SiteService: the site's policy, over the API, for supervisors (and for reading, everyone
who reads the lists). A thin edge over :mod:`lanescreen.store.site`."""

from __future__ import annotations

import grpc

from ..store.db import Database
from ..store.site import set_site_policy, site_policy
from ..v1 import site_pb2, site_pb2_grpc
from .watchlists import actor_of, domain_errors_to_status


class SiteServicer(site_pb2_grpc.SiteServiceServicer):
    def __init__(self, database: Database) -> None:
        self._db = database

    @domain_errors_to_status
    def GetSitePolicy(
        self, request: site_pb2.GetSitePolicyRequest, context: grpc.ServicerContext
    ) -> site_pb2.SitePolicy:
        settings = {k: v for k, v in site_policy(self._db).items() if v is not None}
        return site_pb2.SitePolicy(settings=settings)

    @domain_errors_to_status
    def SetSitePolicy(
        self, request: site_pb2.SetSitePolicyRequest, context: grpc.ServicerContext
    ) -> site_pb2.SitePolicyChange:
        before, after = set_site_policy(
            self._db, request.name, request.value, actor_of(context), request.reason
        )
        return site_pb2.SitePolicyChange(name=request.name, before=before or "", after=after)
