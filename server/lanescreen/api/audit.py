"""AuditService: the hit log for auditors and officers: listed, exported, with its evidence,
and disposed of (the officer queue)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc

from ..domain.dispositions import Disposition
from ..domain.export import export_hits
from ..store.decisions import DecisionStore, HitFilter
from ..store.dispositions import DispositionStore
from ..v1 import audit_pb2, audit_pb2_grpc
from .mapping import OUTCOME_FROM_PB, decision_to_pb, from_timestamp, timestamp
from .watchlists import actor_of, domain_errors_to_status

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
    def __init__(
        self,
        decisions: DecisionStore,
        dispositions: DispositionStore,
        caught_up: Callable[[], object] = lambda: None,
    ) -> None:
        self._decisions = decisions
        self._dispositions = dispositions
        self._caught_up = caught_up
        """Called before the hit log is read: waits (bounded) until this node's journal has
        shipped every decision answered so far, so an officer here sees them all."""

    @domain_errors_to_status
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

    @domain_errors_to_status
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

    @domain_errors_to_status
    def DisposeHit(
        self, request: audit_pb2.DisposeHitRequest, context: grpc.ServicerContext
    ) -> audit_pb2.DispositionRecord:
        self._caught_up()
        disposition = self._dispositions.dispose(
            request.decision_id, request.verdict, request.code, request.note, actor_of(context)
        )
        return disposition_to_pb(disposition)

    @domain_errors_to_status
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
