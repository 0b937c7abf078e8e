"""Assembles the service: models, store, screener and the gRPC server with health and reflection."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from socket import gethostname

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ..config import Config, ConfigError, LaneConfig, is_loopback
from ..domain.enrolment import Enroller
from ..domain.face_matching import Calibration
from ..domain.face_screening import FaceScreening, load_calibration
from ..domain.governance import ApprovalPolicy
from ..domain.lanes import LaneRegistry
from ..domain.refresher import Refresher
from ..domain.screening import Screener
from ..domain.watchlist_cache import WatchlistCache
from ..security.identity import Authenticator
from ..security.pki import ServerTls, SitePaths, server_tls
from ..store.credentials import CredentialStore
from ..store.db import open_configured
from ..store.decisions import DecisionStore
from ..store.dispositions import DispositionStore
from ..store.faces import FaceStore
from ..store.journal import DecisionJournal, JournalSink
from ..store.lanes import LaneStore
from ..store.notify import EditListener
from ..store.retention import Retention
from ..store.site import (
    MAX_CLOCK_SKEW_S,
    adopt_site_policy,
    check_client_ca,
    check_clock,
    clock_skew_s,
)
from ..store.trail import TrailLog
from ..store.watchlists import WatchlistStore
from ..telemetry.metrics import Metrics, MetricsEndpoint, NodeGauges, serve_metrics
from ..telemetry.observer import Telemetry
from ..telemetry.tracing import FrameTracer, tracer_provider
from ..v1 import (
    audit_pb2,
    audit_pb2_grpc,
    screening_pb2,
    screening_pb2_grpc,
    site_pb2,
    site_pb2_grpc,
    watchlist_pb2,
    watchlist_pb2_grpc,
)
from ..vision.faces.pipeline import ensure_face_models
from ..vision.faces.workers import FaceWorkerPool
from ..vision.pipeline import build_pipeline, ensure_models, warm_up_reader
from ..vision.readers import build_reader
from ..vision.weights import known_readers
from .audit import AuditServicer
from .auth import AuthInterceptor, RefusalLog
from .grpc_types import ServerInterceptor
from .observability import RpcMetricsInterceptor
from .screening import ScreeningServicer
from .site import SiteServicer
from .watchlists import WatchlistServicer

log = logging.getLogger(__name__)

SERVICE_NAMES = (
    screening_pb2.DESCRIPTOR.services_by_name["ScreeningService"].full_name,
    watchlist_pb2.DESCRIPTOR.services_by_name["WatchlistService"].full_name,
    audit_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,
    site_pb2.DESCRIPTOR.services_by_name["SiteService"].full_name,
)
SCREENING_SERVICE = SERVICE_NAMES[0]
PURGE_INTERVAL_S = 600.0
HEALTH_POLL_S = 0.25
CLOCK_POLL_S = 60.0


def transport_security(config: Config) -> ServerTls | None:
    """The TLS material for the port, or None in development mode (plaintext, loopback only).

    Raises :class:`ConfigError` or :class:`~lanescreen.security.pki.PkiError` naming the problem.
    """
    server = config.server
    if server.insecure_dev:
        if not is_loopback(server.listen):
            raise ConfigError(
                f"server.insecure_dev serves plaintext, so only on a loopback address; "
                f"{server.listen!r} is not one (drop insecure_dev to serve TLS)"
            )
        return None
    return server_tls(
        SitePaths(config.pki_dir),
        server.tls_cert_file,
        server.tls_key_file,
        server.tls_client_ca_file,
    )


class LanescreenServer:
    """The running service. ``start()`` binds and returns the port; ``stop()`` drains and closes."""

    def __init__(
        self, config: Config, *, wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        """``wall_clock`` is this node's clock (tests give a skewed one): checked against the
        database's before anything is served."""
        self.config = config
        self._tls = transport_security(config)  # first: a bad certificate fails fast
        if self._tls is not None and self._tls.created:
            log.info(
                "created the site PKI in %s (CA and server certificate); issue lane "
                "certificates with `lanescreen pki issue-lane LANE`",
                config.pki_dir,
            )
        self.database = open_configured(config.storage)
        self._wall_clock = wall_clock
        self._node = f"node:{config.storage.resolved_node_id()}"
        self._stopping = threading.Event()
        self.telemetry = Telemetry()
        try:
            self.lane_store = LaneStore(self.database, known_readers())
            self._join_site(wall_clock)
            self._build_core()
            self.telemetry = self._build_telemetry()
            self._grpc = self._build_grpc()
        except BaseException:
            self.telemetry.close(timeout_s=1.0)
            self.database.close()
            raise
        self._purger = threading.Thread(target=self._purge_loop, name="retention", daemon=True)
        self._health_check = Refresher(
            "health",
            self._report_health,
            HEALTH_POLL_S,
            failing="cannot update the health status",
            recovered="health status updated again",
        )
        self._clock_check = Refresher(
            "clock",
            self._check_clock,
            CLOCK_POLL_S,
            failing="cannot compare this node's clock with the database's",
            recovered="clock compared with the database's again",
        )
        self._clock_offset_s = 0.0
        self._serving = True
        self.port = 0
        self._metrics_endpoint: MetricsEndpoint | None = None
        self.metrics_port = 0
        """Where ``/metrics`` is served once started (``server.metrics_listen``), 0: off."""

    def _build_core(self) -> None:
        """Models, stores, the watchlist cache, the journal and the screener, in that order."""
        config = self.config
        faces = config.faces
        ensure_models(
            config.vision, config.model_dir, extra_readers=config.lane_readers(), progress=True
        )
        calibration: Calibration | None = None
        if faces.face_enabled:
            ensure_face_models(faces, config.vision, config.model_dir, progress=True)
            calibration = load_calibration(faces)
        approvals = ApprovalPolicy(config.governance.approval_min_priority)
        self.watchlists = WatchlistStore(self.database, approvals)
        self.faces = FaceStore(self.database, approvals)
        self.decisions = DecisionStore(self.database)
        self.cache = WatchlistCache(
            self.watchlists,
            faces=self.faces if faces.face_enabled else None,
            embedder=faces.face_embedder,
        )
        self.face_pool: FaceWorkerPool | None = None
        face_screening: FaceScreening | None = None
        self._enroller: Enroller | None = None
        if calibration is not None:
            self.face_pool = FaceWorkerPool(faces, config.model_dir)
            self.face_pool.warm_up()
            face_screening = FaceScreening(
                self.face_pool,
                calibration,
                embedder=faces.face_embedder,
                target_fpir=faces.face_target_fpir,
            )
            self._enroller = Enroller(
                self.face_pool,
                embedder=faces.face_embedder,
                max_bytes=config.server.max_frame_bytes,
                max_pixels=config.server.max_frame_pixels,
            )
        self.retention = Retention(self.database, config.storage)
        self.sink = JournalSink(
            self.decisions,
            DecisionJournal(_journal_file(config)),
            max_bytes=config.storage.journal_max_mb * 2**20,
        )
        self._pipeline = build_pipeline(config.vision, config.model_dir, config.lane_readers())
        self.lanes = LaneRegistry(config.lanes, self.lane_store, prepare=self._prepare_lane)
        self.screener = Screener(
            config, self._pipeline, self.cache, self.sink, face_screening, self.lanes
        )
        self.screener.warm_up()
        postgres = self.database.engine.dialect.name == "postgresql"
        self._edits = EditListener(self.database.engine, self._site_changed) if postgres else None

    def _build_telemetry(self) -> Telemetry:
        """Metrics and tracing as configured (both off by default)."""
        server = self.config.server
        metrics = tracer = None
        if server.metrics_listen:
            metrics = Metrics(self._gauges, lambda: {lane.id for lane in self.lanes.lanes()})
        if server.tracing_endpoint:
            provider = tracer_provider(
                server.tracing_endpoint, server.tracing_sample_ratio, self._node
            )
            tracer = FrameTracer(provider)
        return Telemetry(metrics, tracer)

    def _interceptors(self, authenticator: Authenticator | None) -> list[ServerInterceptor]:
        """Outermost first: metrics count every call, refused ones too; the call's span is open
        while it is authorised and served."""
        interceptors: list[ServerInterceptor] = []
        if self.telemetry.metrics is not None:
            interceptors.append(RpcMetricsInterceptor(self.telemetry.metrics))
        if self.telemetry.tracer is not None:
            from opentelemetry.instrumentation.grpc import server_interceptor

            traced = server_interceptor(tracer_provider=self.telemetry.tracer.provider)  # type: ignore[no-untyped-call]
            interceptors.append(traced)
        return [*interceptors, AuthInterceptor(authenticator, self.refusals)]

    def _build_grpc(self) -> grpc.Server:
        limits = self.config.server
        self.credentials = CredentialStore(self.database)
        self.refusals = RefusalLog(self.database.record_event)
        authenticator = None if self._tls is None else Authenticator(self.credentials)
        server = grpc.server(
            ThreadPoolExecutor(max_workers=limits.rpc_threads, thread_name_prefix="rpc"),
            interceptors=self._interceptors(authenticator),
            options=[
                ("grpc.max_receive_message_length", limits.max_message_bytes),
                ("grpc.max_send_message_length", limits.max_message_bytes),
                # gRPC binds with SO_REUSEPORT by default, so a second server on a port in use
                # would start and share its connections; refuse instead (below).
                ("grpc.so_reuseport", 0),
            ],
        )
        screening_pb2_grpc.add_ScreeningServiceServicer_to_server(
            ScreeningServicer(self.screener, self.refusals, self.node_status, self.telemetry),
            server,
        )
        watchlist_pb2_grpc.add_WatchlistServiceServicer_to_server(
            WatchlistServicer(self.watchlists, self.cache, self.faces, self._enroller), server
        )
        audit_pb2_grpc.add_AuditServiceServicer_to_server(
            AuditServicer(
                self.decisions,
                DispositionStore(self.database),
                self.sink.caught_up,
                closing=self._stopping,
                trail=TrailLog(self.database),
            ),
            server,
        )
        site_pb2_grpc.add_SiteServiceServicer_to_server(
            SiteServicer(self.database, self.lane_store, self.lanes.wake), server
        )
        self._health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        reflection.enable_server_reflection(
            (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server
        )
        return server

    def _site_changed(self) -> None:
        """An edit somewhere on the site was notified: check the watchlists and lanes now."""
        self.cache.wake()
        self.lanes.wake()

    def _prepare_lane(self, lane: LaneConfig) -> None:
        """Load the reader a lane added or changed while serving asks for (fetched like the
        others at start), so its first frame is read with it."""
        name = lane.plate_reader()
        if self._pipeline.has_reader(name):
            return
        vision, model_dir = self.config.vision, self.config.model_dir
        ensure_models(vision, model_dir, extra_readers=[name])
        reader = build_reader(name, model_dir, vision.onnx_threads)
        warm_up_reader(reader)
        self._pipeline.add_reader(name, reader)
        log.info("loaded plate reader %s for lane %s", name, lane.id)

    def _join_site(self, wall_clock: Callable[[], datetime]) -> None:
        """Refuse to serve beside the site's other nodes with another client CA or a clock
        that is off (the trail key was checked on opening), and take the site's policy and
        lanes (this node's configured ones seed what the site lacks)."""
        check_clock(self.database, wall_clock)
        for difference in adopt_site_policy(self.database, self.config, self._node):
            log.warning("site policy: %s", difference)
        if self._tls is not None:
            ca_file = (
                self.config.server.tls_client_ca_file or SitePaths(self.config.pki_dir).ca_cert
            )
            check_client_ca(self.database, self._tls.client_ca, str(ca_file), self._node)
        for difference in self.lane_store.adopt(self.config.lanes, self._node):
            log.warning("site lanes: %s", difference)
        self.config.lanes = self.lane_store.lanes()

    def start(self) -> int:
        listen = self.config.server.listen
        if self._tls is None:
            log.warning(
                "INSECURE DEVELOPMENT MODE: plaintext gRPC on %s, no client certificates, every "
                "caller has every role and names itself (x-lanescreen-actor). Never use this "
                "at a checkpoint.",
                listen,
            )
            bind = functools.partial(self._grpc.add_insecure_port, listen)
        else:
            credentials = grpc.ssl_server_credentials(
                [(self._tls.private_key, self._tls.cert_chain)],
                root_certificates=self._tls.client_ca,
                # True is the only setting that asks for client certificates at all: False makes
                # gRPC not request one (see docs/security.md), so mTLS is all or nothing.
                require_client_auth=True,
            )
            bind = functools.partial(self._grpc.add_secure_port, listen, credentials)
        try:
            self.port = bind()  # 0 from older gRPC releases, RuntimeError from newer ones
        except RuntimeError:
            self.port = 0
        if self.port == 0:
            raise OSError(f"cannot listen on {listen}: address in use or not local")
        if self.telemetry.metrics is not None:  # bound before anything starts, like the port
            self._metrics_endpoint = serve_metrics(
                self.telemetry.metrics, self.config.server.metrics_listen
            )
            self.metrics_port = self._metrics_endpoint.port
        self.cache.start()  # before any frame: confirmed, not as loaded seconds ago
        self.lanes.start()
        self.screener.start()
        self._grpc.start()
        self.sink.start()
        if self._edits is not None:
            self._edits.start()
        for name in ("", *SERVICE_NAMES):
            self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self._check_clock()
        self._health_check.start()
        self._clock_check.start()
        self._purger.start()
        log.info(
            "lanescreen serving %s on port %d (lanes: %s)",
            "plaintext (insecure_dev)" if self._tls is None else "TLS with client certificates",
            self.port,
            ", ".join(lane.id for lane in self.lanes.lanes()),
        )
        return self.port

    def wait(self) -> None:
        self._grpc.wait_for_termination()

    def stop(self, grace: float = 5.0) -> None:
        self._stopping.set()
        self._health_check.stop()
        self._clock_check.stop()
        self._health.enter_graceful_shutdown()
        self._grpc.stop(grace).wait()
        if self._metrics_endpoint is not None:
            self._metrics_endpoint.close()
        self.refusals.close(timeout_s=grace)
        self.sink.stop(timeout_s=grace)
        try:
            self.anchor_trail()
        except Exception:
            log.exception("could not anchor the trail on stopping")
        self.cache.stop()
        self.lanes.stop()
        if self._edits is not None:
            self._edits.stop()
        self.screener.close()
        if self.face_pool is not None:
            self.face_pool.close()
        self.database.close()
        self.telemetry.close(timeout_s=grace)  # last: a collector that is down costs spans only

    def node_status(self) -> screening_pb2.NodeStatus:
        """This node's journal backlog and watchlist freshness (``GetNodeStatus``)."""
        backlog = self.sink.backlog()
        names = {wl.id: wl.name for wl in self.cache.index().watchlists.values()}
        return screening_pb2.NodeStatus(
            node=gethostname(),
            lanes=[lane.id for lane in self.lanes.lanes()],
            journal_decisions=backlog.decisions,
            journal_bytes=backlog.bytes,
            journal_oldest_age_s=backlog.oldest_age_s,
            watchlists_confirmed_age_s=self.cache.staleness_s(),
            max_watchlist_staleness_ms=self.config.server.max_watchlist_staleness_ms,
            watchlist_versions={
                names.get(wl_id, wl_id): version for wl_id, version in self.cache.versions().items()
            },
            clock_offset_s=self._clock_offset_s,
            serving=self._serving,
        )

    def _gauges(self) -> NodeGauges:
        """What a metrics scrape reads: the node's status, and the face workers' restarts."""
        status = self.node_status()
        return NodeGauges(
            journal_decisions=status.journal_decisions,
            journal_bytes=status.journal_bytes,
            journal_oldest_age_s=status.journal_oldest_age_s,
            watchlists_confirmed_age_s=status.watchlists_confirmed_age_s,
            max_watchlist_staleness_s=status.max_watchlist_staleness_ms / 1000,
            clock_offset_s=status.clock_offset_s,
            serving=status.serving,
            face_worker_restarts=self.face_pool.restarts if self.face_pool is not None else 0,
            watchlist_versions=dict(status.watchlist_versions),
        )

    def _report_health(self) -> None:
        """Screening is NOT_SERVING (overall and ``ScreeningService``) while the watchlists
        cannot be confirmed within ``max_watchlist_staleness_ms`` (every frame would be a REVIEW
        ``watchlist_stale``) or the clock is off the database's, so that a load balancer sends
        lanes to another node."""
        limit_s = self.config.server.max_watchlist_staleness_ms / 1000
        fresh = self.cache.staleness_s() <= limit_s
        serving = fresh and abs(self._clock_offset_s) <= MAX_CLOCK_SKEW_S
        if serving == self._serving or self._stopping.is_set():
            return
        self._serving = serving
        status = health_pb2.HealthCheckResponse
        for name in ("", SCREENING_SERVICE):
            self._health.set(name, status.SERVING if serving else status.NOT_SERVING)
        if serving:
            log.info("health: SERVING again")
        elif not fresh:
            log.warning(
                "health: NOT_SERVING, the watchlists were last confirmed %.1f s ago (limit %g s)",
                self.cache.staleness_s(),
                limit_s,
            )
        else:
            log.warning("health: NOT_SERVING, this node's clock is off the database's")

    def _check_clock(self) -> None:
        """Measure this node's clock against the database's: the times that order decisions and
        trail records are this node's, so they are only as good as this check."""
        offset = clock_skew_s(self.database, self._wall_clock)
        if abs(offset) > MAX_CLOCK_SKEW_S >= abs(self._clock_offset_s):
            log.error(
                "this node's clock is %+.1f s from the database server's (at most %g s "
                "allowed): expiries and record times are off; synchronise the clocks",
                offset,
                MAX_CLOCK_SKEW_S,
            )
        self._clock_offset_s = offset

    def purge_expired(self) -> dict[str, int]:
        """Remove what each data class keeps longer than the retention policy allows."""
        removed = self.retention.purge()
        if any(removed.values()):
            log.info(
                "retention: purged %s",
                ", ".join(f"{n} {name}" for name, n in removed.items() if n),
            )
        return removed

    def anchor_trail(self) -> None:
        """Anchor this node's chain head in the site chain, and log it: the log is a second
        place holding the head, so a chain cut back and re-headed behind the service cannot
        match what was anchored and logged before."""
        trail = self.database.trail
        with self.database.write() as session:
            trail.anchor(session)
            seq, digest = trail.head(session)
        log.info("audit trail head of chain %s: record %d, hash %s", trail.chain, seq, digest)

    def _purge_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.purge_expired()
                self.anchor_trail()
                adopt_site_policy(self.database, self.config, self._node)  # changed elsewhere?
            except Exception:
                log.exception("retention purge failed; retrying in %.0f s", PURGE_INTERVAL_S)
            self._stopping.wait(PURGE_INTERVAL_S)


def _journal_file(config: Config) -> Path:
    """This node's journal; lanescreen 0.1's outbox file becomes it where there is no other."""
    storage = config.storage
    journal = storage.resolved_journal_file()
    legacy = storage.data_dir / "outbox.db"
    if storage.journal_file is None and legacy.exists() and not journal.exists():
        return legacy
    return journal
