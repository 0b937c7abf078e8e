"""Plate text: normalisation per region, known formats, and the OCR confusions lenient matching forgives.

Plates are compared in a normal form: upper-case Latin letters and digits, plus the province
character that leads a Chinese plate. Spaces, dashes, dots and anything a reader invents between
characters are dropped, because watchlists and readers never agree on them.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..vision.types import Candidate, PlateText, other_readings

CN_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
"""The 31 province-level abbreviations that open a Chinese civil plate."""
CN_SPECIAL = "学警港澳挂使领试超"
"""Suffix characters of special-use Chinese plates (school, police, Hong Kong, Macau, trailer...)."""
LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

_ALLOWED = frozenset(LATIN + CN_PROVINCES + CN_SPECIAL)

# Each class maps to the character that stands for it; O/0, I/1, B/8, S/5, Z/2 per the field's
# reports, plus the pairs plate fonts make just as alike (Q/D/U/0, G/6, T/7, A/4).
_CONFUSION_CLASSES = ("0ODQU", "1IL", "8B", "5S", "2Z", "6G", "7T", "4A")
_CANONICAL = {ch: cls[0] for cls in _CONFUSION_CLASSES for ch in cls}


@dataclass(frozen=True)
class PlateFormat:
    """A named plate layout: ``@`` a letter, ``#`` a digit, ``*`` either, ``P`` a CN province."""

    region: str
    name: str
    pattern: str

    def matches(self, text: str) -> bool:
        return _compile(self.pattern).fullmatch(text) is not None


def _compile(pattern: str) -> re.Pattern[str]:
    parts = {"@": "[A-Z]", "#": "[0-9]", "*": "[A-Z0-9]", "P": f"[{CN_PROVINCES}]"}
    return re.compile("".join(parts.get(ch, re.escape(ch)) for ch in pattern))


FORMATS: tuple[PlateFormat, ...] = (
    PlateFormat("cn", "cn_standard", "P@*****"),
    PlateFormat("cn", "cn_new_energy", "P@******"),
    PlateFormat("br", "br_mercosur", "@@@#@##"),
    PlateFormat("br", "br_old", "@@@####"),
    PlateFormat("us", "us_3l4d", "@@@####"),
    PlateFormat("us", "us_1d3l3d", "#@@@###"),
    PlateFormat("us", "us_3d3l", "###@@@"),
    PlateFormat("us", "us_3l3d", "@@@###"),
    PlateFormat("eu", "eu_de", "@@@@####"),
    PlateFormat("eu", "eu_fr", "@@###@@"),
    PlateFormat("eu", "eu_it", "@@###@@"),
    PlateFormat("eu", "eu_es", "####@@@"),
    PlateFormat("eu", "eu_uk", "@@##@@@"),
    PlateFormat("eu", "eu_pl", "@@*****"),
)
"""Common layouts used to name a read's format and rank candidates; unknown layouts still match."""


def normalize_plate(text: str) -> str:
    """Upper-case, fold full-width forms and lookalike letters, keep only plate characters.

    Lenient: a letter that is no plate character and looks like none is dropped. What people
    type goes through :func:`latin_plate` first, which refuses such a letter instead."""
    if not text.isascii():
        text = "".join(_lookalike(ch) or ch for ch in unicodedata.normalize("NFKC", text))
    return "".join(ch for ch in text.upper() if ch in _ALLOWED)


class PlateTextError(ValueError):
    """A plate written with a letter that is no plate character and looks like none."""


def latin_plate(text: str) -> str:
    """``text`` as a plate should be kept: full-width forms folded, lookalike letters of other
    scripts (Cyrillic ``К``, Greek ``Ο``...) replaced by the Latin letter they are written as,
    a Latin letter with a diacritic (``Ü``) as its base letter, any other decimal digit as its
    ASCII digit; separators are kept as written.

    A plate written ``К179658`` is the Latin plate ``K179658`` keyed in on a Cyrillic layout:
    dropping the letter, as a plain filter does, would silently list another vehicle. Raises
    :class:`PlateTextError` naming a letter or digit that cannot be mapped."""
    if text.isascii():
        return text
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isascii() or ch.upper() in _ALLOWED or unicodedata.category(ch)[0] not in "LN":
            out.append(ch)
            continue
        latin = _lookalike(ch)
        if latin is None:
            raise PlateTextError(
                f"{ch!r} (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}) is not a plate "
                "character and looks like no Latin letter or digit: write the plate in Latin "
                "letters"
            )
        out.append(latin)
    return "".join(out)


_STROKE = {"l": "I"}
"""Unicode's confusables skeleton of an upright stroke (Greek Ι, Cyrillic І, Ӏ) is ``l``; on a
plate, which has no lower case, that stroke is the letter I."""


