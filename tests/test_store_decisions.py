"""The hit log: HIT and REVIEW kept whole with evidence, CLEAR kept minimally and purged."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from lanescreen.domain.decisions import Decision, Outcome, PassageState
from lanescreen.domain.watchlists import ListKind
from lanescreen.errors import ConflictError, InvalidRequestError, NotFoundError
from lanescreen.store.db import Database
from lanescreen.store.decisions import DecisionStore, Evidence, HitFilter
from lanescreen.store.dispositions import DispositionStore
from lanescreen.store.models import DecisionMatchRow, DecisionRow, FrameLogRow
from lanescreen.store.watchlists import WatchlistStore
from sqlalchemy import func, select

from tests.store_fixtures import make_decision

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
CROP = b"\xff\xd8\xff\xe0crop-jpeg"
FRAME = b"\xff\xd8\xff\xe0frame-jpeg" * 1000


@pytest.fixture
def store(database: Database) -> DecisionStore:
    return DecisionStore(database)


def bare(decisions: list[Decision]) -> list[Decision]:
    """Listed decisions without the alert summary the hit log adds."""
    return [replace(d, alert=None) for d in decisions]


def count(db: Database, table: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_hit_is_kept_whole_with_its_evidence(store: DecisionStore, database: Database) -> None:
    decision = make_decision(Outcome.HIT, decided_at=T0)
    store.record(decision, Evidence(plate_crop_jpeg=CROP, frame_jpeg=FRAME))
    hits, token = store.list_hits(HitFilter())
    assert bare(hits) == [decision] and token == ""
    assert hits[0].alert is not None and hits[0].alert.frames == 1
    assert store.get_evidence(decision.decision_id) == Evidence(CROP, FRAME)
    with database.read() as session:
        row = session.get(DecisionRow, decision.decision_id)
        assert row is not None and row.plate_text == "ABC123" and row.lane_id == "lane-1"
        assert {k: v for k, v in row.record.items() if k != "history"} == decision.to_json()
        assert [h["outcome"] for h in row.record["history"]] == ["HIT"]
        matches = session.execute(
            select(DecisionMatchRow.watchlist_id, DecisionMatchRow.entry_id)
        ).all()
        assert [tuple(m) for m in matches] == [("wl-stolen", "entry-ABC123")]
        [logged] = session.scalars(select(FrameLogRow))
        assert (logged.outcome, logged.frame_id, logged.plate_text) == ("HIT", "frame-1", "ABC123")


def _frame_of(passage: str, alert: str, n: int, outcome: Outcome, confidence: float) -> Decision:
    """Frame ``n`` of one passage, as the screener sends it: its passage's state and alert."""
    base = make_decision(outcome, decided_at=T0 + timedelta(seconds=n), frame_id=f"f{n}")
    read = replace(base.plates[0], confidence=confidence, frames=n + 1, track_id="track-1")
    state = PassageState(
        passage_id=passage,
        outcome=outcome,
        reasons=base.reasons,
        plates=(read,),
        frames=n + 1,
        matches=base.matches,
        alert_id=alert,
    )
    return replace(base, passage_id=passage, plates=(read,), passages=(state,))


def test_the_frames_of_a_passage_make_one_alert(store: DecisionStore, database: Database) -> None:
    alert = "alert-7"
    review = _frame_of("p-1", alert, 0, Outcome.REVIEW, 0.5)
    hits = [_frame_of("p-1", alert, n, Outcome.HIT, c) for n, c in ((1, 0.7), (2, 0.95), (3, 0.8))]
    store.record(review, Evidence(b"crop-0", b"frame-0"))
    for n, hit in enumerate(hits, 1):
        store.record(hit, Evidence(f"crop-{n}".encode(), f"frame-{n}".encode()))
    [listed], _ = store.list_hits(HitFilter())
    assert listed.decision_id == alert and listed.outcome is Outcome.HIT  # escalated, one alert
    assert store.get_evidence(alert) == Evidence(b"crop-2", b"frame-2")  # its best frame's
    assert store.get_evidence(hits[0].decision_id) == Evidence(b"crop-2", b"frame-2")
    with database.read() as session:
        row = session.get(DecisionRow, alert)
        assert row is not None and row.frame_count == 4
        assert [h["outcome"] for h in row.record["history"]] == ["REVIEW", "HIT"]
        logged = session.scalars(select(FrameLogRow.alert_id)).all()
        assert logged == [alert] * 4
    # An officer disposes of the alert, naming it or any of its frames.
    DispositionStore(database).dispose(hits[2].decision_id, "confirmed", "vehicle_stopped", "", "o")
    assert store.list_hits(HitFilter(disposition="pending"))[0] == []
    check = store.verify_against_trail()
    assert check.ok and check.decisions == 1


