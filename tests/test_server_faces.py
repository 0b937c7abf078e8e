"""Face screening and passages through the whole service: real gRPC on loopback, real models,
real photos of people (LFW), enrolment refusals on real problem photos."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from lanescreen.api.auth import ACTOR_METADATA_KEY
from lanescreen.api.server import LanescreenServer
from lanescreen.config import (
    Config,
    FaceConfig,
    LaneConfig,
    ServerConfig,
    StorageConfig,
    VisionConfig,
)
from lanescreen.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    common_pb2,
    screening_pb2,
    screening_pb2_grpc,
    watchlist_pb2,
    watchlist_pb2_grpc,
)

from tests.support import EVAL_PLATES, FACES, needs_shared, plate_labels

pytestmark = [pytest.mark.slow, needs_shared]

LFW = FACES / "lfw7_subset_faces" / "images"
OPENFACE = FACES / "openface_examples" / "images"
EU = EVAL_PLATES / "openalpr_eu_dev"
LISTED_PHOTO = "eu7.jpg"  # read exactly by the default pipeline (see test_server_e2e.py)
OFFICER = ((ACTOR_METADATA_KEY, "officer.jones"),)
BUDGET_MS = 5000  # behaviour, not speed: a loaded test machine must not turn a HIT into a REVIEW


def lfw(person: str, number: int) -> bytes:
    return (LFW / person / f"{person}_{number:04d}.jpg").read_bytes()


@dataclass
class Client:
    server: LanescreenServer
    screening: screening_pb2_grpc.ScreeningServiceStub
    watchlists: watchlist_pb2_grpc.WatchlistServiceStub
    audit: audit_pb2_grpc.AuditServiceStub


@pytest.fixture(scope="module")
def client(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    config = Config(
        server=ServerConfig(listen="127.0.0.1:0", insecure_dev=True),
        storage=StorageConfig(data_dir=tmp_path_factory.mktemp("data")),
        vision=VisionConfig(model_dir=model_dir, auto_fetch=False),
        faces=FaceConfig(face_workers=2),
        lanes=[
            LaneConfig(id="lane-1", budget_ms=BUDGET_MS, deny_lists=["wanted"]),
            LaneConfig(id="gate-staff", budget_ms=BUDGET_MS, allow_lists=["staff"]),
        ],
    )
    server = LanescreenServer(config)
    port = server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    client = Client(
        server,
        screening_pb2_grpc.ScreeningServiceStub(channel),
        watchlist_pb2_grpc.WatchlistServiceStub(channel),
        audit_pb2_grpc.AuditServiceStub(channel),
    )
    for name, kind in (
        ("wanted", common_pb2.LIST_KIND_DENY),
        ("staff", common_pb2.LIST_KIND_ALLOW),
    ):
        client.watchlists.CreateWatchlist(
            watchlist_pb2.CreateWatchlistRequest(name=name, kind=kind), metadata=OFFICER
        )
    try:
        yield client
    finally:
        channel.close()
        server.stop(grace=1)


def enrol(
    client: Client, watchlist: str, name: str, photos: list[bytes], plates: tuple[str, ...] = ()
) -> watchlist_pb2.EnrolSubjectResponse:
    subject = watchlist_pb2.FaceSubject(
        name=name,
        plates=list(plates),
        category="wanted" if watchlist == "wanted" else "staff",
        action="stop" if watchlist == "wanted" else "allow",
        reason="test enrolment",
        legal_basis="case 2026/204",
        owner="unit 7",
    )
    return client.watchlists.EnrolSubject(
        watchlist_pb2.EnrolSubjectRequest(watchlist=watchlist, subject=subject, photos=photos),
        metadata=OFFICER,
    )


def driver(image: bytes, lane: str = "lane-1", passage: str = "", frame_id: str = "d"):  # type: ignore[no-untyped-def]
    return screening_pb2.Frame(
        lane_id=lane,
        camera=common_pb2.CAMERA_ROLE_DRIVER,
        frame_id=frame_id,
        image=image,
        passage_id=passage,
    )


def codes(decision: screening_pb2.Decision) -> list[str]:
    return [r.code for r in decision.reasons]


def test_an_enrolled_persons_other_photo_is_a_hit_naming_them(client: Client) -> None:
    reply = enrol(
        client, "wanted", "Colin Powell", [lfw("Colin_Powell", 1), lfw("Colin_Powell", 2)]
    )
    assert reply.subject.photo_count == 2 and all(p.ok for p in reply.photos)
    assert (
        client.watchlists.GetWatchlist(
            watchlist_pb2.GetWatchlistRequest(watchlist="wanted")
        ).subject_count
        >= 1
    )
    decision = client.screening.ScreenFrame(driver(lfw("Colin_Powell", 7)))
    assert decision.outcome == common_pb2.OUTCOME_HIT, decision.reasons
    assert codes(decision)[0] == "face_deny_list_match"
    match = decision.matches[0]
    assert match.subject_kind == "face" and match.subject_name == "Colin Powell"
    assert match.entry_id == reply.subject.id and match.match_kind == common_pb2.MATCH_KIND_FACE
    assert match.score >= match.threshold > 0
    assert decision.faces[0].quality_ok and decision.faces[0].camera_type == "colour"
    evidence = client.audit.GetEvidence(
        audit_pb2.GetEvidenceRequest(decision_id=decision.decision_id)
    )
    assert evidence.face_chip_jpeg.startswith(b"\xff\xd8")
    # what the officer compares it with: the chips the subject was enrolled from
    enrolled = client.watchlists.GetSubjectChips(
        watchlist_pb2.GetSubjectRequest(subject_id=reply.subject.id), metadata=OFFICER
    )
    assert len(enrolled.chips_jpeg) == 2
    assert all(chip.startswith(b"\xff\xd8") for chip in enrolled.chips_jpeg)


def test_a_stranger_is_clear_on_a_deny_lane_and_review_on_an_allow_lane(client: Client) -> None:
    enrol(client, "wanted", "Colin Powell", [lfw("Colin_Powell", 1)])
    enrol(client, "staff", "Tony Blair", [lfw("Tony_Blair", 1), lfw("Tony_Blair", 2)])
    stranger = lfw("Hugo_Chavez", 3)
    on_deny = client.screening.ScreenFrame(driver(stranger, passage="s1"))
    assert on_deny.outcome == common_pb2.OUTCOME_CLEAR, on_deny.reasons
    assert "best score" in on_deny.reasons[0].detail and not on_deny.matches
    on_allow = client.screening.ScreenFrame(driver(stranger, lane="gate-staff", passage="s2"))
    assert on_allow.outcome == common_pb2.OUTCOME_REVIEW
    assert codes(on_allow) == ["face_not_on_allow_list"]
    # A stranger is not a hit: no image of their face is kept, not even the frame.
    kept = client.audit.GetEvidence(audit_pb2.GetEvidenceRequest(decision_id=on_allow.decision_id))
    assert kept.face_chip_jpeg == b"" and kept.frame_jpeg == b""
    staff = client.screening.ScreenFrame(driver(lfw("Tony_Blair", 9), "gate-staff", "s3"))
    assert staff.outcome == common_pb2.OUTCOME_CLEAR, staff.reasons
    assert (
        codes(staff) == ["face_allow_list_match"] and staff.matches[0].subject_name == "Tony Blair"
    )


def test_enrolment_refuses_no_face_two_faces_and_a_tiny_face(client: Client) -> None:
    dogs = (FACES / "dlib_faces_detection" / "images" / "dogs.jpg").read_bytes()
    pair = (OPENFACE / "longoria-cooper.jpg").read_bytes()
    big = cv2.imread(str(OPENFACE / "adams.jpg"))
    tiny = cv2.imencode(".jpg", cv2.resize(big, (80, 106), interpolation=cv2.INTER_AREA))[1]
    for photo, problem in (
        (dogs, "no face found"),
        (pair, "2 faces found"),
        (tiny.tobytes(), "face too small"),
        (b"\xff\xd8not a jpeg", "photo 1"),
    ):
        with pytest.raises(grpc.RpcError) as refused:
            enrol(client, "wanted", "Nobody", [photo])
        assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert problem in (refused.value.details() or ""), refused.value.details()
    # A good photo beside a bad one: the subject is enrolled from the good one, the bad one named.
    reply = enrol(client, "wanted", "Amy Adams", [dogs, (OPENFACE / "adams.jpg").read_bytes()])
    assert [p.ok for p in reply.photos] == [False, True] and reply.subject.photo_count == 1
    assert "no face found" in reply.photos[0].error


def test_a_passage_decides_plate_and_face_together(client: Client) -> None:
    plate = plate_labels("openalpr_eu_dev")[LISTED_PHOTO]
    entry = watchlist_pb2.PlateEntry(
        plate=plate, category="stolen", action="stop", reason="stolen with its driver"
    )
    client.watchlists.AddPlateEntry(
        watchlist_pb2.AddPlateEntryRequest(watchlist="wanted", entry=entry), metadata=OFFICER
    )
    enrol(client, "wanted", "Gerhard Schroeder", [lfw("Gerhard_Schroeder", 1)], (plate,))
    plate_frame = screening_pb2.Frame(
        lane_id="lane-1",
        camera=common_pb2.CAMERA_ROLE_PLATE,
        frame_id="p1",
        image=(EU / LISTED_PHOTO).read_bytes(),
        passage_id="passage-agree",
    )
    first = client.screening.ScreenFrame(plate_frame)
    assert first.outcome == common_pb2.OUTCOME_HIT and codes(first) == ["deny_list_match"]
    both = client.screening.ScreenFrame(
        driver(lfw("Gerhard_Schroeder", 4), passage="passage-agree", frame_id="d1")
    )
    assert both.passage_id == "passage-agree" and list(both.frame_ids) == ["p1", "d1"]
    assert both.outcome == common_pb2.OUTCOME_HIT, both.reasons
    assert {"face_deny_list_match", "deny_list_match", "plate_and_face_agree"} <= set(codes(both))
    assert [p.text for p in both.plates] == [plate] and both.plates[0].frame_id == "p1"
    assert len(both.faces) == 1 and both.faces[0].frame_id == "d1"
    assert {m.subject_kind for m in both.matches} == {"plate", "face"}

    # The same stolen plate with someone else at the wheel: a person must look.
    client.screening.ScreenFrame(
        screening_pb2.Frame(
            lane_id="lane-1",
            camera=common_pb2.CAMERA_ROLE_PLATE,
            frame_id="p2",
            image=(EU / LISTED_PHOTO).read_bytes(),
            passage_id="passage-other",
        )
    )
    other = client.screening.ScreenFrame(
        driver(lfw("Donald_Rumsfeld", 2), passage="passage-other", frame_id="d2")
    )
    assert other.outcome == common_pb2.OUTCOME_REVIEW, other.reasons
    assert codes(other)[0] == "face_contradicts_enrolled_driver"
    assert "Gerhard Schroeder" in other.reasons[0].detail


def test_frames_without_a_passage_id_are_grouped_by_time(client: Client) -> None:
    first = client.screening.ScreenFrame(driver(lfw("Hugo_Chavez", 5), frame_id="t1"))
    second = client.screening.ScreenFrame(driver(lfw("Hugo_Chavez", 6), frame_id="t2"))
    assert first.passage_id.startswith("auto-") and second.passage_id == first.passage_id
    assert list(second.frame_ids)[-2:] == ["t1", "t2"] and len(second.faces) >= 2


def test_no_face_is_a_review_and_bad_frames_get_a_status(client: Client) -> None:
    dogs = (FACES / "dlib_faces_detection" / "images" / "dogs.jpg").read_bytes()
    decision = client.screening.ScreenFrame(driver(dogs, passage="dogs"))
    assert decision.outcome == common_pb2.OUTCOME_REVIEW and codes(decision) == ["no_face_found"]
    with pytest.raises(grpc.RpcError) as bad:
        client.screening.ScreenFrame(driver(b"\xff\xd8\xff garbage", passage="bad"))
    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_removing_a_subject_stops_its_hits(client: Client) -> None:
    reply = enrol(
        client, "wanted", "Ariel Sharon", [lfw("Ariel_Sharon", 1), lfw("Ariel_Sharon", 2)]
    )
    assert client.screening.ScreenFrame(driver(lfw("Ariel_Sharon", 8), passage="r1")).outcome == (
        common_pb2.OUTCOME_HIT
    )
    client.watchlists.RemoveSubject(
        watchlist_pb2.RemoveSubjectRequest(subject_id=reply.subject.id, reason="case closed"),
        metadata=OFFICER,
    )
    after = client.screening.ScreenFrame(driver(lfw("Ariel_Sharon", 8), passage="r2"))
    assert all(m.entry_id != reply.subject.id for m in after.matches)
    with pytest.raises(grpc.RpcError) as gone:
        client.watchlists.GetSubject(watchlist_pb2.GetSubjectRequest(subject_id=reply.subject.id))
    assert gone.value.code() is grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as gone:  # removal deleted the chips
        client.watchlists.GetSubjectChips(
            watchlist_pb2.GetSubjectRequest(subject_id=reply.subject.id), metadata=OFFICER
        )
    assert gone.value.code() is grpc.StatusCode.NOT_FOUND


def test_a_high_severity_subject_matches_once_another_person_approves(client: Client) -> None:
    supervisor = ((ACTOR_METADATA_KEY, "supervisor.ng"),)
    subject = watchlist_pb2.FaceSubject(
        name="George W. Bush",
        category="wanted",
        action="stop",
        priority=90,
        reason="test enrolment",
        legal_basis="court order",
        case_number="2026/204",
    )
    reply = client.watchlists.EnrolSubject(
        watchlist_pb2.EnrolSubjectRequest(
            watchlist="wanted",
            subject=subject,
            photos=[lfw("George_W_Bush", 1), lfw("George_W_Bush", 2)],
        ),
        metadata=OFFICER,
    )
    enrolled = reply.subject
    assert enrolled.status == watchlist_pb2.APPROVAL_STATUS_PENDING
    assert (enrolled.case_number, enrolled.updated_by) == ("2026/204", "officer.jones")
    probe = lfw("George_W_Bush", 7)

    def matched(passage: str) -> bool:
        decision = client.screening.ScreenFrame(driver(probe, passage=passage))
        return any(m.entry_id == enrolled.id for m in decision.matches)

    assert not matched("g1")
    pending = client.watchlists.ListSubjects(
        watchlist_pb2.ListSubjectsRequest(
            watchlist="wanted", status=watchlist_pb2.APPROVAL_STATUS_PENDING
        )
    )
    assert [s.id for s in pending.subjects] == [enrolled.id]
    with pytest.raises(grpc.RpcError) as own:
        client.watchlists.ApproveSubject(
            watchlist_pb2.ApproveSubjectRequest(subject_id=enrolled.id), metadata=OFFICER
        )
    assert own.value.code() is grpc.StatusCode.PERMISSION_DENIED
    rejected = client.watchlists.RejectSubject(
        watchlist_pb2.RejectSubjectRequest(subject_id=enrolled.id, note="which court?"),
        metadata=supervisor,
    )
    assert rejected.status == watchlist_pb2.APPROVAL_STATUS_REJECTED
    assert (rejected.reviewed_by, rejected.review_note) == ("supervisor.ng", "which court?")
    with pytest.raises(grpc.RpcError) as settled:
        client.watchlists.ApproveSubject(
            watchlist_pb2.ApproveSubjectRequest(subject_id=enrolled.id), metadata=supervisor
        )
    assert settled.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    edited = client.watchlists.UpdateSubject(
        watchlist_pb2.UpdateSubjectRequest(
            subject=watchlist_pb2.FaceSubject(id=enrolled.id, legal_basis="District Court order"),
            update_mask=FieldMask(paths=["legal_basis"]),
        ),
        metadata=OFFICER,
    )
    assert edited.status == watchlist_pb2.APPROVAL_STATUS_PENDING and not edited.reviewed_by
    assert not matched("g2")
    approved = client.watchlists.ApproveSubject(
        watchlist_pb2.ApproveSubjectRequest(subject_id=enrolled.id, note="order seen"),
        metadata=supervisor,
    )
    assert approved.status == watchlist_pb2.APPROVAL_STATUS_ACTIVE
    assert matched("g3")
