"""Which free fonts stand in for plate typefaces, and finding them on this machine.

The real typefaces (China's GA 36 plate font, Germany's FE-Schrift, the UK's Charles Wright, US
state dies, Brazil's Mandatory) are not freely licensed. Condensed DIN-like and highway-gothic
faces packaged by Debian are the closest free stand-ins, and each plate style draws from several
so the reader learns the shapes, not one font. Rendered images depend on the exact font files, so
the catalogue names each face's Debian package and ``find_fonts`` asks for all of them: the same
seed gives the same samples only with the same fonts.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

ROLES = ("hanzi", "cn", "din", "us", "uk", "text", "display")
"""Font roles a layout asks for: Chinese characters, Latin plate alphabets per region, decoration."""

DEFAULT_FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local" / "share" / "fonts",
    Path("/Library/Fonts"),
    Path("/System/Library/Fonts"),
)


class FontsMissingError(RuntimeError):
    """Fonts the renderer needs are not installed; the message names the Debian packages."""

    def __init__(self, packages: Sequence[str], detail: str) -> None:
        self.packages = tuple(packages)
        super().__init__(
            f"synthetic plates need fonts that are not installed ({detail}); install them with: "
            f"apt-get install -y {' '.join(self.packages)}"
        )


@dataclass(frozen=True)
class FontFace:
    """One font file (and face index inside a collection) and the roles it serves."""

    name: str
    """Unique within a font set (caches key on it)."""
    path: Path
    index: int
    roles: frozenset[str]


@dataclass(frozen=True)
class _Spec:
    package: str
    file: str
    """Path suffix that identifies the file (a parent folder where names clash)."""
    roles: tuple[str, ...]
    family: str = ""
    """For font collections: the family whose face to use (e.g. the Simplified Chinese one)."""


CATALOGUE: tuple[_Spec, ...] = (
    _Spec("fonts-noto-cjk", "noto/NotoSansCJK-Bold.ttc", ("hanzi",), "Noto Sans CJK SC"),
    _Spec("fonts-wqy-zenhei", "wqy/wqy-zenhei.ttc", ("hanzi",), "WenQuanYi Zen Hei"),
    _Spec("fonts-roadgeek", "roadgeek/RG2014B.ttf", ("us",)),
    _Spec("fonts-roadgeek", "roadgeek/RG2014C.ttf", ("cn", "us")),
    _Spec("fonts-roadgeek", "roadgeek/RG2014D.ttf", ("cn", "us", "din")),
    _Spec("fonts-roadgeek", "roadgeek/RG2014E.ttf", ("din", "uk")),
    _Spec("fonts-opendin", "opendin/OSP-DIN.ttf", ("cn", "din", "us")),
    _Spec("fonts-bebas-neue", "bebas-neue/BebasNeue-Bold.otf", ("cn", "us")),
    _Spec("fonts-bebas-neue", "bebas-neue/BebasNeue-Regular.otf", ("display",)),
    _Spec("fonts-dejavu-extra", "dejavu/DejaVuSansCondensed-Bold.ttf", ("cn", "din", "us", "uk")),
    _Spec("fonts-dejavu-extra", "dejavu/DejaVuSerif-BoldItalic.ttf", ("display",)),
    _Spec("fonts-dejavu-core", "dejavu/DejaVuSans-Bold.ttf", ("uk", "text")),
    _Spec("fonts-dejavu-core", "dejavu/DejaVuSans.ttf", ("text",)),
    _Spec("fonts-liberation", "liberation/LiberationSansNarrow-Bold.ttf", ("cn", "din", "us")),
    _Spec("fonts-liberation", "liberation/LiberationSans-Bold.ttf", ("uk", "text")),
    _Spec("fonts-urw-base35", "urw-base35/NimbusSansNarrow-Bold.otf", ("cn", "din", "us")),
    _Spec("fonts-urw-base35", "urw-base35/NimbusSans-Bold.otf", ("uk", "text")),
    _Spec("fonts-urw-base35", "urw-base35/NimbusRoman-BoldItalic.otf", ("display",)),
    _Spec("fonts-roboto-unhinted", "RobotoCondensed-Bold.ttf", ("cn", "din", "us", "uk")),
    _Spec("fonts-roboto-unhinted", "RobotoCondensed-Regular.ttf", ("din", "text")),
    _Spec("fonts-roboto-unhinted", "RobotoCondensed-BoldItalic.ttf", ("display",)),
    _Spec("fonts-roboto-unhinted", "Roboto-Bold.ttf", ("uk", "text")),
    _Spec("fonts-national-park", "national-park/NationalPark-Heavy.otf", ("us", "display")),
)
"""Every face the renderer uses, by Debian package; see docs/synthetic-plates.md for licences."""

PACKAGES = tuple(dict.fromkeys(spec.package for spec in CATALOGUE))


@dataclass(frozen=True)
class FontSet:
    """The faces found, each with its roles; picklable (paths only), so it can go to workers."""

    faces: tuple[FontFace, ...]

    @functools.cached_property
    def _by_role(self) -> dict[str, tuple[FontFace, ...]]:
        return {role: tuple(f for f in self.faces if role in f.roles) for role in ROLES}

    def for_role(self, role: str) -> tuple[FontFace, ...]:
        return self._by_role[role]

    def describe(self) -> list[str]:
        """``name (path)`` per face, for a model card."""
        return [f"{face.name} ({face.path})" for face in self.faces]


def _index_files(search_dirs: Sequence[Path]) -> list[str]:
    found: list[str] = []
    for base in search_dirs:
        for root, _dirs, files in os.walk(base):
            found.extend(os.path.join(root, name) for name in files)
    return sorted(found)


def _collection_index(path: Path, family: str) -> int | None:
    for index in range(16):
        try:
            font = ImageFont.truetype(str(path), 16, index=index)
        except OSError:
            return None
        if font.getname()[0] == family:
            return index
    return None


def _stand_in(files: Sequence[str]) -> FontFace | None:
    """Any outline font among ``files``, bold sans faces first: what a machine without the
    catalogue's packages can still draw Latin plates with."""
    fonts = [f for f in files if f.lower().endswith((".ttf", ".otf"))]
    if not fonts:
        return None

    def rank(file: str) -> tuple[bool, bool, bool, str]:
        name = Path(file).name.lower()
        return ("bold" not in name, "sans" not in name, "mono" in name or "serif" in name, file)

    path = Path(min(fonts, key=rank))
    return FontFace(path.stem, path, 0, frozenset())


