"""Hits and false hits on simulated watchlists, counted with the server's own matching."""

from __future__ import annotations

import string

from lanescreen.domain.watchlists import MatchMode
from lanescreen.evaluation.watchlist import SetWatchlist, WatchlistTally, format_twins
from lanescreen.vision.types import Candidate, PlateText

LABELS = ["OSG719", "7ABC123", "皖AK9559", "WG4L2M"]


def _read(text: str, *candidates: str) -> PlateText:
    return PlateText(
        text, 0.8, tuple(0.8 for _ in text), tuple(Candidate(c, 0.1) for c in candidates)
    )


def _shape(text: str) -> str:
    return "".join(
        "#" if ch in string.digits else "@" if ch in string.ascii_uppercase else ch for ch in text
    )


def test_format_twins_look_like_the_labels_and_are_none_of_them() -> None:
    twins = format_twins(LABELS, 500, seed=3)
    assert len(twins) == len(set(twins)) == 500
    assert not set(twins) & set(LABELS)
    shapes = {_shape(label) for label in LABELS}
    assert all(_shape(t) in shapes for t in twins)
    # The province character is kept, as on a regional list; the rest varies.
    assert {t for t in twins if t.startswith("皖")} and all(
        t[0] == "皖" for t in twins if _shape(t) == _shape("皖AK9559")
    )
    assert format_twins(LABELS, 500, seed=3) == twins != format_twins(LABELS, 500, seed=4)
    # A set of one-digit labels has only nine twins to give.
    assert sorted(format_twins(["1"], 50)) == [d for d in string.digits if d != "1"]


def test_a_list_is_filled_up_to_its_size() -> None:
    listed = SetWatchlist(LABELS, list_size=1000)
    assert (listed.size, listed.labels) == (1000, 4)
    assert (SetWatchlist(LABELS, list_size=0).size, SetWatchlist(LABELS * 2, 2).labels) == (4, 4)


def test_hits_and_false_hits_on_each_list() -> None:
    listed = SetWatchlist(LABELS, list_size=0)
    tally = WatchlistTally()
    cases = [
        (_read("OSG719"), "OSG719"),  # read right: a hit on both lists
        (_read("0SG7I9"), "OSG719"),  # confusables: lenient only
        (_read("G4L2M"), "WG4L2M"),  # a character short: lenient only
        (_read("7A8C128", "7ABC123"), "7ABC123"),  # offered as a candidate: exact too
        (_read("7ABC123"), "皖AK9559"),  # another listed plate: a false hit on both
        (_read("XYZ"), "皖AK9559"),  # nothing listed
    ]
    for read, label in cases:
        tally.count_hit(listed, [read], label)
        tally.count_false(listed, [read], [label])
    tally.count_hit(listed, [], "OSG719")  # not found at all
    assert tally.plates == 7 and tally.looked == 6
    assert tally.hits == {MatchMode.EXACT: 2, MatchMode.LENIENT: 4}
    assert tally.false_hits == {MatchMode.EXACT: 1, MatchMode.LENIENT: 1}
    rates = tally.to_dict()
    assert rates["exact"] == {"hit_rate": round(2 / 7, 4), "false_hit_rate": round(1 / 6, 4)}
    assert rates["lenient"]["hit_rate"] == round(4 / 7, 4)


def test_a_frame_reads_its_own_plates_without_false_hits() -> None:
    listed = SetWatchlist(LABELS, list_size=0)
    tally = WatchlistTally()
    # Two listed plates in one frame: each read is the other's own plate, not a false hit.
    tally.count_false(listed, [_read("OSG719"), _read("WG4L2M")], ["OSG719", "WG4L2M"])
    assert tally.false_hits == {MatchMode.EXACT: 0, MatchMode.LENIENT: 0}


def test_the_lists_are_matched_as_the_server_matches() -> None:
    # Lenient folding applies to the read, never to a candidate (two guesses stacked).
    listed = SetWatchlist(LABELS, list_size=0)
    assert listed.matched([_read("XXXXXX", "0SG719")], MatchMode.LENIENT) == set()
    assert listed.matched([_read("XXXXXX", "OSG719")], MatchMode.LENIENT) == {"OSG719"}
