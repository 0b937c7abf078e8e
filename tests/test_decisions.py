from datetime import UTC, datetime

from lanescreen.domain.decisions import (
    CameraRole,
    Decision,
    Findings,
    LanePolicy,
    Outcome,
    PlateRead,
    ReasonCode,
    StageTiming,
    decide,
)
from lanescreen.domain.matching import PlateIndex, ReadText
from lanescreen.domain.watchlists import EntryFields, ListKind, PlateEntry, Watchlist
from lanescreen.vision.types import Box, Candidate

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LISTS = [Watchlist("d", "stolen", ListKind.DENY), Watchlist("a", "residents", ListKind.ALLOW)]
INDEX = PlateIndex(
    LISTS,
    [
        PlateEntry(
            "e1", "d", EntryFields("ABC123", category="stolen", action="stop"), "o", NOW, NOW
        ),
        PlateEntry("e2", "a", EntryFields("RES001"), "o", NOW, NOW),
    ],
)
DENY_LANE = LanePolicy(has_allow_lists=False, review_when_no_plate=True, min_read_confidence=0.5)
ALLOW_LANE = LanePolicy(has_allow_lists=True, review_when_no_plate=True, min_read_confidence=0.5)


def read(text: str, confidence: float = 0.9) -> PlateRead:
    return PlateRead(
        text, confidence, (confidence,) * len(text), (), Box(0, 0, 10, 5), None, 0.9, "test"
    )


def verdict(reads: list[PlateRead], policy: LanePolicy):  # type: ignore[no-untyped-def]
    texts = [ReadText(r.text, r.confidence) for r in reads]
    deny = INDEX.match(texts, watchlist_ids={"d"}, now=NOW)
    allow = INDEX.match(texts, watchlist_ids={"a"}, now=NOW) if policy.has_allow_lists else []
    return decide(Findings(reads, deny, allow, plate_frames=1), policy)


def test_deny_match_is_a_hit_naming_the_entry() -> None:
    v = verdict([read("ABC123")], DENY_LANE)
    assert v.outcome is Outcome.HIT
    assert v.reasons[0].code is ReasonCode.DENY_LIST_MATCH and "stolen" in v.reasons[0].detail
    assert v.matches[0].entry_id == "e1" and v.matches[0].action == "stop"


def test_unlisted_confident_read_is_clear_and_explained() -> None:
    v = verdict([read("XYZ999")], DENY_LANE)
    assert v.outcome is Outcome.CLEAR and v.reasons[0].code is ReasonCode.CLEAR


def test_doubtful_or_missing_reads_go_to_review() -> None:
    assert (
        verdict([read("XYZ999", 0.2)], DENY_LANE).reasons[0].code is ReasonCode.LOW_CONFIDENCE_READ
    )
    assert verdict([], DENY_LANE).reasons[0].code is ReasonCode.NO_PLATE_FOUND
    quiet = LanePolicy(has_allow_lists=False, review_when_no_plate=False, min_read_confidence=0.5)
    assert verdict([], quiet).outcome is Outcome.CLEAR


def test_allow_lane_reviews_strangers_and_clears_residents() -> None:
    stranger = verdict([read("XYZ999")], ALLOW_LANE)
    assert (
        stranger.outcome is Outcome.REVIEW
        and stranger.reasons[0].code is ReasonCode.NOT_ON_ALLOW_LIST
    )
    resident = verdict([read("RES001")], ALLOW_LANE)
    assert (
        resident.outcome is Outcome.CLEAR
        and resident.reasons[0].code is ReasonCode.ALLOW_LIST_MATCH
    )
    assert verdict([read("ABC123")], ALLOW_LANE).outcome is Outcome.HIT  # deny beats allow


def test_a_plate_read_in_several_frames_of_a_passage_is_named_once() -> None:
    frames = [read("XYZ999", 0.8), read("XYZ999", 0.9), read("XYZ998", 0.3), read("XYZ999", 0.7)]
    stranger = verdict(frames, ALLOW_LANE).reasons[0].detail
    assert stranger == "read XYZ999, XYZ998 is on none of the lane's allow lists"
    assert verdict(frames, DENY_LANE).reasons[0].detail.startswith("read XYZ999 matched")
    doubtful = verdict([read("XYZ999", 0.2), read("XYZ999", 0.3)], DENY_LANE).reasons[0].detail
    assert doubtful.startswith("read XYZ999 (0.30) is below")


def test_decision_json_round_trip() -> None:
    v = verdict([read("ABC123")], DENY_LANE)
    plate = read("ABC123")
    plate = PlateRead(
        **{
            **plate.__dict__,
            "candidates": (Candidate("A8C123", 0.1),),
            "corners": ((1.0, 2.0),) * 4,
        }
    )
    d = Decision(
        "id",
        "lane",
        "f1",
        CameraRole.PLATE,
        v.outcome,
        tuple(v.reasons),
        (plate,),
        tuple(v.matches),
        (StageTiming("detect", 3.5),),
        250,
        True,
        12.5,
        NOW,
        NOW,
    )
    assert Decision.from_json(d.to_json()) == d
