"""One alert per vehicle: a vehicle the tracker followed as two passages, hitting the same
entry on one lane within seconds, is alerted once."""

from __future__ import annotations

from lanescreen.domain.alerting import AlertBook
from lanescreen.domain.passages import PassageView


def _view(key: str, first: float, last: float, lane: str = "lane-1") -> PassageView:
    return PassageView(key, lane, key, ("f",), 1, (), 0, (), first, last)


def test_a_second_passage_hitting_the_same_entry_soon_after_is_the_same_vehicle() -> None:
    book = AlertBook(window_s=10.0)
    assert book.admit(_view("glimpse", 0.0, 0.5), True, ["entry-1"])
    assert not book.admit(_view("near", 1.0, 2.0), True, ["entry-1"])
    # The first keeps its alert on its later frames; the second never gets one of its own.
    assert book.admit(_view("glimpse", 0.0, 3.0), True, ["entry-1"])
    assert not book.admit(_view("near", 1.0, 4.0), True, ["entry-1"])


def test_other_entries_lanes_and_times_are_other_vehicles() -> None:
    book = AlertBook(window_s=10.0)
    assert book.admit(_view("a", 0.0, 1.0), True, ["entry-1"])
    assert book.admit(_view("b", 1.0, 2.0), True, ["entry-1", "entry-2"])  # also another entry
    assert book.admit(_view("c", 1.0, 2.0, lane="lane-2"), True, ["entry-1"])
    assert book.admit(_view("d", 20.0, 21.0), True, ["entry-1"])  # after the window
    # A REVIEW (no entries) and an unworthy frame follow the plain rule.
    assert book.admit(_view("e", 2.0, 3.0), True, [])
    assert not book.admit(_view("f", 2.0, 3.0), False, ["entry-1"])
