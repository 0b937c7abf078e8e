"""Hostile input: mutated real frames, forged headers and odd import files never crash anything.

Property-based (hypothesis), bounded so CI stays fast: every input either decodes to a sane image
or is refused with a FrameError (a clear status on the wire); an import file either parses into
rows (each accepted or refused with its reason) or is refused whole with InvalidRequestError.
Subjects and entries built from arbitrary values are validated the same way.
"""

from __future__ import annotations

import json
import struct
import zlib

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lanescreen.domain.faces import validate_subject
from lanescreen.domain.importing import parse_import
from lanescreen.domain.watchlists import EntryError, validate_entry
from lanescreen.errors import InvalidRequestError
from lanescreen.vision.image import FrameError, decode_frame

LIMITS = {"max_bytes": 2_000_000, "max_pixels": 4_000_000}
FUZZ = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def _real(fmt: str) -> bytes:
    rng = np.random.default_rng(7)
    image = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    ok, data = cv2.imencode(fmt, image)
    assert ok
    return data.tobytes()


JPEG, PNG = _real(".jpg"), _real(".png")


def _png_with_size(width: int, height: int) -> bytes:
    """A real PNG whose IHDR claims another size (and whose CRC is right, so only size is off)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    header = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return PNG[:8] + header + PNG[8 + 25 :]


def _overwrite(data: bytes, changes: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in changes:
        out[position % len(out)] = value
    return bytes(out)


def _judge(data: bytes) -> None:
    try:
        image = decode_frame(data, **LIMITS)
    except FrameError as exc:
        assert str(exc)  # every refusal says why
        return
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert image.shape[0] * image.shape[1] <= LIMITS["max_pixels"]


mutations = st.one_of(
    # truncated at any point
    st.sampled_from([JPEG, PNG]).flatmap(
        lambda d: st.integers(0, len(d)).map(lambda n, d=d: d[:n])
    ),
    # a few bytes overwritten anywhere
    st.tuples(
        st.sampled_from([JPEG, PNG]),
        st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    ).map(lambda t: _overwrite(*t)),
    # a real signature followed by noise
    st.tuples(st.sampled_from([JPEG[:4], PNG[:8], b"BM", b"RIFF"]), st.binary(max_size=2000)).map(
        lambda t: t[0] + t[1]
    ),
    # PNG headers claiming absurd sizes
    st.tuples(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1)).map(
        lambda wh: _png_with_size(*wh)
    ),
    st.binary(max_size=3000),
)


@FUZZ
@given(mutations)
def test_the_frame_decoder_refuses_what_it_cannot_read_and_never_crashes(data: bytes) -> None:
    _judge(data)


def test_a_forged_huge_png_is_refused_before_decoding() -> None:
    with pytest.raises(FrameError, match="pixels"):
        decode_frame(_png_with_size(100_000, 100_000), **LIMITS)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
entry_like = st.dictionaries(
    st.sampled_from(
        [
            "plate",
            "region",
            "match_mode",
            "category",
            "action",
            "priority",
            "reason",
            "legal_basis",
            "owner",
            "expires_at",
            "plates",
            "name",
            "unknown",
        ]
    ),
    json_values,
    max_size=8,
)


@FUZZ
@given(st.lists(entry_like, max_size=6), st.sampled_from(["array", "lines"]))
def test_json_imports_of_odd_values_give_a_row_result_each(
    rows: list[dict[str, object]], shape: str
) -> None:
    text = json.dumps(rows) if shape == "array" else "\n".join(json.dumps(r) for r in rows)
    try:
        parsed = parse_import(text.encode(), "json")
    except InvalidRequestError as exc:
        assert str(exc)
        return
    assert len(parsed) == len(rows)
    for row in parsed:
        assert (row.fields is None) == bool(row.error)


@FUZZ
@given(entry_like)
def test_entries_and_subjects_from_odd_values_are_accepted_or_named(raw: dict[str, object]) -> None:
    for validate in (validate_entry, validate_subject):
        try:
            validate(dict(raw))
        except EntryError as exc:
            assert exc.field and str(exc)
