"""Passages of one vehicle each, followed over video frames: plate tracks by box and read, two
vehicles in one frame, the next vehicle, plates entering and leaving the picture, gaps."""

from __future__ import annotations

from dataclasses import replace

from lanescreen.domain.decisions import PlateRead
from lanescreen.domain.passages import PassageTracker
from lanescreen.vision.types import Box

MIN_CONFIDENCE = 0.6


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 1 / 12) -> None:
        self.now += seconds


def read(text: str, confidence: float, box: Box) -> PlateRead:
    each = confidence ** (1 / len(text)) if text else 0.0
    return PlateRead(text, confidence, tuple(each for _ in text), (), box, None, 0.9, "test")


def approaching(n: int, x: float = 600.0) -> list[Box]:
    """A plate coming closer: down the frame and larger, frame by frame."""
    return [Box(x - 2 * k, 300 + 6 * k, 80 + 3 * k, 20 + k) for k in range(n)]


def tracker(clock: Clock, **kw: float) -> PassageTracker:
    return PassageTracker(10.0, MIN_CONFIDENCE, clock=clock, **kw)  # type: ignore[arg-type]


def test_one_vehicle_over_thirty_frames_is_one_passage_with_one_consolidated_read() -> None:
    clock = Clock()
    passages = tracker(clock)
    texts = ["3GSR5", "C3GSR5", "C3G5R5", "C3GSR5", "23GS"] * 6  # partial reads and misreads
    ids = set()
    for k, (text, box) in enumerate(zip(texts, approaching(30), strict=True)):
        update = passages.add("lane-1", "", f"f{k}", reads=[read(text, 0.7, box)])
        clock.tick()
        ids.update(p.id for p in update.passages)
        assert not update.closed
    [view] = update.passages
    assert len(ids) == 1 and len(view.frame_ids) == 30
    [fused] = view.reads
    assert fused.text == "C3GSR5" and fused.frames == 30 and fused.track_id
    assert fused.confidence > 0.7  # agreeing frames make it surer than any one


def test_two_vehicles_in_the_same_frames_are_two_passages() -> None:
    clock = Clock()
    passages = tracker(clock)
    left, right = approaching(20, x=200), approaching(20, x=900)
    for k in range(20):
        update = passages.add(
            "lane-1",
            "",
            f"f{k}",
            reads=[read("AB123CD", 0.8, left[k]), read("XY987ZW", 0.8, right[k])],
        )
        clock.tick()
    assert len(update.passages) == 2
    assert sorted(p.reads[0].text for p in update.passages) == ["AB123CD", "XY987ZW"]
    assert passages.open_passages("lane-1") == 2


def test_the_next_vehicle_closes_the_passage_of_the_one_before() -> None:
    clock = Clock()
    passages = tracker(clock)
    for k, box in enumerate(approaching(10)):
        first = passages.add("lane-1", "", f"a{k}", reads=[read("AB123CD", 0.8, box)])
        clock.tick()
    update = passages.add("lane-1", "", "b0", reads=[read("KL456MN", 0.8, approaching(1)[0])])
    [closed] = update.closed
    assert closed.id == first.passages[0].id and closed.closed
    assert update.passages[0].id != closed.id and update.passages[0].reads[0].text == "KL456MN"


def test_frames_before_the_plate_shows_belong_to_the_vehicle() -> None:
    clock = Clock()
    passages = tracker(clock)
    early = passages.add("lane-1", "", "f0", reads=[])
    clock.tick()
    later = passages.add("lane-1", "", "f1", reads=[read("AB123CD", 0.8, approaching(1)[0])])
    assert early.passages[0].id == later.passages[0].id
    assert later.passages[0].frame_ids == ("f0", "f1")


def test_a_passage_closes_when_its_plate_is_gone_and_reopens_if_it_comes_back() -> None:
    clock = Clock()
    passages = tracker(clock, gap_s=1.0, gap_frames=5)
    boxes = approaching(5)
    for k, box in enumerate(boxes):
        first = passages.add("lane-1", "", f"a{k}", reads=[read("AB123CD", 0.8, box)])
        clock.tick()
    closed = []
    for k in range(7):  # the lane keeps sending frames without the plate
        closed += passages.add("lane-1", "", f"e{k}", reads=[]).closed
        clock.tick()
    assert [p.id for p in closed] == [first.passages[0].id]
    # The same plate again within the window: the same vehicle, not a second alert.
    again = passages.add("lane-1", "", "r0", reads=[read("AB123CD", 0.8, Box(10, 10, 90, 25))])
    assert again.passages[0].id == first.passages[0].id
    # A lane gone quiet: the sweep closes it once the gap has passed.
    clock.tick(1.5)
    assert [p.id for p in passages.sweep()] == [first.passages[0].id]
    assert passages.sweep() == []


