from dataclasses import replace
from datetime import UTC, datetime, timedelta

from lanescreen.domain.governance import Approval, ApprovalStatus
from lanescreen.domain.matching import MatchKind, PlateIndex, ReadText
from lanescreen.domain.watchlists import EntryFields, ListKind, MatchMode, PlateEntry, Watchlist

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def entry(
    id_: str,
    plate: str,
    *,
    wl: str = "deny",
    mode: MatchMode = MatchMode.EXACT,
    priority: int = 50,
    expires: datetime | None = None,
) -> PlateEntry:
    fields = EntryFields(plate=plate, match_mode=mode, priority=priority, expires_at=expires)
    return PlateEntry(id_, wl, fields, "officer", NOW, NOW)


LISTS = [Watchlist("deny", "stolen", ListKind.DENY), Watchlist("allow", "staff", ListKind.ALLOW)]


def kinds(
    index: PlateIndex, *texts: str, ids: set[str] | None = None
) -> list[tuple[str, MatchKind]]:
    reads = [ReadText(t, 0.9) for t in texts]
    return [
        (m.entry.id, m.kind) for m in index.match(reads, watchlist_ids=ids or {"deny"}, now=NOW)
    ]


def test_exact_entry_matches_only_the_same_characters() -> None:
    index = PlateIndex(LISTS, [entry("e1", "AB-123-C")])
    assert kinds(index, "AB123C") == [("e1", MatchKind.EXACT)]
    assert kinds(index, "A8123C") == []
    assert kinds(index, "AB123") == []


def test_lenient_entry_forgives_confusions_and_one_missing_or_extra_character() -> None:
    index = PlateIndex(LISTS, [entry("e1", "OSB120", mode=MatchMode.LENIENT)])
    assert kinds(index, "OSB120") == [("e1", MatchKind.EXACT)]
    assert kinds(index, "05812O") == [("e1", MatchKind.CONFUSABLE)]
    assert kinds(index, "OSB12") == [("e1", MatchKind.ONE_EDIT)]  # missing a character
    assert kinds(index, "OSB1207") == [("e1", MatchKind.ONE_EDIT)]  # an extra character
    assert kinds(index, "OSX1207") == []  # a substitution plus an insertion is too far
    assert kinds(index, "XYZ999") == []


def test_candidates_match_exact_entries_but_are_ranked_below_the_read() -> None:
    index = PlateIndex(LISTS, [entry("e1", "ABC123")])
    reads = [ReadText("A8C123", 0.6), ReadText("ABC123", 0.3, is_candidate=True)]
    [match] = index.match(reads, watchlist_ids={"deny"}, now=NOW)
    assert match.kind is MatchKind.CANDIDATE and match.read_text == "ABC123"


def test_expired_entries_never_match_and_other_lists_are_ignored() -> None:
    index = PlateIndex(
        LISTS,
        [
            entry("old", "ABC123", expires=NOW - timedelta(seconds=1)),
            entry("staff", "ABC123", wl="allow"),
        ],
    )
    assert kinds(index, "ABC123") == []
    assert kinds(index, "ABC123", ids={"allow"}) == [("staff", MatchKind.EXACT)]


def test_matches_are_ranked_by_priority_then_strength() -> None:
    index = PlateIndex(
        LISTS,
        [
            entry("low", "ABC123", priority=10),
            entry("high", "A8C123", priority=90, mode=MatchMode.LENIENT),
        ],
    )
    assert [m for m, _ in kinds(index, "ABC123")] == ["high", "low"]


def test_large_index_lookup_is_by_key_not_scan() -> None:
    entries = [entry(f"e{i}", f"Q{i:06d}", mode=MatchMode.LENIENT) for i in range(20000)]
    index = PlateIndex(LISTS, entries)
    assert index.size == 20000
    assert kinds(index, "Q012345") == [("e12345", MatchKind.EXACT)]


def test_entries_awaiting_approval_or_rejected_never_match() -> None:
    active = entry("e1", "AB123", mode=MatchMode.LENIENT)
    waiting = [
        replace(entry(f"e{n}", "AB123", mode=MatchMode.LENIENT), approval=Approval(status))
        for n, status in ((2, ApprovalStatus.PENDING), (3, ApprovalStatus.REJECTED))
    ]
    index = PlateIndex(LISTS, [active, *waiting])
    assert index.size == 1
    assert kinds(index, "AB123", "A8123", "AB1234") == [("e1", MatchKind.EXACT)]
    assert [w.active(NOW) for w in waiting] == [False, False] and active.active(NOW)