def _borrow(faces: list[FontFace], empty: Sequence[str], files: Sequence[str]) -> list[FontFace]:
    """``faces`` with the roles nobody serves given to the first face (or to any font found)."""
    donor = faces[0] if faces else _stand_in(files)
    if donor is None:
        return faces
    lent = FontFace(donor.name, donor.path, donor.index, donor.roles | frozenset(empty))
    return [lent, *faces[1:]]


def find_fonts(
    search_dirs: Sequence[Path] | None = None, *, complete: bool = True, borrow: bool = False
) -> FontSet:
    """The catalogue's faces found under ``search_dirs`` (the system font folders by default).

    With ``complete`` every catalogued face must be there (reproducible samples need the same
    fonts); without it, any face per role will do. With ``borrow`` too, a role nobody serves is
    drawn with another face, or with any font on the machine (good for pictures of Latin plates,
    as the demo draws, not for training: Chinese characters may have no glyphs). Raises
    FontsMissingError naming the packages.
    """
    dirs = tuple(Path(d) for d in (search_dirs or DEFAULT_FONT_DIRS))
    files = _index_files(dirs)
    faces: list[FontFace] = []
    missing: list[_Spec] = []
    for spec in CATALOGUE:
        path = next((Path(f) for f in files if f.endswith("/" + spec.file)), None)
        index = 0 if path is None or not spec.family else _collection_index(path, spec.family)
        if path is None or index is None:
            missing.append(spec)
            continue
        name = spec.family or Path(spec.file).stem
        faces.append(FontFace(name, path, index, frozenset(spec.roles)))
    searched = ", ".join(str(d) for d in dirs)
    if complete and missing:
        packages = list(dict.fromkeys(spec.package for spec in missing))
        names = ", ".join(Path(spec.file).name for spec in missing)
        raise FontsMissingError(packages, f"{names} not found under {searched}")
    empty = [role for role in ROLES if not any(role in face.roles for face in faces)]
    if empty and borrow:
        faces = _borrow(faces, empty, files)
        empty = [role for role in ROLES if not any(role in face.roles for face in faces)]
    if empty:
        packages = list(dict.fromkeys(s.package for s in CATALOGUE if set(s.roles) & set(empty)))
        raise FontsMissingError(packages, f"no font for {', '.join(empty)} under {searched}")
    return FontSet(tuple(faces))
