from lanescreen.domain.plates import (
    canonical,
    fitted,
    guess_region,
    normalize_plate,
    normalize_read,
    plate_format,
    settle_read,
)
from lanescreen.vision.types import Candidate, PlateText


def test_normalize_drops_separators_and_folds_case_and_width() -> None:
    assert normalize_plate(" ab-12 3.c ") == "AB123C"
    assert normalize_plate("ＡＢ１２３") == "AB123"  # full-width forms from some terminals
    assert normalize_plate("皖A·D1234") == "皖AD1234"


def test_normalize_read_keeps_confidences_of_surviving_characters() -> None:
    text, conf = normalize_read("ab-1", [0.9, 0.8, 0.1, 0.7])
    assert text == "AB1"
    assert conf == (0.9, 0.8, 0.7)


def test_canonical_folds_ocr_confusions() -> None:
    assert canonical("O8S1Z") == canonical("0B5I2")
    assert canonical("ABC") != canonical("XYZ")


def test_formats_and_regions() -> None:
    assert plate_format("皖AD12345").name == "cn_new_energy"  # type: ignore[union-attr]
    assert plate_format("ABC1D23").name == "br_mercosur"  # type: ignore[union-attr]
    assert guess_region("京PL3N67") == "cn"
    assert plate_format("ABC1234", "br").region == "br"  # type: ignore[union-attr]
    assert plate_format("??") is None


def test_chinese_characters_survive_only_in_a_chinese_layout() -> None:
    conf = (0.9,) * 8
    # A real Chinese plate keeps its province (standard, new-energy and special-use layouts).
    for text in ("皖AHM553", "粤BD12345", "沪A12345F", "粤Z0326港"):
        assert normalize_read(text, conf[: len(text)])[0] == text
    # An EU band or coat of arms read as a province character, or a stray one, goes.
    assert normalize_read("粤RK755AJ", conf) == ("RK755AJ", (0.9,) * 7)
    assert normalize_read("RK7鲁55AJ", conf)[0] == "RK755AJ"
    assert normalize_read("A12港", conf[:4])[0] == "A12"
    # A region that is not Chinese keeps no Chinese character at all; "cn" keeps the layout rule.
    assert normalize_read("皖AHM553", conf[:7], "eu")[0] == "AHM553"
    assert normalize_read("皖AHM553", conf[:7], "cn")[0] == "皖AHM553"
    assert normalize_read("皖AHI553", conf[:7], "cn")[0] == "AHI553"  # no I after the letter


def _read(text: str, confidence: float, *candidates: tuple[str, float]) -> PlateText:
    return PlateText(
        text, confidence, (confidence,) * len(text), tuple(Candidate(t, c) for t, c in candidates)
    )


def test_a_broken_chinese_reading_gives_way_to_a_candidate_with_the_layout() -> None:
    # The reader saw the province but dropped a character; its second reading has the layout.
    read = _read("皖A9559", 0.99, ("皖A559", 0.02), ("皖AK9559", 0.01))
    for region in ("cn", ""):
        settled = settle_read(read, region)
        assert settled.text == "皖AK9559" and settled.confidence == 0.01
        assert settled.char_confidences == (0.01,) * 7
        # The reader's own reading leads the candidates (as the lane normalises it).
        assert [c.text for c in settled.candidates] == ["A9559", "A559"]
        assert settled.candidates[0].confidence == 0.99


def test_only_chinese_lanes_and_broken_chinese_readings_are_settled_by_layout() -> None:
    read = _read("皖A9559", 0.99, ("皖AK9559", 0.01))
    # A US lane never sees a Chinese plate: the province is a badge, the layout rules nothing.
    assert settle_read(read, "us").text == "A9559"
    # A reading with the layout stands, however likely a candidate is.
    assert settle_read(_read("皖AK9559", 0.5, ("皖AK955", 0.4)), "cn").text == "皖AK9559"
    # A reading without a province is not a Chinese plate (a foreign car on a CN lane).
    assert settle_read(_read("AB1234", 0.9, ("皖AB1234", 0.5)), "cn").text == "AB1234"
    # Where the region is unknown, a Latin layout behind the "province" is a US plate with a
    # badge read as one; on a CN lane it is a broken Chinese plate.
    badge = _read("川ASC7399", 0.6, ("川AS7399", 0.2))
    assert settle_read(badge, "").text == "ASC7399"
    assert settle_read(badge, "cn").text == "川AS7399"
    # No candidate with the layout: the reading stands.
    assert settle_read(_read("皖A9559", 0.9, ("皖A55", 0.5)), "cn").text == "A9559"