def test_an_alerts_end_told_again_changes_nothing_and_a_reopened_one_goes_on(
    store: DecisionStore, database: Database
) -> None:
    alert = "alert-8"
    store.record(_frame_of("p-2", alert, 0, Outcome.HIT, 0.9), None)
    ended = _frame_of("p-2", alert, 1, Outcome.HIT, 0.9)
    ended = replace(ended, frame_id="", passages=(replace(ended.passages[0], closed=True),))
    store.record(ended, None)  # the sweep ended it while the lane was quiet
    # The lane's next frame (another vehicle's) tells its terminal of that end again.
    told = _frame_of("p-9", "", 5, Outcome.CLEAR, 0.9)
    store.record(replace(told, passages=(*told.passages, ended.passages[0])), None)

    def alert_row() -> tuple[int, bool, list[bool]]:
        with database.read() as session:
            row = session.get(DecisionRow, alert)
            assert row is not None
            closed = [h["closed"] for h in row.record["history"]]
            return row.frame_count, row.closed_at is not None, closed

    assert alert_row() == (1, True, [False, True])
    store.record(_frame_of("p-2", alert, 6, Outcome.HIT, 0.9), None)  # its plate seen again
    assert alert_row() == (2, False, [False, True, False])


def test_a_review_without_evidence_or_matches(store: DecisionStore) -> None:
    decision = make_decision(Outcome.REVIEW, decided_at=T0)
    store.record(decision, None)
    assert bare(store.list_hits(HitFilter())[0]) == [decision]
    assert store.get_evidence(decision.decision_id) == Evidence(None, None)


def test_clear_keeps_only_lane_plate_and_time(store: DecisionStore, database: Database) -> None:
    decision = make_decision(Outcome.CLEAR, decided_at=T0, plate="XYZ999")
    store.record(decision, Evidence(CROP, FRAME))
    assert count(database, DecisionRow) == 0 and store.list_hits(HitFilter()) == ([], "")
    with database.read() as session:
        row = session.scalars(select(FrameLogRow)).one()
    assert (row.lane_id, row.plate_text, row.decided_at) == ("lane-1", "XYZ999", T0)
    with pytest.raises(NotFoundError):
        store.get_evidence(decision.decision_id)


def test_clear_without_a_plate(store: DecisionStore, database: Database) -> None:
    decision = make_decision(Outcome.CLEAR, decided_at=T0)
    store.record(decision.__class__(**{**decision.__dict__, "plates": ()}), None)
    with database.read() as session:
        assert session.scalar(select(FrameLogRow.plate_text)) == ""


def test_recording_the_same_decision_twice_is_a_conflict(store: DecisionStore) -> None:
    decision = make_decision(Outcome.HIT, decided_at=T0)
    store.record(decision, None)
    with pytest.raises(ConflictError):
        store.record(decision, None)
    assert len(store.list_hits(HitFilter())[0]) == 1


def test_terminal_text_with_nul_is_recorded(store: DecisionStore) -> None:
    decision = make_decision(Outcome.REVIEW, decided_at=T0, frame_id="cam\x00era")
    store.record(decision, None)
    assert bare(store.list_hits(HitFilter())[0]) == [decision]