@functools.lru_cache(maxsize=4096)
def _lookalike(ch: str) -> str | None:
    """The Latin letter or ASCII digit ``ch`` stands for: its base letter, or the one it is a
    homoglyph of per the Unicode confusables table (TR39, through ``confusable_homoglyphs``);
    None if none or several."""
    if unicodedata.category(ch) == "Nd":
        return str(unicodedata.decimal(ch))
    base = unicodedata.normalize("NFD", ch)[0]
    if base.isascii() and base.isalnum():
        return base.upper()  # Ü of a German district code (MÜ) is read, and listed, as U
    from confusable_homoglyphs import confusables

    upper = ch.upper() if len(ch.upper()) == 1 else ch
    found = confusables.is_confusable(upper, preferred_aliases=["latin"], greedy=True) or []
    latin = {
        _STROKE.get(h["c"], h["c"]).upper()
        for item in found
        for h in item["homoglyphs"]
        if len(h["c"]) == 1 and h["c"].isascii() and h["c"].isalnum()
    }
    return latin.pop() if len(latin) == 1 else None


_CN_CHARS = frozenset(CN_PROVINCES + CN_SPECIAL)
_CN_PLATE = re.compile(
    # GA 36 / GA 36-2018: office letter, then five characters without I or O; new-energy plates
    # put D/F first or last among six; special-use plates end with their character.
    "[A-Z](?:[A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF]"
    f"|[A-HJ-NP-Z0-9]{{4}}[{CN_SPECIAL}])"
)


def _keeps_cn(text: str, region: str) -> bool:
    """Whether a read's Chinese characters belong to it: a CN plate layout, on a lane that may
    see Chinese plates. A reader trained on Chinese plates takes an EU band or a coat of arms
    for a province character; the layout rules tell the two apart."""
    if region and region != "cn":
        return False
    return bool(text) and text[0] in CN_PROVINCES and _CN_PLATE.fullmatch(text[1:]) is not None


def normalize_read(
    text: str, char_confidences: Sequence[float], region: str = ""
) -> tuple[str, tuple[float, ...]]:
    """Normalise a reader's output for ``region`` (empty: unknown), keeping the confidence of each
    character that survives. Chinese characters survive only in a read with a Chinese plate's
    layout, and never where the region says the plate is not Chinese."""
    folded = unicodedata.normalize("NFKC", text).upper()
    if len(folded) != len(text) or len(char_confidences) != len(text):
        clean = normalize_plate(text)
        mean = sum(char_confidences) / len(char_confidences) if char_confidences else 0.0
        kept = [(ch, mean) for ch in clean]
    else:
        kept = [(ch, c) for ch, c in zip(folded, char_confidences, strict=True) if ch in _ALLOWED]
    if any(ch in _CN_CHARS for ch, _ in kept) and not _keeps_cn(
        "".join(c for c, _ in kept), region
    ):
        kept = [(ch, c) for ch, c in kept if ch not in _CN_CHARS]
    return "".join(ch for ch, _ in kept), tuple(conf for _, conf in kept)


def settle_read(read: PlateText, region: str = "") -> PlateText:
    """What a lane whose plate region is ``region`` (empty: unknown) keeps of a reader's output:
    Chinese plates settled by their layout (:func:`_settle_cn`), then the region's own rules
    (:data:`REGION_RULES`)."""
    settled = _settle_cn(read, region)
    rules = REGION_RULES.get(region)
    return rules.apply(settled) if rules else settled


def _settle_cn(read: PlateText, region: str) -> PlateText:
    """The reading and its candidates are normalised (:func:`normalize_read`), and candidates that
    normalise to the reading or to each other are dropped. On a lane that may see Chinese plates,
    a reading in which the reader saw a province character but which has no Chinese plate's layout
    (a character dropped or doubled: ``皖A9559``) gives way to its likeliest candidate that has the
    layout (``皖AK9559``), and a reading that is a Chinese plate's bottom row gives way to the
    candidate it ends (``0A246`` to ``黑Y0A246``: a two-row plate read as one line, and with its
    rows side by side, :mod:`lanescreen.vision.rows`); the reader's own reading then leads the
    candidates, so a record shows both. Where the region is unknown, a reading whose Latin part
    has a known Latin layout stands (a badge read as a province). Only Chinese plates are settled so: their layout is fixed
    nationwide, where a US or EU lane sees vanity and foreign plates of any layout."""
    text, confidences = normalize_read(read.text, read.char_confidences, region)
    confidence = read.confidence
    candidates = [
        Candidate(normalize_read(c.text, (), region)[0], c.confidence) for c in read.candidates
    ]
    seen = normalize_plate(read.text)
    broken_cn = bool(seen) and seen[0] in CN_PROVINCES and not _keeps_cn(seen, region)
    # Where the region is unknown, a Latin layout behind the "province" is a Latin plate with a
    # badge read as one (``川ASC7399``), not a broken Chinese plate.
    fitting: Candidate | None = None
    if broken_cn and (region == "cn" or (region == "" and plate_format(text) is None)):
        fitting = next((c for c in candidates if _keeps_cn(c.text, region)), None)
    elif text and region in ("cn", ""):
        # A Chinese two-row plate read as one line reads as its bottom row, the characters after
        # the province and office letter; read with its rows side by side, it is a candidate.
        fitting = next(
            (c for c in candidates if c.text[2:] == text and _keeps_cn(c.text, region)), None
        )
    if fitting is not None:
        candidates.insert(0, Candidate(text, confidence))
        text, confidence = fitting.text, fitting.confidence
        confidences = tuple(confidence for _ in text)
    return PlateText(text, confidence, confidences, other_readings(text, candidates))


