"""What operators see, from a real node on loopback: Prometheus metrics scraped over HTTP after
real frames over gRPC, a trace per frame exported over OTLP to an in-process collector, JSON
logs; and no plate text in any of them."""

from __future__ import annotations

import io
import json
import logging
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from lanescreen.api.auth import ACTOR_METADATA_KEY
from lanescreen.api.server import LanescreenServer
from lanescreen.config import (
    Config,
    ConfigError,
    LaneConfig,
    ServerConfig,
    StorageConfig,
    VisionConfig,
    load_config,
)
from lanescreen.telemetry.logs import TraceIds, json_formatter
from lanescreen.v1 import (
    common_pb2,
    screening_pb2,
    screening_pb2_grpc,
    watchlist_pb2,
    watchlist_pb2_grpc,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from tests.support import EU_PHOTOS, plate_labels

pytestmark = pytest.mark.slow

LISTED, UNLISTED = "eu7.jpg", "eu1.jpg"
OFFICER = ((ACTOR_METADATA_KEY, "officer.jones"),)
SCREEN_FRAME = "/lanescreen.v1.ScreeningService/ScreenFrame"


@dataclass
class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """An OTLP trace collector: keeps every span it is sent."""

    spans: list[Any] = field(default_factory=list)

    def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                self.spans.extend(scope.spans)
        return trace_service_pb2.ExportTraceServiceResponse()


@dataclass
class Node:
    server: LanescreenServer
    screening: screening_pb2_grpc.ScreeningServiceStub
    watchlists: watchlist_pb2_grpc.WatchlistServiceStub
    collector: Collector
    logs: io.StringIO

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        body = self.metrics_text()
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body)
            for s in family.samples
        }

    def metrics_text(self) -> str:
        url = f"http://127.0.0.1:{self.server.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as reply:
            return str(reply.read().decode())


