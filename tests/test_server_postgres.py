"""The same service on PostgreSQL: a HIT over real gRPC lands in the database and its audit."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from lanescreen.api.server import LanescreenServer
from lanescreen.config import Config, LaneConfig, ServerConfig, StorageConfig, VisionConfig
from lanescreen.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    common_pb2,
    screening_pb2,
    screening_pb2_grpc,
    watchlist_pb2,
    watchlist_pb2_grpc,
)

from tests.store_fixtures import PostgresServer
from tests.support import EU_PHOTOS, plate_labels

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_hit_is_logged_in_postgres(
    model_dir: Path, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    schema = postgres_server.create_schema()
    config = Config(
        server=ServerConfig(listen="127.0.0.1:0", insecure_dev=True),
        storage=StorageConfig(data_dir=tmp_path, database_url=postgres_server.url(schema)),
        vision=VisionConfig(model_dir=model_dir, auto_fetch=False),
        lanes=[
            LaneConfig(id="lane-1", budget_ms=3000)
        ],  # a loaded machine must not turn the HIT into REVIEW
    )
    server = LanescreenServer(config)
    port = server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            lists = watchlist_pb2_grpc.WatchlistServiceStub(channel)
            lists.CreateWatchlist(
                watchlist_pb2.CreateWatchlistRequest(name="stolen", kind=common_pb2.LIST_KIND_DENY)
            )
            plate = plate_labels("openalpr_eu_dev")["eu7.jpg"]
            entry = lists.AddPlateEntry(
                watchlist_pb2.AddPlateEntryRequest(
                    watchlist="stolen", entry=watchlist_pb2.PlateEntry(plate=plate, action="stop")
                )
            )
            decision = screening_pb2_grpc.ScreeningServiceStub(channel).ScreenFrame(
                screening_pb2.Frame(lane_id="lane-1", image=(EU_PHOTOS / "eu7.jpg").read_bytes())
            )
            assert decision.outcome == common_pb2.OUTCOME_HIT
            assert decision.matches[0].entry_id == entry.id
            hits = audit_pb2_grpc.AuditServiceStub(channel).ListHits(audit_pb2.ListHitsRequest())
            assert [h.decision_id for h in hits.hits] == [decision.alert_id]  # its alert
    finally:
        server.stop(grace=1)
        postgres_server.drop_schema(schema)
