"""AuditService: the hit log for auditors and officers: listed, exported, with its evidence,
and disposed of (the officer queue)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import grpc
from sqlalchemy.exc import SQLAlchemyError

from ..domain.decisions import Decision
from ..domain.dispositions import Disposition
from ..domain.export import export_hits, export_trail
from ..errors import InvalidRequestError, PreconditionError
from ..store.decisions import DecisionStore, HitFilter
from ..store.dispositions import DispositionStore
from ..store.trail import TrailFilter, TrailLog, TrailRecord
from ..v1 import audit_pb2, audit_pb2_grpc, screening_pb2
from .errors import errors_to_status
from .mapping import OUTCOME_FROM_PB, decision_to_pb, from_timestamp, timestamp
from .watchlists import actor_of

log = logging.getLogger(__name__)

EXPORT_CHUNK_BYTES = 64 * 1024


def filter_from_pb(msg: audit_pb2.HitFilter) -> HitFilter:
    return HitFilter(
        since=from_timestamp(msg.since) if msg.HasField("since") else None,
        until=from_timestamp(msg.until) if msg.HasField("until") else None,
        lane_id=msg.lane_id,
        watchlist=msg.watchlist,
        outcome=OUTCOME_FROM_PB.get(msg.outcome),
        disposition=msg.disposition.strip().lower(),
    )


def disposition_to_pb(d: Disposition) -> audit_pb2.DispositionRecord:
    msg = audit_pb2.DispositionRecord(
        decision_id=d.decision_id, verdict=d.verdict.value, code=d.code, note=d.note, actor=d.actor
    )
    msg.at.CopyFrom(timestamp(d.at))
    return msg


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    WATCH_POLL_S = 0.25
    """How often a live queue looks for new alerts: well inside the second officers expect."""
    WATCH_LOOKBACK_S = 300.0
    """How far back each look reaches: an alert decided that long before a node ships it (a
    database outage) reaches the queue on its next load, not live."""
    MAX_REPLAY_S = 600

    def __init__(
        self,
        decisions: DecisionStore,
        dispositions: DispositionStore,
        caught_up: Callable[[], object] = lambda: None,
        closing: threading.Event | None = None,
        trail: TrailLog | None = None,
    ) -> None:
        self._decisions = decisions
        self._dispositions = dispositions
        self._trail = trail
        self._caught_up = caught_up
        """Called before the hit log is read: waits (bounded) until this node's journal has
        shipped every decision answered so far, so an officer here sees them all."""
        self._closing = closing or threading.Event()
        """Set when the server stops: live queues end."""

    @errors_to_status
    def ListHits(
        self, request: audit_pb2.ListHitsRequest, context: grpc.ServicerContext
    ) -> audit_pb2.ListHitsResponse:
        self._caught_up()
        hit_filter = filter_from_pb(request.filter)
        hits, token = self._decisions.list_hits(
            hit_filter, page_size=request.page_size or 100, page_token=request.page_token
        )
        self._decisions.record_access(
            "audit.search", actor_of(context), hit_filter, {"returned": len(hits)}
        )
        latest = self._dispositions.latest([d.decision_id for d in hits])
        return audit_pb2.ListHitsResponse(
            hits=[decision_to_pb(d) for d in hits],
            next_page_token=token,
            dispositions=[
                disposition_to_pb(latest[d.decision_id]) for d in hits if d.decision_id in latest
            ],
        )

    @errors_to_status
    def ExportHits(
        self, request: audit_pb2.ExportHitsRequest, context: grpc.ServicerContext
    ) -> Iterator[audit_pb2.ExportChunk]:
        fmt = "csv" if request.format == audit_pb2.EXPORT_FORMAT_CSV else "jsonl"
        reason = request.reason.strip()
        if not reason:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                "reason: say why the hit log is exported (it is kept in the audit trail)",
            )
        hit_filter = filter_from_pb(request.filter)
        self._caught_up()
        self._decisions.record_access(
            "audit.export", actor_of(context), hit_filter, {"format": fmt, "reason": reason}
        )
        buffer = bytearray()
        for piece in export_hits(self._decisions.iter_hits(hit_filter), fmt):
            buffer.extend(piece)
            if len(buffer) >= EXPORT_CHUNK_BYTES:
                yield audit_pb2.ExportChunk(data=bytes(buffer))
                buffer.clear()
        if buffer:
            yield audit_pb2.ExportChunk(data=bytes(buffer))

    @errors_to_status
    def GetEvidence(
        self, request: audit_pb2.GetEvidenceRequest, context: grpc.ServicerContext
    ) -> audit_pb2.Evidence:
        self._caught_up()
        evidence = self._decisions.get_evidence(request.decision_id)
        self._decisions.record_access(
            "audit.evidence", actor_of(context), HitFilter(), {"decision_id": request.decision_id}
        )
        return audit_pb2.Evidence(
            decision_id=request.decision_id,
            plate_crop_jpeg=evidence.plate_crop_jpeg or b"",
            frame_jpeg=evidence.frame_jpeg or b"",
            face_chip_jpeg=evidence.face_chip_jpeg or b"",
        )

    @errors_to_status
    def DisposeHit(
        self, request: audit_pb2.DisposeHitRequest, context: grpc.ServicerContext
    ) -> audit_pb2.DispositionRecord:
        self._caught_up()
        disposition = self._dispositions.dispose(
            request.decision_id, request.verdict, request.code, request.note, actor_of(context)
        )
        return disposition_to_pb(disposition)

    @errors_to_status
    def GetDispositionStats(
        self, request: audit_pb2.HitFilter, context: grpc.ServicerContext
    ) -> audit_pb2.DispositionStats:
        self._caught_up()
        stats = self._dispositions.stats(filter_from_pb(request))
        reply = audit_pb2.DispositionStats()
        for outcome, counts in sorted(stats.by_outcome.items()):
            reply.by_outcome.add(
                outcome=outcome,
                pending=counts["pending"],
                confirmed=counts["confirmed"],
                dismissed=counts["dismissed"],
            )
        for code, n in stats.by_code.items():
            reply.by_code[code] = n
        return reply

    @errors_to_status
    def GetHit(
        self, request: audit_pb2.GetHitRequest, context: grpc.ServicerContext
    ) -> audit_pb2.HitDetail:
        self._caught_up()
        decision = self._decisions.get_hit(request.decision_id)
        self._decisions.record_access(
            "audit.view", actor_of(context), HitFilter(), {"decision_id": decision.decision_id}
        )
        return audit_pb2.HitDetail(
            decision=decision_to_pb(decision),
            dispositions=[
                disposition_to_pb(d) for d in self._dispositions.history(decision.decision_id)
            ],
        )

    @errors_to_status
    def WatchHits(
        self, request: audit_pb2.WatchHitsRequest, context: grpc.ServicerContext
    ) -> Iterator[screening_pb2.Decision]:
        """Looks for alerts every :attr:`WATCH_POLL_S` in the site's hit log, where every node
        ships its own, and sends each one not sent yet (once, when it first appears)."""
        hit_filter = replace(filter_from_pb(request.filter), since=None, until=None)
        replay = timedelta(seconds=min(max(request.replay_s, 0), self.MAX_REPLAY_S))
        self._decisions.record_access(
            "audit.watch", actor_of(context), hit_filter, {"replay_s": replay.seconds}
        )
        sent: dict[str, datetime] = {}
        since = datetime.now(UTC) - replay
        while context.is_active() and not self._closing.is_set():
            now = datetime.now(UTC)
            for decision in self._new_hits(hit_filter, since, sent):
                yield decision_to_pb(decision)
            since = now - timedelta(seconds=self.WATCH_LOOKBACK_S)
            for decision_id in [k for k, at in sent.items() if at < since]:
                del sent[decision_id]
            self._closing.wait(self.WATCH_POLL_S)

    def _new_hits(
        self, hit_filter: HitFilter, since: datetime, sent: dict[str, datetime]
    ) -> list[Decision]:
        try:
            found = list(self._decisions.iter_hits(replace(hit_filter, since=since)))
        except SQLAlchemyError:
            log.warning("live queue: the hit log cannot be read now; trying again", exc_info=True)
            return []
        new = [d for d in found if d.decision_id not in sent]
        for decision in new:
            sent[decision.decision_id] = decision.decided_at
        return new

    def _trail_log(self) -> TrailLog:
        if self._trail is None:
            raise PreconditionError("this server offers no audit trail reader")
        return self._trail

    @errors_to_status
    def SearchTrail(
        self, request: audit_pb2.SearchTrailRequest, context: grpc.ServicerContext
    ) -> audit_pb2.SearchTrailResponse:
        trail = self._trail_log()
        trail_filter = trail_filter_from_pb(request.filter)
        records, token = trail.search(trail_filter, request.page_size, request.page_token)
        trail.record_access(
            "audit.trail_search", actor_of(context), trail_filter, returned=len(records)
        )
        return audit_pb2.SearchTrailResponse(
            records=[trail_entry_to_pb(r) for r in records], next_page_token=token
        )

    @errors_to_status
    def ExportTrail(
        self, request: audit_pb2.ExportTrailRequest, context: grpc.ServicerContext
    ) -> Iterator[audit_pb2.ExportChunk]:
        trail = self._trail_log()
        fmt = "csv" if request.format == audit_pb2.EXPORT_FORMAT_CSV else "jsonl"
        reason = request.reason.strip()
        if not reason:
            raise InvalidRequestError(
                "reason: say why the audit trail is exported (it is kept in the trail)"
            )
        trail_filter = trail_filter_from_pb(request.filter)
        trail.record_access(
            "audit.trail_export", actor_of(context), trail_filter, format=fmt, reason=reason
        )
        buffer = bytearray()
        for piece in export_trail((r.as_json() for r in trail.iter_records(trail_filter)), fmt):
            buffer.extend(piece)
            if len(buffer) >= EXPORT_CHUNK_BYTES:
                yield audit_pb2.ExportChunk(data=bytes(buffer))
                buffer.clear()
        if buffer:
            yield audit_pb2.ExportChunk(data=bytes(buffer))

    @errors_to_status
    def VerifyTrail(
        self, request: audit_pb2.VerifyTrailRequest, context: grpc.ServicerContext
    ) -> audit_pb2.TrailVerification:
        trail = self._trail_log()
        found = trail.verify()
        chains = found.chains
        trail.record_access(
            "audit.trail_verify", actor_of(context), TrailFilter(), ok=found.ok,
            records=chains.records,
        )  # fmt: skip
        return audit_pb2.TrailVerification(
            ok=found.ok,
            records=chains.records,
            chain=chains.chain,
            broken_seq=chains.broken_seq or 0,
            problem=chains.problem or found.problem,
            head_hash=chains.head_hash,
            decisions_checked=found.decisions_checked,
            keyed=found.keyed,
        )


def trail_filter_from_pb(msg: audit_pb2.TrailFilter) -> TrailFilter:
    return TrailFilter(
        since=from_timestamp(msg.since) if msg.HasField("since") else None,
        until=from_timestamp(msg.until) if msg.HasField("until") else None,
        actor=msg.actor.strip(),
        action=msg.action.strip(),
        target=msg.target.strip(),
    )


def trail_entry_to_pb(record: TrailRecord) -> audit_pb2.TrailEntry:
    entry = audit_pb2.TrailEntry(
        chain=record.chain,
        seq=record.seq,
        actor=record.actor,
        action=record.action,
        target=record.target,
        detail_json=json.dumps(record.detail, ensure_ascii=False, sort_keys=True, default=str),
        hash=record.hash,
    )
    entry.at.CopyFrom(timestamp(record.at))
    return entry