def test_filters(store: DecisionStore, database: Database) -> None:
    wl = WatchlistStore(database).create_watchlist("stolen", ListKind.DENY, "", "officer")
    hits = [
        make_decision(Outcome.HIT, decided_at=T0, lane_id="lane-1", watchlist_id=wl.id),
        make_decision(
            Outcome.HIT, decided_at=T0 + timedelta(hours=1), lane_id="lane-2", watchlist_id=wl.id
        ),
        make_decision(Outcome.REVIEW, decided_at=T0 + timedelta(hours=2), lane_id="lane-1"),
        make_decision(Outcome.HIT, decided_at=T0 + timedelta(hours=3), watchlist_id="other-list"),
    ]
    for d in hits:
        store.record(d, None)

    def ids(f: HitFilter) -> list[str]:
        return [d.decision_id for d in store.list_hits(f)[0]]

    assert ids(HitFilter()) == [d.decision_id for d in reversed(hits)]
    assert ids(HitFilter(outcome=Outcome.REVIEW)) == [hits[2].decision_id]
    assert ids(HitFilter(lane_id="lane-2")) == [hits[1].decision_id]
    assert ids(HitFilter(watchlist="stolen")) == [hits[1].decision_id, hits[0].decision_id]
    assert ids(HitFilter(watchlist=wl.id)) == ids(HitFilter(watchlist="stolen"))
    window = HitFilter(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
    assert ids(window) == [hits[2].decision_id, hits[1].decision_id]
    naive = HitFilter(since=(T0 + timedelta(hours=1)).replace(tzinfo=None))
    assert len(ids(naive)) == 3
    with pytest.raises(NotFoundError, match="nope"):
        store.list_hits(HitFilter(watchlist="nope"))
    with pytest.raises(InvalidRequestError, match="outcome"):
        store.list_hits(HitFilter(outcome=Outcome.CLEAR))


def test_paging_newest_first_and_export_order_oldest_first(store: DecisionStore) -> None:
    decisions = [
        make_decision(Outcome.HIT, decided_at=T0 + timedelta(minutes=n // 2)) for n in range(23)
    ]
    for d in decisions:
        store.record(d, None)
    newest_first = sorted(decisions, key=lambda d: (d.decided_at, d.decision_id), reverse=True)
    seen: list[str] = []
    token = ""
    while True:
        page, token = store.list_hits(HitFilter(), page_size=5, page_token=token)
        seen.extend(d.decision_id for d in page)
        if not token:
            break
    assert seen == [d.decision_id for d in newest_first]
    exported = [d.decision_id for d in store.iter_hits(HitFilter(), batch=4)]
    assert exported == seen[::-1]


def test_page_tokens_are_checked(store: DecisionStore) -> None:
    for n in range(3):
        store.record(make_decision(Outcome.HIT, decided_at=T0 + timedelta(minutes=n)), None)
    _, token = store.list_hits(HitFilter(), page_size=1)
    assert token
    for bad in ["garbage", "W10", token[:-4]]:
        with pytest.raises(InvalidRequestError, match="page_token"):
            store.list_hits(HitFilter(), page_token=bad)
    with pytest.raises(InvalidRequestError, match="different filter"):
        store.list_hits(HitFilter(lane_id="lane-1"), page_token=token)
    with pytest.raises(InvalidRequestError, match="page_size"):
        store.list_hits(HitFilter(), page_size=-5)


def test_lookups_with_text_no_database_can_hold_find_nothing(store: DecisionStore) -> None:
    store.record(make_decision(Outcome.HIT, decided_at=T0, lane_id="lane\x00x"), None)
    assert len(store.list_hits(HitFilter(lane_id="lane\x00x"))[0]) == 1
    assert store.list_hits(HitFilter(lane_id="lane\udce9"))[0] == []
    with pytest.raises(NotFoundError):
        store.get_evidence("dec\x00ision")
    with pytest.raises(NotFoundError):
        store.list_hits(HitFilter(watchlist="st\x00len"))
