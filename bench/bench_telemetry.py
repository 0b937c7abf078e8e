"""What metrics and tracing cost a frame: the screening edge's observation of one decision,
off (the default), with metrics, and with metrics and a trace, one core.

    .venv/bin/python bench/bench_telemetry.py [--frames N] [--json]

The decision is a HIT with three reasons and the seven stages a plate frame reports; the trace's
spans go through the batch processor the service uses to an in-memory exporter (export runs in
the processor's own thread: what the answer path pays is recording and queueing).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from benchutil import percentiles, pin_one_core
from lanescreen.domain.decisions import (
    CameraRole,
    Decision,
    Outcome,
    Reason,
    ReasonCode,
    StageTiming,
)
from lanescreen.telemetry.metrics import Metrics, NodeGauges
from lanescreen.telemetry.observer import Telemetry
from lanescreen.telemetry.tracing import FrameTracer
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

STAGES = ("queue", "decode", "detect", "read", "match", "evidence", "log")


def _decision(n: int) -> Decision:
    now = datetime.now(UTC)
    return Decision(
        decision_id=f"d-{n}",
        lane_id="lane-1",
        frame_id=f"f-{n}",
        camera=CameraRole.PLATE,
        outcome=Outcome.HIT,
        reasons=(
            Reason(ReasonCode.DENY_LIST_MATCH, "listed"),
            Reason(ReasonCode.DENY_LIST_MATCH, "listed twice"),
            Reason(ReasonCode.FRAME_REPAIRED, "no end marker", "decode"),
        ),
        plates=(),
        matches=(),
        timings=tuple(StageTiming(stage, 3.0 + i) for i, stage in enumerate(STAGES)),
        budget_ms=250,
        budget_met=True,
        total_ms=48.0,
        captured_at=now,
        decided_at=now,
        passage_id=f"p-{n}",
    )


def _gauges() -> NodeGauges:
    return NodeGauges(0, 0, 0.0, 0.1, 1.0, 0.0, True)


def _time(telemetry: Telemetry, frames: int) -> list[float]:
    ms = []
    for n in range(frames):
        decision = _decision(n)
        start = time.perf_counter()
        with telemetry.frame("lane-1", decision.frame_id, own_trace=True) as frame:
            frame.decided(decision)
        ms.append((time.perf_counter() - start) * 1000)
    return ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--frames", type=int, default=5000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    pinning = pin_one_core()

    def metrics() -> Metrics:
        return Metrics(_gauges, lambda: {"lane-1"})

    def traced() -> FrameTracer:
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(InMemorySpanExporter()))
        return FrameTracer(provider)

    setups: dict[str, Callable[[], Telemetry]] = {
        "off": Telemetry,
        "metrics": lambda: Telemetry(metrics()),
        "metrics + tracing": lambda: Telemetry(metrics(), traced()),
    }
    result: dict[str, Any] = {"frames": args.frames, "cpu": pinning, "ms_per_frame": {}}
    for name, setup in setups.items():
        telemetry = setup()
        _time(telemetry, 200)  # warm
        result["ms_per_frame"][name] = percentiles(_time(telemetry, args.frames), 4)
        telemetry.close(timeout_s=5.0)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"observing one decided frame, {args.frames} frames, {pinning}")
    print(f"{'telemetry':<20} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for name, stats in result["ms_per_frame"].items():
        print(f"{name:<20} {stats['p50']:>8.4f} {stats['p95']:>8.4f} {stats['mean']:>8.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
