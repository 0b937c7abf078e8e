"""Synthetic plates: seeded and reproducible, labels that match what is drawn, every province."""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from lanescreen.domain.plates import CN_PROVINCES, CN_SPECIAL, LATIN, normalize_plate
from lanescreen.training.synth import (
    CHARSET,
    STYLES,
    FontSet,
    FontsMissingError,
    PlateRenderer,
    RenderConfig,
    Sample,
    default_style_weights,
    find_fonts,
)
from lanescreen.training.synth.degrade import DegradeConfig
from lanescreen.training.synth.elements import Disc, Fill, Item, PlateDesign, Polygon, Text
from lanescreen.training.synth.fonts import DEFAULT_FONT_DIRS, PACKAGES, ROLES
from lanescreen.training.synth.glyphs import GlyphCache
from lanescreen.training.synth.layouts import LABELS, SPECIALS, design
from lanescreen.training.synth.layouts.us import middle_mark, side_graphic
from lanescreen.training.synth.mount import choose_mount
from lanescreen.training.synth.vehicle import vehicle_frames

from tests.support import PLATE_FONTS_MISSING

CN_STYLES = ("cn_blue", "cn_yellow", "cn_green", "cn_white")


@pytest.fixture(scope="module")
def fonts() -> FontSet:
    if PLATE_FONTS_MISSING:
        pytest.skip(f"plate fonts not installed (`make deps`): {PLATE_FONTS_MISSING}")
    return find_fonts()


def _designs(style: str, n: int, seed: int = 0) -> list[PlateDesign]:
    rng = np.random.default_rng(seed)
    return [design(style, rng) for _ in range(n)]


def test_charset_is_latin_provinces_and_rendered_specials() -> None:
    assert LATIN[26:] + LATIN[:26] + CN_PROVINCES + SPECIALS == CHARSET
    assert len(set(CHARSET)) == len(CHARSET) == 36 + 31 + len(SPECIALS)
    assert set(SPECIALS) <= set(CN_SPECIAL)
    assert set(default_style_weights()) == set(STYLES)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_labels_match_their_layout_and_what_is_drawn(style: str) -> None:
    for plate in _designs(style, 300):
        assert plate.style == style
        assert set(plate.text) <= set(CHARSET)
        assert plate.text == normalize_plate(plate.text)
        assert LABELS[style].fullmatch(plate.text), plate.text
        assert plate.rows in (1, 2)
        # Characters sit inside the plate, in reading order, without overlapping.
        boxes = [c.box for c in plate.chars]
        rows = sorted({round(b.y) for b in boxes})
        assert len(rows) == plate.rows
        for b in boxes:
            assert b.x >= 0 and b.x + b.w <= plate.width + 1e-6
            assert b.y >= 0 and b.y + b.h <= plate.height + 1e-6
        for a, b in itertools.pairwise(boxes):
            same_row = round(a.y) == round(b.y)
            assert (same_row and a.x + a.w <= b.x + 1e-6) or (not same_row and b.y > a.y)


def test_all_provinces_appear_in_chinese_plates() -> None:
    seen = {p.text[0] for style in CN_STYLES for p in _designs(style, 750, seed=3)}
    assert seen == set(CN_PROVINCES)


def test_special_suffixes_are_rendered() -> None:
    texts = [p.text for s in ("cn_yellow", "cn_white", "cn_black") for p in _designs(s, 300)]
    assert {t[-1] for t in texts} >= set(SPECIALS)


def test_samples_are_pipeline_crops(fonts: FontSet) -> None:
    renderer = PlateRenderer(1, fonts=fonts)
    for sample in renderer.batch(40):
        assert isinstance(sample, Sample)
        image = sample.image
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        assert image.shape[0] == 64 and 64 <= image.shape[1] <= 64 * 8
        assert image.flags.c_contiguous
        assert sample.style in STYLES and LABELS[sample.style].fullmatch(sample.text)
        assert float(image.std()) > 1.0


def test_same_seed_same_images(fonts: FontSet) -> None:
    first = PlateRenderer(7, fonts=fonts).batch(10)
    again = PlateRenderer(7, fonts=fonts).batch(10)
    other = PlateRenderer(8, fonts=fonts).batch(10)
    assert [s.text for s in first] == [s.text for s in again]
    for a, b in zip(first, again, strict=True):
        assert a.image.shape == b.image.shape and a.image.tobytes() == b.image.tobytes()
    assert [s.text for s in first] != [s.text for s in other]


def test_a_pickled_renderer_continues_the_same_stream(fonts: FontSet) -> None:
    renderer = PlateRenderer(11, fonts=fonts, styles={"cn_blue": 1.0, "us": 1.0})
    renderer.batch(3)
    copy = pickle.loads(pickle.dumps(renderer))
    for a, b in zip(renderer.batch(5), copy.batch(5), strict=True):
        assert a.text == b.text and a.image.tobytes() == b.image.tobytes()