_LETTER_OF = {cls[0]: next(c for c in cls if c.isalpha()) for cls in _CONFUSION_CLASSES}
_DIGIT_OF = {ch: cls[0] for cls in _CONFUSION_CLASSES for ch in cls if ch.isalpha()}
FIT_PENALTY = 0.5
"""A read's confidence is multiplied by this for each character a region's layout changed: a
guess the reader did not make should not clear a vehicle on its own."""


def fitted(text: str, pattern: str) -> str | None:
    """``text`` made to fit ``pattern`` by swapping confusable characters (a ``0`` where a
    letter must be is ``O``, an ``S`` where a digit must be is ``5``), or None if it cannot."""
    if len(text) != len(pattern):
        return None
    out = []
    for ch, slot in zip(text, pattern, strict=True):
        if slot == "@" and ch.isdigit():
            ch = _LETTER_OF.get(ch, ch)
        elif slot == "#" and ch.isalpha():
            ch = _DIGIT_OF.get(ch, ch)
        out.append(ch)
    fit = "".join(out)
    return fit if _compile(pattern).fullmatch(fit) else None


@dataclass(frozen=True)
class RegionRules:
    """What a lane's plate region tells about the characters on its plates.

    ``folds``: characters the region's plates write with one glyph, read as the one it stands
    for (``O`` as ``0`` on US plates: states issue no letter O, or treat it as the digit, so
    the letter is the reader mistaking one glyph; none of openalpr_us's 222 plates has an O,
    60 have a 0). ``fixed``: every plate of the region has one of its :data:`FORMATS` (a
    national layout, as in Brazil), so a reading that fits none gives way to the likeliest
    candidate that fits one, else to the reading with its confusable characters swapped to fit
    (:func:`fitted`). Either way the reader's own reading leads the candidates: a watchlist
    entry written as the reader read it still matches."""

    region: str
    folds: tuple[tuple[str, str], ...] = ()
    fixed: bool = False

    def apply(self, read: PlateText) -> PlateText:
        text, confidence = self._fold(read.text), read.confidence
        candidates = [Candidate(self._fold(c.text), c.confidence) for c in read.candidates]
        if self.fixed and text and not self._fits(text):
            text, confidence = self._fit(text, confidence, candidates)
        # The reader's own reading and candidates stay among the candidates, after the folded.
        others = [Candidate(read.text, read.confidence), *candidates, *read.candidates]
        return PlateText(
            text, confidence, _kept(read, text, confidence), other_readings(text, others)
        )

    def _fold(self, text: str) -> str:
        for seen, meant in self.folds:
            text = text.replace(seen, meant)
        return text

    def _fits(self, text: str) -> bool:
        return any(f.matches(text) for f in FORMATS if f.region == self.region)

    def _fit(
        self, text: str, confidence: float, candidates: Sequence[Candidate]
    ) -> tuple[str, float]:
        """The likeliest candidate fitting the region's layouts, else the reading made to fit
        one, else the reading as it is."""
        fitting = next((c for c in candidates if self._fits(c.text)), None)
        if fitting is not None:
            return fitting.text, fitting.confidence
        fits = [fitted(text, f.pattern) for f in FORMATS if f.region == self.region]
        changes = [(sum(a != b for a, b in zip(f, text, strict=True)), f) for f in fits if f]
        if changes:
            changed, fit = min(changes)
            return fit, confidence * FIT_PENALTY**changed
        return text, confidence


def _kept(read: PlateText, text: str, confidence: float) -> tuple[float, ...]:
    """Per-character confidences of ``text``, a changed ``read``: each kept character's own,
    each changed one no more than the whole ``confidence``."""
    if len(text) != len(read.char_confidences):
        return (confidence,) * len(text)
    return tuple(
        c if a == b else min(c, confidence)
        for a, b, c in zip(text, read.text, read.char_confidences, strict=True)
    )


REGION_RULES = {
    "us": RegionRules("us", folds=(("O", "0"),)),
    "br": RegionRules("br", fixed=True),
}
"""The regions whose rules change reads (``cn`` plates are settled by their layout first).
EU lanes have none: a lane sees plates of many countries with O and 0 in the same places, and
no rule tried read more of openalpr_eu_dev's plates (docs/accuracy.md, Regions)."""


def canonical(text: str) -> str:
    """Collapse OCR-confusable characters so ``O8S`` and ``0B5`` compare equal."""
    return "".join(_CANONICAL.get(ch, ch) for ch in text)


def plate_format(text: str, region: str = "") -> PlateFormat | None:
    """The first known format ``text`` fits, preferring the given region's."""
    ordered = sorted(FORMATS, key=lambda f: f.region != region) if region else FORMATS
    return next((f for f in ordered if f.matches(text)), None)


def guess_region(text: str) -> str:
    """``cn`` when a province character leads, else the region of the first matching format."""
    if text[:1] and text[0] in CN_PROVINCES:
        return "cn"
    fmt = plate_format(text)
    return fmt.region if fmt else ""
