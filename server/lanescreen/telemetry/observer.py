"""One frame as metrics and traces see it: what the screening edge reports, whichever is on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..domain.decisions import Decision
from .logs import frame_ids
from .metrics import Metrics
from .tracing import FrameSpan, FrameTracer


@dataclass
class ObservedFrame:
    """A frame being screened: its span (tracing on) and the node's metrics (metrics on)."""

    lane_id: str
    metrics: Metrics | None
    span: FrameSpan | None

    def decided(self, decision: Decision) -> None:
        if self.metrics is not None:
            self.metrics.decided(decision)
        if self.span is not None:
            self.span.decided(decision)

    def refused(self, code: str, message: str) -> None:
        """Answered with status ``code`` (a gRPC status name) and ``message`` instead."""
        if self.metrics is not None:
            self.metrics.refused(self.lane_id, code)
        if self.span is not None:
            self.span.refused(code, message)


@dataclass
class Telemetry:
    """The node's metrics and tracer, each None when off (the defaults)."""

    metrics: Metrics | None = None
    tracer: FrameTracer | None = None

    @contextmanager
    def frame(self, lane_id: str, frame_id: str, *, own_trace: bool) -> Iterator[ObservedFrame]:
        """Observe one frame received now (``own_trace``: a stream's frame, a trace of its own)."""
        with frame_ids(lane_id, frame_id):
            if self.tracer is None:
                yield ObservedFrame(lane_id, self.metrics, None)
                return
            with self.tracer.frame(lane_id, frame_id, own_trace=own_trace) as span:
                yield ObservedFrame(lane_id, self.metrics, span)

    def close(self) -> None:
        if self.tracer is not None:
            self.tracer.close()
