"""Lane video through the real server: one passage per vehicle, decided on consolidated reads.

The sequences are simulated from real labelled photos (lanescreen.evaluation.sequences): each
vehicle approaches over 30 frames, far and unreadable at first, and leaves through the bottom
edge; some pass side by side.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import grpc
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
from lanescreen.evaluation.plate_sets import load_scenes
from lanescreen.evaluation.sequences import VehicleLabel, simulate
from lanescreen.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    common_pb2,
    screening_pb2,
    screening_pb2_grpc,
    watchlist_pb2,
    watchlist_pb2_grpc,
)

from tests.support import EU_PHOTOS

pytestmark = pytest.mark.slow

HIT, CLEAR = common_pb2.OUTCOME_HIT, common_pb2.OUTCOME_CLEAR
PENDING_1 = audit_pb2.HitFilter(watchlist="stolen-1", disposition="pending")


@pytest.fixture(scope="module")
def node(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LanescreenServer]:
    config = Config(
        server=ServerConfig(listen="127.0.0.1:0", insecure_dev=True),
        storage=StorageConfig(data_dir=tmp_path_factory.mktemp("data")),
        vision=VisionConfig(model_dir=model_dir, auto_fetch=False),
        faces=FaceConfig(face_enabled=False),
        lanes=[LaneConfig(id="gate-1", budget_ms=2000)],
    )
    server = LanescreenServer(config)
    server.start()
    yield server
    server.stop(grace=1)


def _sequence(
    tmp_path: Path, vehicles: int, side_by_side_every: int
) -> tuple[list[bytes], list[VehicleLabel]]:
    labels = simulate(load_scenes(EU_PHOTOS), tmp_path, vehicles=vehicles,
                      side_by_side_every=side_by_side_every, seed=3)  # fmt: skip
    return [p.read_bytes() for p in sorted(tmp_path.glob("frame_*.jpg"))], labels


def _list(node: LanescreenServer, name: str, plates: list[str]) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{node.port}") as channel:
        lists = watchlist_pb2_grpc.WatchlistServiceStub(channel)
        lists.CreateWatchlist(
            watchlist_pb2.CreateWatchlistRequest(name=name, kind=common_pb2.LIST_KIND_DENY)
        )
        for plate in plates:
            lists.AddPlateEntry(
                watchlist_pb2.AddPlateEntryRequest(
                    watchlist=name, entry=watchlist_pb2.PlateEntry(plate=plate)
                )
            )


def _stream(node: LanescreenServer, frames: list[bytes]) -> list[screening_pb2.Decision]:
    requests = (
        screening_pb2.Frame(lane_id="gate-1", frame_id=str(n), image=image)
        for n, image in enumerate(frames)
    )
    with grpc.insecure_channel(f"127.0.0.1:{node.port}") as channel:
        replies = list(
            screening_pb2_grpc.ScreeningServiceStub(channel).Screen(requests, timeout=300)
        )
    assert all(r.HasField("decision") for r in replies), [
        r.error for r in replies if r.HasField("error")
    ]
    return [r.decision for r in replies]


def test_vehicles_in_video_are_one_passage_each_decided_on_their_consolidated_reads(
    node: LanescreenServer, tmp_path: Path
) -> None:
    frames, labels = _sequence(tmp_path, vehicles=3, side_by_side_every=0)
    listed, unlisted, last = labels
    _list(node, "stolen-1", [listed.plate, last.plate])
    decisions = _stream(node, frames)

    def passages_of(label: VehicleLabel) -> set[str]:
        return {decisions[n].passage_id for n in range(label.first_frame, label.last_frame + 1)}

    # Each vehicle, from its first unreadable far frame to the last one leaving the picture,
    # is one passage; the three are three.
    assert [len(passages_of(v)) for v in labels] == [1, 1, 1]
    assert len(set.union(*map(passages_of, labels))) == 3
    # The listed vehicle is a HIT on the stream frame by frame once its plate is read (a far,
    # doubtful read may HIT leniently before), to the end of its passage; its consolidated
    # read is the plate, read in many frames.
    own = decisions[listed.first_frame : listed.last_frame + 1]
    first_hit = next(n for n, d in enumerate(own) if d.plates and d.plates[0].text == listed.plate)
    assert all(d.outcome == HIT for d in own[first_hit:])
    assert first_hit < len(own) - 5
    consolidated = own[-1].plates[0]
    assert consolidated.text == listed.plate and consolidated.frames > 10 and consolidated.track_id
    assert own[first_hit].frame_plates, "each frame's own read is there too"
    # Less work per frame: once the plate is tracked, most of its frames are searched only
    # around where it should be, and once its read is settled some are not read again (their
    # read carried, and said so), while the frames searched whole still find new vehicles.
    searches = [{t.stage for t in d.timings} & {"track", "detect"} for d in own]
    assert sum(s == {"track"} for s in searches) >= len(own) // 3
    assert any(p.carried for d in own for p in d.frame_plates)
    assert all(p.text == listed.plate for d in own for p in d.frame_plates if p.carried)
    # The unlisted vehicle that followed is CLEAR once read, in a passage of its own; the
    # listed one's passage was closed by it, and said so with its final state.
    theirs = decisions[unlisted.first_frame : unlisted.last_frame + 1]
    assert theirs[-1].outcome == CLEAR and theirs[-1].plates[0].text == unlisted.plate
    closed = [s for d in theirs for s in d.passages if s.closed]
    assert [s.passage_id for s in closed] == list(passages_of(listed))
    assert closed[0].outcome == HIT and closed[0].plates[0].text == listed.plate
    assert all(d.budget_met for d in decisions)
    # The officer's queue holds one alert for the listed vehicle (not one per HIT frame), with
    # its consolidated read and frame count; disposing of it covers the passage.
    alert = own[-1].alert_id
    assert alert and {d.alert_id for d in own[first_hit:]} == {alert}
    assert node.sink.caught_up(timeout_s=30)
    with grpc.insecure_channel(f"127.0.0.1:{node.port}") as channel:
        audit = audit_pb2_grpc.AuditServiceStub(channel)
        queue = audit.ListHits(audit_pb2.ListHitsRequest(filter=PENDING_1)).hits
        assert [h.alert_id for h in queue] == [alert] and queue[0].decision_id == alert
        assert queue[0].plates[0].text == listed.plate
        assert queue[0].alert.frames >= len(own) - first_hit and queue[0].alert.HasField(
            "closed_at"
        )
        audit.DisposeHit(audit_pb2.DisposeHitRequest(
            decision_id=own[-3].decision_id, verdict="confirmed", code="vehicle_stopped"))  # fmt: skip
        assert not audit.ListHits(audit_pb2.ListHitsRequest(filter=PENDING_1)).hits
        exported = b"".join(c.data for c in audit.ExportHits(audit_pb2.ExportHitsRequest(
            filter=audit_pb2.HitFilter(watchlist="stolen-1"), format=audit_pb2.EXPORT_FORMAT_CSV,
            reason="passage test")))  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(exported.decode())))
    assert [(r["decision_id"], int(r["frames"])) for r in rows] == [(alert, queue[0].alert.frames)]


def test_two_vehicles_side_by_side_are_two_passages(node: LanescreenServer, tmp_path: Path) -> None:
    frames, labels = _sequence(tmp_path, vehicles=2, side_by_side_every=1)
    left, right = labels
    assert (left.first_frame, left.last_frame) == (right.first_frame, right.last_frame)
    _list(node, "stolen-2", [left.plate, right.plate])
    decisions = _stream(node, frames)
    last = decisions[left.last_frame - 3]  # both plates still whole in the picture
    assert last.outcome == HIT
    assert sorted(s.plates[0].text for s in last.passages if s.plates) == sorted(
        [left.plate, right.plate]
    )
    assert len({s.passage_id for s in last.passages}) == 2
    assert len({m.entry_plate for m in last.matches}) == 2
    assert node.sink.caught_up(timeout_s=30)
    with grpc.insecure_channel(f"127.0.0.1:{node.port}") as channel:
        listed = audit_pb2_grpc.AuditServiceStub(channel).ListHits(
            audit_pb2.ListHitsRequest(filter=audit_pb2.HitFilter(watchlist="stolen-2"))
        )
    assert sorted(h.plates[0].text for h in listed.hits) == sorted([left.plate, right.plate])