def test_style_weights_choose_styles(fonts: FontSet) -> None:
    only = PlateRenderer(2, fonts=fonts, styles={"br_mercosur": 1.0, "us": 0.0})
    assert {s.style for s in only.batch(10)} == {"br_mercosur"}
    with pytest.raises(ValueError, match="unknown plate styles"):
        PlateRenderer(2, fonts=fonts, styles={"mars": 1.0})
    with pytest.raises(ValueError, match="positive weight"):
        PlateRenderer(2, fonts=fonts, styles={"us": 0.0})


def test_every_degradation_at_once_still_gives_images(fonts: FontSet) -> None:
    always = DegradeConfig(
        dirt=1, fade=1, occlusion=1, lighting=1, shadow=1, glare=1, night=1, infrared=0.5, defocus=1,
        motion=1, colour=1, gamma=1, noise=1, jpeg=1, jpeg_quality=(20, 30),
    )  # fmt: skip
    never = DegradeConfig(
        dirt=0, fade=0, occlusion=0, lighting=0, shadow=0, glare=0, night=0, mono=0, defocus=0, motion=0,
        colour=0, gamma=0, noise=0, jpeg=0,
    )  # fmt: skip
    harsh = PlateRenderer(5, fonts=fonts, config=RenderConfig(degrade=always)).batch(12)
    clean = PlateRenderer(5, fonts=fonts, config=RenderConfig(degrade=never)).batch(12)
    assert [s.text for s in harsh] == [s.text for s in clean]
    for rough, plain in zip(harsh, clean, strict=True):
        assert rough.image.shape[0] == 64 and rough.image.size > 0
        assert float(rough.image.std()) > 0.5
        assert not np.array_equal(rough.image, plain.image)


def test_each_role_font_draws_its_characters(fonts: FontSet) -> None:
    glyphs = GlyphCache()
    for face in fonts.faces:
        wanted = CN_PROVINCES + SPECIALS if "hanzi" in face.roles else LATIN
        missing = glyphs.glyph(face, "\ue000").mask  # a private-use code point: .notdef
        for ch in wanted:
            mask = glyphs.glyph(face, ch).mask
            assert mask.size > 0, (face.name, ch)
            assert mask.shape != missing.shape or not np.array_equal(mask, missing), (face.name, ch)


def test_missing_fonts_name_the_debian_packages(tmp_path: Path) -> None:
    with pytest.raises(FontsMissingError) as caught:
        find_fonts([tmp_path])
    assert set(caught.value.packages) == set(PACKAGES)
    assert "apt-get install -y fonts-noto-cjk" in str(caught.value)
    with pytest.raises(FontsMissingError, match="no font for hanzi"):
        find_fonts([tmp_path], complete=False)
    with pytest.raises(FontsMissingError, match="no font for hanzi"):
        find_fonts([tmp_path], complete=False, borrow=True)  # nothing to borrow from


def test_borrowed_fonts_draw_latin_plates_with_any_font_there_is(tmp_path: Path) -> None:
    """The demo runs where the catalogue's packages are not installed: any outline font does."""
    any_font = next(
        (f for d in DEFAULT_FONT_DIRS if d.is_dir() for f in sorted(d.rglob("*.ttf"))), None
    )
    if any_font is None:
        pytest.skip("no TrueType font on this machine at all")
    (tmp_path / "plain.ttf").write_bytes(any_font.read_bytes())
    (tmp_path / "notes.txt").write_text("not a font", encoding="utf-8")
    fonts = find_fonts([tmp_path], complete=False, borrow=True)
    assert [(f.path.name, f.roles) for f in fonts.faces] == [("plain.ttf", frozenset(ROLES))]
    frames = vehicle_frames("eu_uk", 3, fonts)
    again = vehicle_frames("eu_uk", 3, fonts)
    assert [f.text for f in frames] == ["FV50LMD"] * 3
    assert all(np.array_equal(a.image, b.image) for a, b in zip(frames, again, strict=True))
    assert frames[0].image.shape == (720, 1280, 3)
    bare = vehicle_frames("eu_uk", 3, fonts, with_plate=False, frames=1)
    assert bare[0].text == "" and not np.array_equal(bare[0].image, frames[0].image)