@pytest.fixture(scope="module")
def node(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    collector = Collector()
    otlp = grpc.server(ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, otlp)
    otlp_port = otlp.add_insecure_port("127.0.0.1:0")
    otlp.start()
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    handler.setFormatter(json_formatter())
    handler.addFilter(TraceIds())
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    config = Config(
        server=ServerConfig(
            listen="127.0.0.1:0",
            insecure_dev=True,
            metrics_listen="127.0.0.1:0",
            tracing_endpoint=f"http://127.0.0.1:{otlp_port}",
            log_format="json",
        ),
        storage=StorageConfig(data_dir=tmp_path_factory.mktemp("data")),
        vision=VisionConfig(model_dir=model_dir, auto_fetch=False),
        lanes=[LaneConfig(id="lane-1", budget_ms=3000), LaneConfig(id="lane-2", budget_ms=3000)],
    )
    server = LanescreenServer(config)
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Node(
            server,
            screening_pb2_grpc.ScreeningServiceStub(channel),
            watchlist_pb2_grpc.WatchlistServiceStub(channel),
            collector,
            logs,
        )
    finally:
        channel.close()
        server.stop(grace=1)
        otlp.stop(0)
        root.removeHandler(handler)
        root.setLevel(level)


def _frame(photo: str, lane: str = "lane-1", frame_id: str = "") -> screening_pb2.Frame:
    return screening_pb2.Frame(
        lane_id=lane,
        camera=common_pb2.CAMERA_ROLE_PLATE,
        frame_id=frame_id or photo,
        passage_id=f"passage-{frame_id or photo}",
        image=(EU_PHOTOS / photo).read_bytes(),
    )


@pytest.fixture(scope="module")
def screened(node: Node) -> dict[str, Any]:
    """A HIT, a CLEAR, a bad frame and an unknown lane by ScreenFrame, then a stream of two."""
    plate = plate_labels("openalpr_eu_dev")[LISTED]
    node.watchlists.CreateWatchlist(
        watchlist_pb2.CreateWatchlistRequest(name="stolen", kind=common_pb2.LIST_KIND_DENY),
        metadata=OFFICER,
    )
    entry = watchlist_pb2.PlateEntry(plate=plate, category="stolen", reason="reported stolen")
    node.watchlists.AddPlateEntry(
        watchlist_pb2.AddPlateEntryRequest(watchlist="stolen", entry=entry), metadata=OFFICER
    )
    time.sleep(0.5)  # the node confirms the edit
    hit = node.screening.ScreenFrame(_frame(LISTED, frame_id="f-hit"))
    clear = node.screening.ScreenFrame(_frame(UNLISTED, frame_id="f-clear"))
    codes = []
    for bad in (
        screening_pb2.Frame(lane_id="lane-1", frame_id="f-bad", image=b"not an image"),
        screening_pb2.Frame(lane_id="gate-99", frame_id="f-lost", image=b"x"),
    ):
        with pytest.raises(grpc.RpcError) as info:
            node.screening.ScreenFrame(bad)
        codes.append(info.value.code())
    stream = list(
        node.screening.Screen(
            iter([_frame(LISTED, "lane-2", "s-1"), _frame(UNLISTED, "lane-2", "s-2")])
        )
    )
    return {"plate": plate, "hit": hit, "clear": clear, "codes": codes, "stream": stream}


def _value(metrics: dict[Any, float], name: str, **labels: str) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_decisions_reasons_stages_refusals_and_rpcs(
    node: Node, screened: dict[str, Any]
) -> None:
    hit, clear = screened["hit"], screened["clear"]
    assert common_pb2.Outcome.Name(hit.outcome) == "OUTCOME_HIT"
    assert common_pb2.Outcome.Name(clear.outcome) == "OUTCOME_CLEAR"
    assert screened["codes"] == [grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND]
    m = node.metrics()
    assert _value(m, "lanescreen_decisions_total", lane="lane-1", outcome="HIT") == 1
    assert _value(m, "lanescreen_decisions_total", lane="lane-1", outcome="CLEAR") == 1
    assert _value(m, "lanescreen_decisions_total", lane="lane-2", outcome="HIT") == 1
    assert (
        _value(m, "lanescreen_decision_reasons_total", lane="lane-1", reason="deny_list_match") == 1
    )
    # every decided frame went through decode and read, and each stage's time is in its histogram
    for stage in ("decode", "read", "match", "log"):
        assert _value(m, "lanescreen_stage_seconds_count", lane="lane-1", stage=stage) == 2
    total = _value(m, "lanescreen_frame_seconds_sum", lane="lane-1")
    assert 0 < total == pytest.approx((hit.total_ms + clear.total_ms) / 1000, rel=1e-3)
    assert _value(m, "lanescreen_budget_misses_total", lane="lane-1") == 0
    # refusals by status; a lane the site does not have is "unknown", never its id
    assert _value(m, "lanescreen_frames_refused_total", lane="lane-1", code="INVALID_ARGUMENT") == 1
    assert _value(m, "lanescreen_frames_refused_total", lane="unknown", code="NOT_FOUND") == 1
    assert not any("gate-99" in str(labels) for _, labels in m)
    assert _value(m, "lanescreen_grpc_server_handled_total", method=SCREEN_FRAME, code="OK") == 2
    assert (
        _value(m, "lanescreen_grpc_server_handled_total", method=SCREEN_FRAME, code="NOT_FOUND")
        == 1
    )
    stream = "/lanescreen.v1.ScreeningService/Screen"
    assert _value(m, "lanescreen_grpc_server_handled_total", method=stream, code="OK") == 1
    # the node's state, read at the scrape
    assert _value(m, "lanescreen_serving") == 1
    assert 0 <= _value(m, "lanescreen_watchlists_confirmed_age_seconds") < 1
    assert _value(m, "lanescreen_watchlist_version", watchlist="stolen") >= 1
    assert ("lanescreen_journal_decisions", ()) in m
    assert _value(m, "lanescreen_face_worker_restarts_total") == 0
    # and the counters move with the next frame
    node.screening.ScreenFrame(_frame(UNLISTED, frame_id="f-again"))
    after = node.metrics()
    assert _value(after, "lanescreen_decisions_total", lane="lane-1", outcome="CLEAR") == 2
    assert _value(after, "lanescreen_stage_seconds_count", lane="lane-1", stage="decode") == 3


def _spans(node: Node, count: int) -> list[Any]:
    """The collector's spans, once ``count`` frame spans arrived (the node batches each second)."""
    for _ in range(100):
        frames = [s for s in node.collector.spans if s.name == "screen frame"]
        if len(frames) >= count:
            return list(node.collector.spans)
        time.sleep(0.1)
    raise AssertionError(f"{len(frames)} frame spans arrived, expected {count}")


def _attributes(span: Any) -> dict[str, Any]:
    values = {}
    for a in span.attributes:
        kind = a.value.WhichOneof("value")
        value = getattr(a.value, kind)
        values[a.key] = (
            [getattr(v, v.WhichOneof("value")) for v in value.values]
            if kind == "array_value"
            else value
        )
    return values


def test_each_frame_is_a_trace_with_a_span_per_stage(node: Node, screened: dict[str, Any]) -> None:
    spans = _spans(node, 6)
    frames = {_attributes(s)["lanescreen.frame_id"]: s for s in spans if s.name == "screen frame"}
    hit = frames["f-hit"]
    attributes = _attributes(hit)
    assert attributes["lanescreen.lane_id"] == "lane-1"
    assert attributes["lanescreen.passage_id"] == "passage-f-hit"
    assert attributes["lanescreen.outcome"] == "HIT"
    assert "deny_list_match" in attributes["lanescreen.reasons"]
    stages = [s for s in spans if s.parent_span_id == hit.span_id]
    names = [
        _attributes(s)["lanescreen.stage"]
        for s in sorted(stages, key=lambda s: s.start_time_unix_nano)
    ]
    assert names[0] == "queue" and {"decode", "read", "match", "log"} <= set(names)
    assert all(s.trace_id == hit.trace_id for s in stages)
    assert hit.start_time_unix_nano <= min(s.start_time_unix_nano for s in stages)
    # the ScreenFrame call's own span (gRPC instrumentation) is the frame span's parent
    rpc = next(s for s in spans if s.span_id == hit.parent_span_id)
    assert rpc.name == SCREEN_FRAME
    # a refused frame's span says why
    bad = _attributes(frames["f-bad"])
    assert bad["lanescreen.refused"] == "INVALID_ARGUMENT"
    # each frame of a stream is a trace of its own
    assert frames["s-1"].trace_id != frames["s-2"].trace_id
    assert len(frames["s-1"].links) == 1


def test_no_plate_text_in_metrics_traces_or_info_logs(node: Node, screened: dict[str, Any]) -> None:
    texts = {screened["plate"], screened["clear"].plates[0].text}
    spans = _spans(node, 6)
    exported = json.dumps([_attributes(s) for s in spans]) + " ".join(s.name for s in spans)
    logs = node.logs.getvalue()
    for text in texts:
        assert text not in node.metrics_text()
        assert text not in exported
        assert text not in logs
    # the JSON log lines are JSON, with their level and logger
    lines = [json.loads(line) for line in logs.splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)


def test_telemetry_settings_are_checked(tmp_path: Path) -> None:
    for key, value, problem in (
        ("LOG_FORMAT", "xml", "log_format must be text or json"),
        ("TRACING_SAMPLE_RATIO", "2", "tracing_sample_ratio must be 0-1"),
        ("TRACING_ENDPOINT", "127.0.0.1:4317", "must start with http:// or https://"),
    ):
        with pytest.raises(ConfigError, match=problem):
            load_config(env={f"LANESCREEN_{key}": value})
    assert load_config(env={}).server.metrics_listen == ""  # off by default


def test_a_bad_metrics_address_is_refused_naming_the_setting() -> None:
    from lanescreen.config import ip_and_port as parse_listen

    assert parse_listen("127.0.0.1:9464", "x") == ("127.0.0.1", 9464)
    assert parse_listen("[::1]:0", "x") == ("::1", 0)
    with pytest.raises(ConfigError, match=r"server\.metrics_listen must be"):
        load_config(env={"LANESCREEN_METRICS_LISTEN": "localhost:9464"})  # refused at load
    for bad in ("localhost", "9464", "127.0.0.1:http", "example.org:9464"):
        with pytest.raises(ConfigError, match=r"server\.metrics_listen must be"):
            parse_listen(bad, "server.metrics_listen")


def test_the_dashboard_and_alert_rules_name_only_metrics_a_node_serves(
    node: Node, screened: dict[str, Any]
) -> None:
    """docs/monitoring's Grafana dashboard and Prometheus rules stay true to the exposition."""
    import re

    served = set()
    suffixes = {"histogram": ("_bucket", "_sum", "_count")}  # counters are typed as *_total
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", node.metrics_text(), re.MULTILINE):
        served |= {name + suffix for suffix in suffixes.get(kind, ("",))}
    docs = Path(__file__).resolve().parents[1] / "docs" / "monitoring"
    dashboard = json.loads((docs / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs += [v["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    rules = (docs / "alerts.yml").read_text()
    named = set(re.findall(r"lanescreen_[a-z_]+", " ".join(exprs) + rules))
    assert len(named) >= 15
    assert named <= served, named - served


def test_a_json_log_line_names_the_frame_and_its_trace() -> None:
    from lanescreen.telemetry.logs import frame_ids
    from opentelemetry.sdk.trace import TracerProvider

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(json_formatter())
    handler.addFilter(TraceIds())
    log = logging.getLogger("lanescreen.test.json")
    log.addHandler(handler)
    log.propagate = False
    try:
        tracer = TracerProvider().get_tracer("test")
        with frame_ids("lane-1", "f-7"), tracer.start_as_current_span("screen frame") as span:
            log.warning("slow frame, %d ms", 312)
        log.warning("between frames")
    finally:
        log.removeHandler(handler)
    during, after = (json.loads(line) for line in out.getvalue().splitlines())
    assert during["message"] == "slow frame, 312 ms" and during["level"] == "WARNING"
    assert (during["lane_id"], during["frame_id"]) == ("lane-1", "f-7")
    assert during["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert "lane_id" not in after and "trace_id" not in after


def test_a_collector_that_is_down_costs_spans_never_answers_or_a_stop(
    model_dir: Path, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    config = Config(
        server=ServerConfig(
            listen="127.0.0.1:0", insecure_dev=True, tracing_endpoint=f"http://127.0.0.1:{dead}"
        ),
        storage=StorageConfig(data_dir=tmp_path),
        vision=VisionConfig(model_dir=model_dir, auto_fetch=False),
        lanes=[LaneConfig(id="lane-1", budget_ms=3000)],
    )
    server = LanescreenServer(config)
    port = server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = screening_pb2_grpc.ScreeningServiceStub(channel)
        for n in range(3):
            decision = stub.ScreenFrame(_frame(UNLISTED, frame_id=f"d-{n}"))
            assert decision.budget_met
    started = time.monotonic()
    server.stop(grace=1)
    assert time.monotonic() - started < 8  # the grace, and then the spans are dropped


def test_the_alert_rules_fire_as_their_unit_tests_say() -> None:
    """promtool (Debian's prometheus package, scripts/system-deps.sh) checks the shipped rules
    and runs their unit tests: series in, the alerts that must fire (and must not) out."""
    import shutil
    import subprocess

    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (make deps installs it)")
    docs = Path(__file__).resolve().parents[1] / "docs" / "monitoring"
    for command in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]):
        done = subprocess.run(
            [promtool, *command], cwd=docs, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr
