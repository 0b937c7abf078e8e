"""Assembles the service: models, store, screener and the gRPC server with health and reflection."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ..config import Config
from ..domain.enrolment import Enroller
from ..domain.face_matching import Calibration
from ..domain.face_screening import FaceScreening, load_calibration
from ..domain.screening import Screener
from ..domain.watchlist_cache import WatchlistCache
from ..store.db import Database
from ..store.decisions import DecisionStore
from ..store.faces import FaceStore
from ..store.watchlists import WatchlistStore
from ..v1 import (
    audit_pb2,
    audit_pb2_grpc,
    screening_pb2,
    screening_pb2_grpc,
    watchlist_pb2,
    watchlist_pb2_grpc,
)
from ..vision.faces.pipeline import ensure_face_models
from ..vision.faces.workers import FaceWorkerPool
from ..vision.pipeline import build_pipeline, ensure_models
from .audit import AuditServicer
from .screening import ScreeningServicer
from .watchlists import WatchlistServicer

log = logging.getLogger(__name__)

SERVICE_NAMES = (
    screening_pb2.DESCRIPTOR.services_by_name["ScreeningService"].full_name,
    watchlist_pb2.DESCRIPTOR.services_by_name["WatchlistService"].full_name,
    audit_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,
)
PURGE_INTERVAL_S = 600.0


class LanescreenServer:
    """The running service. ``start()`` binds and returns the port; ``stop()`` drains and closes."""

    def __init__(self, config: Config) -> None:
        self.config = config
        ensure_models(config.vision, config.model_dir, progress=True)
        faces = config.faces
        calibration: Calibration | None = None
        if faces.face_enabled:
            ensure_face_models(faces, config.vision, config.model_dir, progress=True)
            calibration = load_calibration(faces)
        self.database = Database.open(config.storage.resolved_database_url())
        self.watchlists = WatchlistStore(self.database)
        self.faces = FaceStore(self.database)
        self.decisions = DecisionStore(self.database)
        self.cache = WatchlistCache(
            self.watchlists,
            faces=self.faces if faces.face_enabled else None,
            embedder=faces.face_embedder,
        )
        self.face_pool: FaceWorkerPool | None = None
        face_screening: FaceScreening | None = None
        enroller: Enroller | None = None
        if calibration is not None:
            self.face_pool = FaceWorkerPool(faces, config.model_dir)
            self.face_pool.warm_up()
            face_screening = FaceScreening(
                self.face_pool,
                calibration,
                embedder=faces.face_embedder,
                target_fpir=faces.face_target_fpir,
            )
            enroller = Enroller(
                self.face_pool,
                embedder=faces.face_embedder,
                max_bytes=config.server.max_frame_bytes,
                max_pixels=config.server.max_frame_pixels,
            )
        self.screener = Screener(
            config,
            build_pipeline(config.vision, config.model_dir),
            self.cache,
            self.decisions,
            face_screening,
        )
        self.screener.warm_up()
        limits = config.server
        self._grpc = grpc.server(
            ThreadPoolExecutor(max_workers=limits.rpc_threads, thread_name_prefix="rpc"),
            options=[
                ("grpc.max_receive_message_length", limits.max_message_bytes),
                ("grpc.max_send_message_length", limits.max_message_bytes),
            ],
        )
        screening_pb2_grpc.add_ScreeningServiceServicer_to_server(
            ScreeningServicer(self.screener), self._grpc
        )
        watchlist_pb2_grpc.add_WatchlistServiceServicer_to_server(
            WatchlistServicer(self.watchlists, self.cache, self.faces, enroller), self._grpc
        )
        audit_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(self.decisions), self._grpc)
        self._health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._grpc)
        reflection.enable_server_reflection(
            (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), self._grpc
        )
        self._stopping = threading.Event()
        self._purger = threading.Thread(target=self._purge_loop, name="retention", daemon=True)
        self.port = 0

    def start(self) -> int:
        self.port = self._grpc.add_insecure_port(self.config.server.listen)
        if self.port == 0:
            raise OSError(
                f"cannot listen on {self.config.server.listen}: address in use or not local"
            )
        self._grpc.start()
        for name in ("", *SERVICE_NAMES):
            self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self._purger.start()
        log.info(
            "lanescreen serving on port %d (lanes: %s)",
            self.port,
            ", ".join(lane.id for lane in self.config.lanes),
        )
        return self.port

    def wait(self) -> None:
        self._grpc.wait_for_termination()

    def stop(self, grace: float = 5.0) -> None:
        self._stopping.set()
        self._health.enter_graceful_shutdown()
        self._grpc.stop(grace).wait()
        self.screener.close()
        if self.face_pool is not None:
            self.face_pool.close()
        self.database.close()

    def purge_expired_reads(self) -> int:
        """Delete CLEAR reads older than the retention; returns how many went."""
        cutoff = datetime.now(UTC) - timedelta(hours=self.config.storage.clear_retention_hours)
        count = self.decisions.purge_clear_reads(cutoff)
        if count:
            log.info("retention: purged %d CLEAR reads older than %s", count, cutoff.isoformat())
        return count

    def _purge_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.purge_expired_reads()
            except Exception:
                log.exception("retention purge failed; retrying in %.0f s", PURGE_INTERVAL_S)
            self._stopping.wait(PURGE_INTERVAL_S)