def test_frames_of_a_named_passage_stay_together_and_driver_frames_join_the_latest() -> None:
    clock = Clock()
    passages = tracker(clock)
    a = passages.add("lane-1", "p-7", "f0", reads=[read("AB123CD", 0.8, approaching(1)[0])])
    b = passages.add("lane-1", "p-7", "f1", reads=[read("KL456MN", 0.9, Box(0, 0, 50, 10))])
    assert a.passages[0].id == b.passages[0].id == "p-7"
    assert len(b.passages[0].reads) == 2  # two tracks within the passage the terminal named
    auto = passages.add("lane-2", "", "g0", reads=[read("XY987ZW", 0.8, approaching(1)[0])])
    driver = passages.add("lane-2", "", "g1", faces=[])
    assert driver.passages[0].id == auto.passages[0].id and driver.passages[0].face_frames == 1


def test_focus_searches_near_tracked_plates_and_the_whole_frame_on_schedule() -> None:
    clock = Clock()
    passages = tracker(clock, full_frame_every=3)
    assert passages.focus("lane-1").whole_frame  # nothing tracked: search it all
    boxes = approaching(8)
    turns = []
    for k in range(6):
        passages.add("lane-1", "", f"f{k}", reads=[read("AB123CD", 0.8, boxes[k])])
        clock.tick()
        focus = passages.focus("lane-1")
        turns.append(focus.whole_frame)
        [track] = focus.tracks
        # Where the plate should be next: moved on as it last moved (seen once: where it was).
        expected = boxes[k + 1] if k else boxes[0]
        assert abs(track.box.y - expected.y) < 1e-6 and abs(track.box.width - expected.width) < 1e-6
    assert turns == [False, False, True, False, False, True]  # every third frame is searched whole
    for k in range(2):  # the plate is gone from two frames: no longer expected anywhere
        passages.add("lane-1", "", f"e{k}", reads=[])
        clock.tick()
    assert passages.focus("lane-1").tracks == ()


def test_a_settled_read_is_carried_two_frames_then_read_again() -> None:
    clock = Clock()
    passages = tracker(clock, settled_frames=4)
    boxes = approaching(20)
    confident = [read("AB123CD", 0.95, boxes[k]) for k in range(20)]
    for k in range(3):
        passages.add("lane-1", "", f"f{k}", reads=[confident[k]])
        clock.tick()
        assert passages.focus("lane-1").tracks[0].settled is None  # not over enough frames yet
    passages.add("lane-1", "", "f3", reads=[confident[3]])
    clock.tick()
    focus = passages.focus("lane-1")
    settled = focus.settled_read(boxes[4])
    assert settled is not None and settled.text == "AB123CD" and settled.frames == 4
    assert focus.settled_read(Box(1200, 50, 80, 20)) is None  # a plate elsewhere: read it
    carried = [True]
    for k in range(4, 8):
        focus = passages.focus("lane-1")
        settled = focus.settled_read(boxes[k])
        carried.append(settled is not None)
        this = confident[k] if settled is None else replace(settled, box=boxes[k], carried=True)
        update = passages.add("lane-1", "", f"f{k}", reads=[this])
        clock.tick()
    assert carried == [True, True, True, False, True]  # two carried, then read again
    [fused] = update.passages[0].reads
    assert fused.frames == 5  # four reads, one check: carried frames are not counted


def test_a_read_that_disagrees_unsettles_the_track() -> None:
    clock = Clock()
    passages = tracker(clock, settled_frames=3)
    boxes = approaching(6)
    for k, text in enumerate(["AB123CD", "AB123CD", "AB123CD", "AB123CD", "AB128CD"]):
        passages.add("lane-1", "", f"f{k}", reads=[read(text, 0.95, boxes[k])])
        clock.tick()
    assert passages.focus("lane-1").tracks[0].settled is None


def test_a_passage_the_sweep_ended_is_told_to_the_lanes_next_frame() -> None:
    clock = Clock()
    passages = tracker(clock, gap_s=1.0)
    first = passages.add("lane-1", "", "a0", reads=[read("AB123CD", 0.8, approaching(1)[0])])
    clock.tick(2.0)
    [swept] = passages.sweep()
    assert swept.id == first.passages[0].id and swept.closed
    clock.tick(30.0)  # long after: a new vehicle, and the end of the one before told once
    update = passages.add("lane-1", "", "b0", reads=[read("KL456MN", 0.8, approaching(1)[0])])
    assert [p.id for p in update.closed] == [swept.id] and update.closed[0].closed
    assert passages.add("lane-1", "", "b1", reads=[]).closed == ()
