"""AuditService: the hit log for auditors, listed, exported and with its evidence."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from ..domain.export import export_hits
from ..store.decisions import DecisionStore, HitFilter
from ..v1 import audit_pb2, audit_pb2_grpc
from .mapping import OUTCOME_FROM_PB, decision_to_pb, from_timestamp
from .watchlists import domain_errors_to_status

EXPORT_CHUNK_BYTES = 64 * 1024


def filter_from_pb(msg: audit_pb2.HitFilter) -> HitFilter:
    return HitFilter(
        since=from_timestamp(msg.since) if msg.HasField("since") else None,
        until=from_timestamp(msg.until) if msg.HasField("until") else None,
        lane_id=msg.lane_id,
        watchlist=msg.watchlist,
        outcome=OUTCOME_FROM_PB.get(msg.outcome),
    )


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    def __init__(self, decisions: DecisionStore) -> None:
        self._decisions = decisions

    @domain_errors_to_status
    def ListHits(
        self, request: audit_pb2.ListHitsRequest, context: grpc.ServicerContext
    ) -> audit_pb2.ListHitsResponse:
        hits, token = self._decisions.list_hits(
            filter_from_pb(request.filter),
            page_size=request.page_size or 100,
            page_token=request.page_token,
        )
        return audit_pb2.ListHitsResponse(
            hits=[decision_to_pb(d) for d in hits], next_page_token=token
        )

    def ExportHits(
        self, request: audit_pb2.ExportHitsRequest, context: grpc.ServicerContext
    ) -> Iterator[audit_pb2.ExportChunk]:
        fmt = "csv" if request.format == audit_pb2.EXPORT_FORMAT_CSV else "jsonl"
        buffer = bytearray()
        for piece in export_hits(self._decisions.iter_hits(filter_from_pb(request.filter)), fmt):
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
        evidence = self._decisions.get_evidence(request.decision_id)
        return audit_pb2.Evidence(
            decision_id=request.decision_id,
            plate_crop_jpeg=evidence.plate_crop_jpeg or b"",
            frame_jpeg=evidence.frame_jpeg or b"",
            face_chip_jpeg=evidence.face_chip_jpeg or b"",
        )
