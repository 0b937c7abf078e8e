"""OpenTelemetry traces of each frame (``server.tracing_endpoint``, OTLP over gRPC; off by
default).

A frame is one trace: a ``screen frame`` span with a child span per stage (queue, decode,
detect or track, read, faces, match, evidence, log), placed at the times the screener measured
(the stages run in that order, so each starts where the one before ended). A ``ScreenFrame``
call's frame span is a child of the call's own span (the gRPC instrumentation's, which carries
a terminal's trace context); the frames of a ``Screen`` stream are traces of their own, linked to
the stream's. Attributes are ids, outcome, reason codes and times: never plate text or face data.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Link, Span, Status, StatusCode

from ..domain.decisions import Decision

SCOPE = "lanescreen.screening"
EXPORT_TIMEOUT_S = 5
"""Longest one batch of spans may take to reach the collector (it is retried within it)."""


def tracer_provider(endpoint: str, sample_ratio: float, node: str) -> TracerProvider:
    """Spans of this node batched to the OTLP collector at ``endpoint`` (``http://`` for
    plaintext, ``https://`` for TLS), ``sample_ratio`` of the traces a terminal did not sample."""
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(
        resource=Resource.create({"service.name": "lanescreen", "service.instance.id": node}),
        sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
    )
    exporter = OTLPSpanExporter(
        endpoint=endpoint, insecure=endpoint.startswith("http://"), timeout=EXPORT_TIMEOUT_S
    )
    provider.add_span_processor(
        BatchSpanProcessor(
            exporter,
            schedule_delay_millis=1000,
            export_timeout_millis=EXPORT_TIMEOUT_S * 1000,
        )
    )
    return provider


@dataclass
class FrameSpan:
    """The span of one frame being screened."""

    span: Span
    tracer: trace.Tracer
    start_ns: int
    """Wall-clock nanoseconds at which the frame was received (its first stage starts)."""

    def decided(self, decision: Decision) -> None:
        """The decision's ids and outcome as attributes, and a span per stage."""
        self.span.set_attributes(
            {
                "lanescreen.passage_id": decision.passage_id,
                "lanescreen.decision_id": decision.decision_id,
                "lanescreen.outcome": decision.outcome.value,
                "lanescreen.reasons": [r.code.value for r in decision.reasons],
                "lanescreen.budget_ms": decision.budget_ms,
                "lanescreen.budget_met": decision.budget_met,
                "lanescreen.total_ms": decision.total_ms,
            }
        )
        start = self.start_ns
        parent = trace.set_span_in_context(self.span)
        for timing in decision.timings:
            end = start + round(timing.ms * 1e6)
            stage = self.tracer.start_span(f"stage {timing.stage}", parent, start_time=start)
            stage.set_attribute("lanescreen.stage", timing.stage)
            stage.end(end_time=end)
            start = end

    def refused(self, code: str) -> None:
        """The status only: a refusal's message may name the caller and its lanes."""
        self.span.set_attribute("lanescreen.refused", code)
        self.span.set_status(Status(StatusCode.ERROR, code))


class FrameTracer:
    """Starts each frame's span with the node's tracer provider."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer(SCOPE)

    @contextmanager
    def frame(self, lane_id: str, frame_id: str, *, own_trace: bool) -> Iterator[FrameSpan]:
        """The span of a frame received now; ``own_trace``: a new trace linked to the current
        span (a stream's frame), else a child of it."""
        start_ns = time.time_ns()
        current = trace.get_current_span()
        links = [Link(current.get_span_context())] if own_trace and current.is_recording() else []
        parent = otel_context.Context() if own_trace else None
        attributes = {"lanescreen.lane_id": lane_id, "lanescreen.frame_id": frame_id}
        with self._tracer.start_as_current_span(
            "screen frame",
            context=parent,
            links=links,
            attributes=attributes,
            start_time=start_ns,
            record_exception=False,
        ) as span:
            yield FrameSpan(span, self._tracer, start_ns)

    def close(self) -> None:
        """Send what is batched, then stop."""
        self.provider.shutdown()
