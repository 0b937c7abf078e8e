"""Per-lane frame and decoding limits: a flooding terminal is refused frame by frame, others go on."""

from __future__ import annotations

from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest
from lanescreen.api.server import LanescreenServer
from lanescreen.config import (
    Config,
    FaceConfig,
    LaneConfig,
    ServerConfig,
    StorageConfig,
    VisionConfig,
)
from lanescreen.domain.limits import LaneRateLimiter
from lanescreen.errors import RateLimitedError
from lanescreen.store.decisions import DecisionStore, HitFilter
from lanescreen.v1 import common_pb2, screening_pb2, screening_pb2_grpc

from tests.support import EVAL_PLATES


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = LaneRateLimiter(rate=2, burst=3, clock=clock)
    for _ in range(3):
        limiter.take("lane-1")
    with pytest.raises(RateLimitedError, match=r"more than 2 frames a second.*next in 500 ms"):
        limiter.take("lane-1")
    limiter.take("lane-2")  # each lane has its own allowance
    clock.now += 0.5
    limiter.take("lane-1")
    with pytest.raises(RateLimitedError):
        limiter.take("lane-1")
    clock.now += 60
    for _ in range(3):  # refilled, but never beyond the burst
        limiter.take("lane-1")
    with pytest.raises(RateLimitedError):
        limiter.take("lane-1")
    LaneRateLimiter(rate=0, burst=1).take("lane-1")  # 0 turns the limit off


@pytest.mark.slow
def test_a_flooding_lane_gets_resource_exhausted_per_frame_and_the_stream_goes_on(
    model_dir: Path, tmp_path: Path
) -> None:
    config = Config(
        server=ServerConfig(
            listen="127.0.0.1:0", insecure_dev=True, max_lane_fps=0.5, max_lane_burst=2
        ),
        storage=StorageConfig(data_dir=tmp_path),
        vision=VisionConfig(model_dir=model_dir, auto_fetch=False),
        faces=FaceConfig(face_enabled=False),
        lanes=[LaneConfig(id="lane-1", budget_ms=5000), LaneConfig(id="lane-2", budget_ms=5000)],
    )
    server = LanescreenServer(config)
    port = server.start()
    image = (EVAL_PLATES / "openalpr_eu_dev" / "eu1.jpg").read_bytes()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = screening_pb2_grpc.ScreeningServiceStub(channel)
            frames = [
                screening_pb2.Frame(lane_id=lane, frame_id=f"{lane}-{n}", image=image)
                for lane, n in [("lane-1", 0), ("lane-1", 1), ("lane-1", 2), ("lane-2", 0)]
            ]
            replies = list(stub.Screen(iter(frames)))
            kinds = [r.WhichOneof("result") for r in replies]
            assert kinds == ["decision", "decision", "error", "decision"]
            assert replies[2].error.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
            assert "frames a second" in replies[2].error.message
            with pytest.raises(grpc.RpcError) as refused:
                stub.ScreenFrame(frames[0])
            assert refused.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
            assert replies[3].decision.outcome != common_pb2.OUTCOME_UNSPECIFIED
    finally:
        server.stop(grace=1)


@pytest.mark.slow
def test_decoding_is_budgeted_per_lane_before_frames_queue(model_dir: Path, tmp_path: Path) -> None:
    """A lane's large or crafted images are refused as they come off the stream, by what they
    would cost to decode (PNG 4x JPEG), so they cannot take the other lanes' workers."""
    config = Config(
        server=ServerConfig(
            listen="127.0.0.1:0",
            insecure_dev=True,
            max_frame_pixels=10_000_000,  # one frame may cost 20 MP of JPEG to decode
            max_lane_megapixels_per_s=0.5,
        ),
        storage=StorageConfig(data_dir=tmp_path),
        vision=VisionConfig(model_dir=model_dir, auto_fetch=False),
        faces=FaceConfig(face_enabled=False),
        lanes=[LaneConfig(id="lane-1", budget_ms=5000), LaneConfig(id="lane-2", budget_ms=5000)],
    )
    photo = cv2.imread(str(EVAL_PLATES / "openalpr_eu_dev" / "eu1.jpg"))
    large = cv2.imencode(".jpg", cv2.resize(photo, (3000, 2000)))[1].tobytes()  # 6 MP: 6
    bomb = cv2.imencode(".png", np.zeros((2500, 2500, 3), np.uint8))[1].tobytes()  # 6.25 MP: 25
    server = LanescreenServer(config)
    port = server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = screening_pb2_grpc.ScreeningServiceStub(channel)
            frames = [
                screening_pb2.Frame(lane_id=lane, frame_id=name, image=image)
                for lane, name, image in [
                    ("lane-1", "bomb", bomb),
                    ("lane-1", "large-1", large),
                    ("lane-1", "large-2", large),
                    ("lane-1", "large-3", large),
                    ("lane-1", "large-4", large),
                    ("lane-2", "other", large),
                ]
            ]
            replies = {r.frame_id: r for r in stub.Screen(iter(frames))}
        assert len(bomb) < 100_000
        assert replies["bomb"].error.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
        assert "costs as much to decode as 25 megapixels of JPEG" in replies["bomb"].error.message
        assert [replies[f"large-{n}"].WhichOneof("result") for n in (1, 2, 3, 4)] == [
            "decision",
            "decision",
            "decision",
            "error",
        ]
        assert "megapixels a second" in replies["large-4"].error.message
        assert replies["other"].WhichOneof("result") == "decision"  # another lane's own budget
        assert server.sink.caught_up()
        stored = DecisionStore(server.database).list_hits(HitFilter())[0]
        assert "bomb" not in [d.frame_id for d in stored]  # nothing refused is ever stored
    finally:
        server.stop(grace=1)


def test_a_stream_whose_frames_keep_being_refused_is_read_ever_more_slowly() -> None:
    """Backpressure on a terminal gone wild: each refusal in a row doubles the pause before its
    next frame is read (50 ms, 100 ms, ... at most 1 s); a decided frame resets it."""
    from lanescreen.api.screening import RefusalPacing

    pauses: list[float] = []
    pacing = RefusalPacing(sleep=pauses.append)
    for _ in range(7):
        pacing.refused()
    pacing.decided()
    pacing.refused()
    assert pauses == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 0.05]