def test_a_chinese_bottom_row_gives_way_to_its_plate_among_the_candidates() -> None:
    """A two-row plate read as one line reads as its bottom row; read with its rows side by side
    (a candidate), it is the whole plate."""
    read = _read("0A246", 0.97, ("黑Y0A246", 0.28), ("黑Y0A24", 0.2))
    for region in ("cn", ""):
        settled = settle_read(read, region)
        assert settled.text == "黑Y0A246" and settled.confidence == 0.28
        assert [c.text for c in settled.candidates][:1] == ["0A246"]
    assert settle_read(read, "us").text == "0A246"
    # Only the bottom row: a plate with its province dropped is a foreign plate's reading.
    assert settle_read(_read("Y0A246", 0.9, ("黑Y0A246", 0.3)), "cn").text == "Y0A246"
    # A US plate whose side-by-side view read a state name too: no Chinese layout, no change.
    assert settle_read(_read("5UVR090", 0.95, ("M5UVR090", 0.83)), "").text == "5UVR090"


def test_candidates_are_normalised_once_each_and_never_the_reading() -> None:
    read = _read("ab-123", 0.9, ("AB 123", 0.5), ("A8123", 0.2), ("a8-123", 0.1), ("--", 0.1))
    settled = settle_read(read)
    assert settled.text == "AB123"
    assert [(c.text, c.confidence) for c in settled.candidates] == [("A8123", 0.2)]


def test_a_us_lane_reads_the_letter_o_as_zero_and_keeps_the_reading_as_a_candidate() -> None:
    read = PlateText("HB6LOZ", 0.56, (0.9, 0.9, 0.9, 0.9, 0.3, 0.9), (Candidate("HB6L0Z", 0.3),))
    settled = settle_read(read, "us")
    assert settled.text == "HB6L0Z"
    assert settled.char_confidences == read.char_confidences
    assert [c.text for c in settled.candidates] == ["HB6LOZ"]
    # No other region folds the letter: an EU plate may have both.
    assert settle_read(read, "eu").text == "HB6LOZ"
    assert settle_read(read, "").text == "HB6LOZ"


def test_a_br_lane_fits_a_read_to_the_national_layouts() -> None:
    # A fitting candidate wins over confusable swaps; the reading leads the candidates.
    read = PlateText("A8C1234", 0.8, (0.9,) * 7, (Candidate("ABC1234", 0.1),))
    settled = settle_read(read, "br")
    assert (settled.text, settled.confidence) == ("ABC1234", 0.1)
    assert settled.candidates[0] == Candidate("A8C1234", 0.8)
    # Without one, the fewest swaps that fit a layout (the old one here, not Mercosur's);
    # the swapped character's confidence is no more than the whole read's, now halved.
    swapped = settle_read(PlateText("A8C1234", 0.8, (0.9,) * 7), "br")
    assert swapped.text == "ABC1234"
    assert swapped.confidence == 0.4
    assert swapped.char_confidences == (0.9, 0.4, 0.9, 0.9, 0.9, 0.9, 0.9)
    mercosur = settle_read(PlateText("ABC1D23", 0.9, (0.9,) * 7), "br")
    assert mercosur.text == "ABC1D23"  # fits: untouched
    # A reading that fits no layout even so stays as read.
    assert settle_read(PlateText("AB12", 0.9, (0.9,) * 4), "br").text == "AB12"


def test_fitted_swaps_only_confusable_characters() -> None:
    assert fitted("0BC1234", "@@@####") == "OBC1234"
    assert fitted("ABCI23S", "@@@####") == "ABC1235"
    assert fitted("ABCX234", "@@@####") is None
    assert fitted("ABC123", "@@@####") is None
