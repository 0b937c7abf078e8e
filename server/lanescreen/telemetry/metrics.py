"""Prometheus metrics of one node, with the official client, served on their own port
(``server.metrics_listen``; off by default).

Counters and histograms move as frames are answered (:meth:`Metrics.decided`,
:meth:`Metrics.refused`) and RPCs end (:meth:`Metrics.rpc`); the node's backlogs and ages are
read at each scrape (:class:`NodeCollector`), so they are never stale. Labels are lanes,
outcomes, reason codes, stages, methods and status codes, all bounded: a lane id no lane of the
site has is counted as ``unknown`` (terminals choose the ids they send), and no plate text, face
data or frame id ever becomes a label.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..config import ip_and_port
from ..domain.decisions import Decision

SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.4, 0.6, 1.0, 2.5)
"""Histogram buckets: a stage's milliseconds up to a lane budget's several hundred."""
UNKNOWN_LANE = "unknown"


@dataclass(frozen=True)
class NodeGauges:
    """What a scrape reads from the node as it is now."""

    journal_decisions: int
    journal_bytes: int
    journal_oldest_age_s: float
    watchlists_confirmed_age_s: float
    max_watchlist_staleness_s: float
    clock_offset_s: float
    serving: bool
    face_worker_restarts: int = 0
    watchlist_versions: Mapping[str, int] = field(default_factory=dict)


class NodeCollector(Collector):
    """The node's gauges, read when Prometheus scrapes."""

    def __init__(self, read: Callable[[], NodeGauges]) -> None:
        self._read = read

    def collect(self) -> Iterable[Metric]:
        now = self._read()
        for name, text, value in (
            ("journal_decisions", "Decisions answered and not yet in the database.", now.journal_decisions),
            ("journal_bytes", "What the journal's decisions and images take.", now.journal_bytes),
            ("journal_oldest_age_seconds", "How long the oldest journaled decision has waited (0: none).", now.journal_oldest_age_s),
            ("watchlists_confirmed_age_seconds", "How long ago this node last confirmed its watchlists are the database's.", now.watchlists_confirmed_age_s),
            ("watchlists_max_staleness_seconds", "Above this confirmed age frames are REVIEW watchlist_stale.", now.max_watchlist_staleness_s),
            ("clock_offset_seconds", "This node's clock minus the database server's.", now.clock_offset_s),
            ("serving", "1 while the health service says SERVING for screening.", float(now.serving)),
        ):  # fmt: skip
            yield GaugeMetricFamily(f"lanescreen_{name}", text, value=value)
        restarts = CounterMetricFamily(
            "lanescreen_face_worker_restarts",
            "Times a dead face worker made the pool replace its processes.",
            value=now.face_worker_restarts,
        )
        yield restarts
        versions = GaugeMetricFamily(
            "lanescreen_watchlist_version",
            "The version of each watchlist this node matches against.",
            labels=["watchlist"],
        )
        for name, version in sorted(now.watchlist_versions.items()):
            versions.add_metric([name], version)
        yield versions


class Metrics:
    """One node's metrics in a registry of their own (tests run several nodes in a process)."""

    def __init__(self, node: Callable[[], NodeGauges], lanes: Callable[[], Collection[str]]):
        self.registry = CollectorRegistry()
        self._lanes = lanes

        def counter(name: str, text: str, labels: list[str]) -> Counter:
            return Counter(f"lanescreen_{name}", text, labels, registry=self.registry)

        def histogram(name: str, text: str, labels: list[str]) -> Histogram:
            return Histogram(
                f"lanescreen_{name}", text, labels, buckets=SECONDS, registry=self.registry
            )

        self._decisions = counter("decisions", "Frames decided, by outcome.", ["lane", "outcome"])
        self._reasons = counter(
            "decision_reasons", "Reasons given with decisions, by code.", ["lane", "reason"]
        )
        self._stages = histogram(
            "stage_seconds", "Time a decided frame spent in each stage.", ["lane", "stage"]
        )
        self._frames = histogram(
            "frame_seconds", "Time from receipt to answer of a decided frame.", ["lane"]
        )
        self._misses = counter(
            "budget_misses", "Decisions that left after their lane's budget.", ["lane"]
        )
        self._refused = counter(
            "frames_refused",
            "Frames answered with a status instead of a decision.",
            ["lane", "code"],
        )
        self._rpcs = counter("grpc_server_handled", "RPCs ended, by status.", ["method", "code"])
        self._rpc_seconds = histogram(
            "grpc_server_handling_seconds", "Time an RPC took (a stream: its life).", ["method"]
        )
        self._up = Gauge("lanescreen_up", "1 while the node runs.", registry=self.registry)
        self._up.set(1)
        self.registry.register(NodeCollector(node))

    def _lane(self, lane_id: str) -> str:
        return lane_id if lane_id in self._lanes() else UNKNOWN_LANE

    def decided(self, decision: Decision) -> None:
        lane = self._lane(decision.lane_id)
        self._decisions.labels(lane, decision.outcome.value).inc()
        for reason in decision.reasons:
            self._reasons.labels(lane, str(reason.code)).inc()
        for timing in decision.timings:
            self._stages.labels(lane, timing.stage).observe(timing.ms / 1000)
        self._frames.labels(lane).observe(decision.total_ms / 1000)
        if not decision.budget_met:
            self._misses.labels(lane).inc()

    def refused(self, lane_id: str, code: str) -> None:
        """A frame answered with status ``code`` (a gRPC status name) instead of a decision."""
        self._refused.labels(self._lane(lane_id), code).inc()

    def rpc(self, method: str, code: str, seconds: float) -> None:
        self._rpcs.labels(method, code).inc()
        self._rpc_seconds.labels(method).observe(seconds)


@dataclass
class MetricsEndpoint:
    """The HTTP server of ``/metrics``; ``close()`` stops it."""

    port: int
    _server: Any

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def serve_metrics(metrics: Metrics, listen: str) -> MetricsEndpoint:
    """Serve ``metrics`` at ``http://listen/metrics`` in a daemon thread."""
    host, port = ip_and_port(listen, "server.metrics_listen")
    server, _thread = start_http_server(port, addr=host, registry=metrics.registry)
    return MetricsEndpoint(server.server_port, server)