def test_drawn_plate_typeface_glyphs_have_the_shapes_fonts_lack(fonts: FontSet) -> None:
    """Serifed I (not a T), M with its vertex halfway down (not an H), W the M upside down."""
    cache = GlyphCache()
    face = fonts.for_role("us")[0]
    i = cache.glyph(face, "I", drawn=True).mask > 127
    h, w = i.shape
    assert i[0].all() and i[-1].all()  # full-width bars at the top and the bottom
    assert i[h // 2].sum() < w / 2 and i[h // 2, w // 2]  # and only the stem between
    m = cache.glyph(face, "M", drawn=True).mask > 127
    h, w = m.shape
    middle = m[:, w // 2]
    assert middle[round(0.5 * h)] and not middle[round(0.8 * h) :].any()
    assert m[:, 0].all() and m[:, -1].all()  # upright sides
    flipped = cache.glyph(face, "W", drawn=True).mask[::-1] > 127
    assert (flipped == m).all()
    plain = cache.glyph(face, "I").mask > 127
    assert plain[plain.shape[0] // 2].sum() >= plain[0].sum() - 1  # the font's own I: a bar


def _extent(item: object) -> tuple[float, float, float, float]:
    """``(left, top, right, bottom)`` of a drawn item, in millimetres."""
    if isinstance(item, Fill | Text):
        r = item.rect if isinstance(item, Fill) else item.box
        return r.x, r.y, r.x + r.w, r.y + r.h
    if isinstance(item, Disc):
        return item.x - item.r, item.y - item.r, item.x + item.r, item.y + item.r
    assert isinstance(item, Polygon), item
    xs, ys = zip(*item.points, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


@pytest.mark.parametrize("painter", [middle_mark, side_graphic])
def test_us_marks_stay_in_their_slot(painter: Callable[..., list[Item]]) -> None:
    """A mark wider or taller than its slot would cover the characters beside it."""
    rng = np.random.default_rng(0)
    kinds = set()
    for _ in range(400):
        w, h = float(rng.uniform(30, 36)), float(rng.uniform(60, 74))
        items = painter(100.0, 50.0, w, h, rng, ink=(25, 25, 25))
        assert items
        kinds.add(tuple(type(i).__name__ for i in items))
        for item in items:
            left, top, right, bottom = _extent(item)
            assert 100 - w / 2 - 1e-6 <= left and right <= 100 + w / 2 + 1e-6, (item, w)
            assert 50 - h / 2 - 1e-6 <= top and bottom <= 50 + h / 2 + 1e-6, (item, h)
    assert len(kinds) >= 5  # emblems, outlines, trees, flags, hearts, bolts; cactuses, stars...


def test_us_plates_carry_marks_and_mostly_serials_without_i_o_q() -> None:
    plates = _designs("us", 600, seed=5)
    marked = [p for p in plates if any(isinstance(i, Polygon | Disc) for i in _between_chars(p))]
    assert 0.1 < len(marked) / len(plates) < 0.5
    # A graphic as tall as the characters just left of the first one, on some plates.
    beside = [p for p in plates if _left_of_chars(p)]
    assert 0.05 < len(beside) / len(plates) < 0.3
    texts = [p.text for p in plates]
    with_ioq = sum(bool(set(t) & set("IOQ")) for t in texts)
    assert 0 < with_ioq < 0.25 * len(texts)


def _between_chars(plate: PlateDesign) -> list[Item]:
    """Items drawn after the first label character and before the last (the row's marks)."""
    items = list(plate.items)
    chars = [i for i, item in enumerate(items) if item in plate.chars]
    return items[chars[0] + 1 : chars[-1]] if chars else []


def _left_of_chars(plate: PlateDesign) -> bool:
    """Whether a shape at least half the characters' height ends within a character's width to
    the left of the first character, level with it."""
    first = plate.chars[0].box
    for item in plate.items:
        if isinstance(item, Fill | Disc | Polygon):
            _, top, right, bottom = _extent(item)
            level = top < first.y + first.h and bottom > first.y
            if level and bottom - top >= 0.5 * first.h and first.x - first.w <= right <= first.x:
                return True
    return False


@pytest.mark.parametrize("style", ["us", "eu_generic", "cn_blue"])
def test_covering_frames_cover_margins_never_characters(style: str) -> None:
    """A frame's bars may hide a plate's margins, never a label character (its label would lie)."""
    rng = np.random.default_rng(11)
    covering = 0
    for plate in _designs(style, 400, seed=3):
        mount = choose_mount(plate, rng)
        if mount is None or not mount.front:
            continue
        covering += 1
        for item in mount.front:
            left, top, right, bottom = _extent(item)
            for char in plate.chars:
                box = char.box
                x, y = box.x + mount.left, box.y + mount.top
                apart = right <= x or left >= x + box.w or bottom <= y or top >= y + box.h
                assert apart, (style, plate.text, item, char)
    # US plates: about a fifth (frames 80%, dealer print half of them, covering half of those).
    share = covering / 400
    assert (0.1 < share < 0.35) if style == "us" else (0.0 < share < 0.1), share
