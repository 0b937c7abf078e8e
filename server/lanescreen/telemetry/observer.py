"""One frame as metrics and traces see it: what the screening edge reports, whichever is on.

Observing never fails a frame: an error in a metric or a span is logged and the answer goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..domain.decisions import Decision
from .logs import frame_ids
from .metrics import Metrics
from .tracing import FrameSpan, FrameTracer

log = logging.getLogger(__name__)


def _safely(step: Callable[[], None], what: str) -> None:
    try:
        step()
    except Exception:
        log.exception("telemetry: could not record %s", what)


@dataclass
class ObservedFrame:
    """A frame being screened: its span (tracing on) and the node's metrics (metrics on)."""

    lane_id: str
    metrics: Metrics | None
    span: FrameSpan | None

    def decided(self, decision: Decision) -> None:
        if (metrics := self.metrics) is not None:
            _safely(lambda: metrics.decided(decision), "a decision's metrics")
        if (span := self.span) is not None:
            _safely(lambda: span.decided(decision), "a decision's spans")

    def refused(self, code: str) -> None:
        """Answered with status ``code`` (a gRPC status name) instead of a decision."""
        if (metrics := self.metrics) is not None:
            _safely(lambda: metrics.refused(self.lane_id, code), "a refusal's metrics")
        if (span := self.span) is not None:
            _safely(lambda: span.refused(code), "a refusal's span")


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

    def close(self, timeout_s: float) -> None:
        """Send the spans batched, waiting at most ``timeout_s`` (a collector may be down)."""
        if self.tracer is None:
            return
        closing = threading.Thread(target=self.tracer.close, name="tracing-close", daemon=True)
        closing.start()
        closing.join(timeout_s)
        if closing.is_alive():
            log.warning("telemetry: spans not yet sent after %.1f s were dropped", timeout_s)
