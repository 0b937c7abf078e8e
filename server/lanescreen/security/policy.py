"""Which roles may call each RPC: one table, keyed by the full gRPC method name.

A method missing from the table is refused (fail closed), and a test checks that every method of
every service the server offers has an entry, so a new RPC cannot ship unprotected.
"""

from __future__ import annotations

from dataclasses import dataclass

LANE = "lane"
OFFICER = "officer"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"
ROLES = frozenset({LANE, OFFICER, SUPERVISOR, AUDITOR})
PERSON_ROLES = ROLES - {LANE}
"""Roles a person can hold; ``lane`` belongs to lane terminals' certificates only."""


@dataclass(frozen=True)
class Rule:
    """Who may call a method: any holder of one of ``roles``, or, with ``anyone``, any
    authenticated caller (a console certificate with no signed-in person included)."""

    roles: frozenset[str] = frozenset()
    anyone: bool = False


SCREEN = Rule(frozenset({LANE}))
READ_LISTS = Rule(frozenset({OFFICER, SUPERVISOR, AUDITOR}))
EDIT_LISTS = Rule(frozenset({OFFICER, SUPERVISOR}))
APPROVE_LISTS = Rule(frozenset({SUPERVISOR}))
SITE_POLICY = Rule(frozenset({SUPERVISOR}))
AUDIT = Rule(frozenset({AUDITOR, SUPERVISOR}))
REVIEW_HITS = Rule(frozenset({OFFICER, SUPERVISOR, AUDITOR}))
DISPOSE = Rule(frozenset({OFFICER, SUPERVISOR}))
ANYONE = Rule(anyone=True)

_SCREENING = "/lanescreen.v1.ScreeningService/"
_WATCHLISTS = "/lanescreen.v1.WatchlistService/"
_AUDIT = "/lanescreen.v1.AuditService/"
_SITE = "/lanescreen.v1.SiteService/"

POLICY: dict[str, Rule] = {
    # Lane terminals screen, and only for their own lanes (checked per frame by the servicer).
    _SCREENING + "Screen": SCREEN,
    _SCREENING + "ScreenFrame": SCREEN,
    # A node's own state (journal backlog, watchlist freshness): nothing secret in it.
    _SCREENING + "GetNodeStatus": ANYONE,
    # Watchlists: officers and supervisors edit; auditors may read what was listed.
    _WATCHLISTS + "GetWatchlist": READ_LISTS,
    _WATCHLISTS + "ListWatchlists": READ_LISTS,
    _WATCHLISTS + "GetPlateEntry": READ_LISTS,
    _WATCHLISTS + "ListPlateEntries": READ_LISTS,
    _WATCHLISTS + "GetSubject": READ_LISTS,
    _WATCHLISTS + "ListSubjects": READ_LISTS,
    _WATCHLISTS + "GetSubjectChips": READ_LISTS,
    _WATCHLISTS + "CreateWatchlist": EDIT_LISTS,
    _WATCHLISTS + "AddPlateEntry": EDIT_LISTS,
    _WATCHLISTS + "UpdatePlateEntry": EDIT_LISTS,
    _WATCHLISTS + "RemovePlateEntry": EDIT_LISTS,
    _WATCHLISTS + "ImportPlateEntries": EDIT_LISTS,
    _WATCHLISTS + "EnrolSubject": EDIT_LISTS,
    _WATCHLISTS + "AddSubjectPhotos": EDIT_LISTS,
    _WATCHLISTS + "UpdateSubject": EDIT_LISTS,
    _WATCHLISTS + "RemoveSubject": EDIT_LISTS,
    # Two-person approval of high-severity listings: supervisors only (and never of their own
    # change, which the store refuses whatever the caller's roles).
    _WATCHLISTS + "ApprovePlateEntry": APPROVE_LISTS,
    _WATCHLISTS + "RejectPlateEntry": APPROVE_LISTS,
    _WATCHLISTS + "ApproveSubject": APPROVE_LISTS,
    _WATCHLISTS + "RejectSubject": APPROVE_LISTS,
    # The hit log: officers work its queue (listing pending hits, their evidence) and dispose
    # of hits; exports and statistics are for auditors and supervisors.
    _AUDIT + "ListHits": REVIEW_HITS,
    _AUDIT + "GetEvidence": REVIEW_HITS,
    _AUDIT + "DisposeHit": DISPOSE,
    _AUDIT + "ExportHits": AUDIT,
    _AUDIT + "GetDispositionStats": AUDIT,
    _AUDIT + "GetHit": REVIEW_HITS,
    _AUDIT + "WatchHits": REVIEW_HITS,
    # The audit trail: for auditors and supervisors, as exports are.
    _AUDIT + "SearchTrail": AUDIT,
    _AUDIT + "ExportTrail": AUDIT,
    _AUDIT + "VerifyTrail": AUDIT,
    # The site's policy: read by whoever reads the lists; changed by supervisors (trailed).
    _SITE + "GetSitePolicy": READ_LISTS,
    _SITE + "SetSitePolicy": SITE_POLICY,
    # The lane registry: likewise (a lane's lists and budget are the site's policy too).
    _SITE + "ListLanes": READ_LISTS,
    _SITE + "PutLane": SITE_POLICY,
    _SITE + "RemoveLane": SITE_POLICY,
    # Who the caller is: how a console checks a token at sign-in.
    _SITE + "GetCaller": ANYONE,
    # Standard services: any authenticated caller.
    "/grpc.health.v1.Health/Check": ANYONE,
    "/grpc.health.v1.Health/List": ANYONE,
    "/grpc.health.v1.Health/Watch": ANYONE,
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": ANYONE,
}


def rule_for(method: str) -> Rule | None:
    """The rule for a full method name (``/package.Service/Method``); None: nobody may call it."""
    return POLICY.get(method)
