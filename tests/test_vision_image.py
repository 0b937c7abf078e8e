"""Frame decoding refuses bad input cheaply and clearly; evidence encoding shrinks as asked."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest
from lanescreen.vision.image import (
    CorruptFrame,
    EmptyFrame,
    FrameError,
    FrameTooLarge,
    UnsupportedFormat,
    check_frame,
    decode_checked,
    decode_frame,
    encode_jpeg,
    read_header,
    to_bgr,
)

LIMITS = {"max_bytes": 16 * 1024 * 1024, "max_pixels": 40_000_000}


def _scene(height: int = 240, width: int = 320) -> np.ndarray:
    """A smooth gradient with shapes, so lossy encodings stay close to it."""
    image = np.zeros((height, width, 3), np.uint8)
    image[:, :, 0] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    image[:, :, 1] = np.linspace(0, 255, height, dtype=np.uint8)[:, None]
    cv2.rectangle(image, (40, 60), (200, 120), (0, 0, 255), -1)
    cv2.putText(image, "AB123", (50, 110), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 3)
    return image


def _encode(image: np.ndarray, ext: str) -> bytes:
    ok, buffer = cv2.imencode(ext, image)
    assert ok
    return buffer.tobytes()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_jpeg_and_png_decode_to_bgr() -> None:
    scene = _scene()
    for ext in (".jpg", ".png", ".bmp", ".webp"):
        image = decode_frame(_encode(scene, ext), **LIMITS)
        assert image.shape == (240, 320, 3) and image.dtype == np.uint8
        assert np.abs(image.astype(int) - scene.astype(int)).mean() < 4, ext
    assert np.array_equal(decode_frame(_encode(scene, ".png"), **LIMITS), scene)


def test_grayscale_frame_becomes_bgr() -> None:
    grey = np.asarray(cv2.cvtColor(_scene(), cv2.COLOR_BGR2GRAY), np.uint8)
    image = decode_frame(_encode(grey, ".png"), **LIMITS)
    assert image.shape == (240, 320, 3)
    assert np.array_equal(image[:, :, 0], grey)


def test_header_dimensions_read_without_decoding() -> None:
    scene = _scene(123, 457)
    for ext, fmt in ((".jpg", "jpeg"), (".png", "png"), (".bmp", "bmp"), (".webp", "webp")):
        header = read_header(_encode(scene, ext))
        assert (header.format, header.width, header.height) == (fmt, 457, 123)
    lossy = cv2.imencode(".webp", scene, [cv2.IMWRITE_WEBP_QUALITY, 80])[1].tobytes()
    assert (read_header(lossy).width, read_header(lossy).height) == (457, 123)


def test_empty_frame() -> None:
    with pytest.raises(EmptyFrame, match="empty") as info:
        decode_frame(b"", **LIMITS)
    assert info.value.code == "empty"
    assert isinstance(info.value, ValueError)


def test_too_many_bytes_names_the_limit() -> None:
    data = _encode(_scene(), ".jpg")
    with pytest.raises(FrameTooLarge) as info:
        decode_frame(data, max_bytes=100, max_pixels=LIMITS["max_pixels"])
    assert info.value.code == "too_large"
    assert str(info.value) == f"frame is {len(data)} bytes; the limit is 100"


def test_png_bomb_refused_from_its_header() -> None:
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")
    with pytest.raises(FrameTooLarge, match="100000x100000") as info:
        decode_frame(bomb, **LIMITS)
    assert "40000000" in str(info.value)


def test_jpeg_bomb_refused_from_its_header() -> None:
    data = bytearray(_encode(_scene(), ".jpg"))
    sof = data.find(b"\xff\xc0")
    assert sof > 0
    struct.pack_into(">HH", data, sof + 5, 60_000, 60_000)
    with pytest.raises(FrameTooLarge, match="60000x60000"):
        decode_frame(bytes(data), **LIMITS)


@pytest.mark.parametrize("progressive", [False, True])
def test_truncated_jpeg_is_corrupt(progressive: bool) -> None:
    data = _jpeg(progressive)
    # Down to the last byte of image data before the end marker: OpenCV alone would decode
    # every one of these, the missing blocks grey.
    for cut in (len(data) - 3, len(data) * 3 // 4, len(data) // 2, 40):
        with pytest.raises(CorruptFrame, match="truncated") as info:
            decode_frame(data[:cut], **LIMITS)
        assert info.value.code == "corrupt"


@pytest.mark.parametrize("progressive", [False, True])
def test_a_jpeg_lacking_only_its_end_marker_is_decoded_whole_with_a_note(
    progressive: bool,
) -> None:
    data = _jpeg(progressive)
    header = check_frame(data[:-2], **LIMITS)
    assert header.missing_eoi and "no end-of-image marker" in header.note
    assert not check_frame(data, **LIMITS).missing_eoi and check_frame(data, **LIMITS).note == ""
    whole = decode_frame(data, **LIMITS)
    assert np.array_equal(decode_checked(data[:-2], header), whole)


def _jpeg(progressive: bool) -> bytes:
    ok, encoded = cv2.imencode(
        ".jpg", _scene(480, 640), [cv2.IMWRITE_JPEG_PROGRESSIVE, int(progressive)]
    )
    assert ok and encoded.tobytes().endswith(b"\xff\xd9")
    return encoded.tobytes()


def test_truncated_png_is_corrupt() -> None:
    data = _encode(_scene(), ".png")
    for cut in (len(data) - 12, len(data) // 2, 20):
        with pytest.raises(CorruptFrame):
            decode_frame(data[:cut], **LIMITS)


def test_jpeg_with_damaged_body_is_corrupt() -> None:
    data = bytearray(_encode(_scene(), ".jpg"))
    sos = data.find(b"\xff\xda")
    data[sos + 2 : sos + 4] = b"\x00\x01"  # impossible SOS length
    with pytest.raises(FrameError):
        decode_frame(bytes(data), **LIMITS)


def test_random_bytes_are_unsupported() -> None:
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    with pytest.raises(UnsupportedFormat) as info:
        decode_frame(b"GIF89a" + noise, **LIMITS)
    assert info.value.code == "unsupported_format"
    with pytest.raises(FrameError):
        decode_frame(b"\xff\xd8\xff" + noise, **LIMITS)
    with pytest.raises(FrameError):
        decode_frame(b"\x89PNG\r\n\x1a\n" + noise, **LIMITS)


def test_not_bytes_is_refused() -> None:
    with pytest.raises(CorruptFrame, match="bytes"):
        decode_frame("not bytes", **LIMITS)  # type: ignore[arg-type]


def test_encode_jpeg_downscales_keeping_aspect() -> None:
    data = encode_jpeg(_scene(480, 640), quality=85, max_side=320)
    image = decode_frame(data, **LIMITS)
    assert image.shape == (240, 320, 3)
    small = encode_jpeg(_scene(100, 50), quality=85, max_side=320)
    assert decode_frame(small, **LIMITS).shape == (100, 50, 3)


def test_encode_jpeg_quality_changes_size() -> None:
    rng = np.random.default_rng(3)
    noisy = np.clip(_scene().astype(int) + rng.integers(-30, 30, (240, 320, 3)), 0, 255)
    noisy_u8 = noisy.astype(np.uint8)
    assert len(encode_jpeg(noisy_u8, quality=30)) < len(encode_jpeg(noisy_u8, quality=95))


def test_encode_jpeg_accepts_grey_and_refuses_nonsense() -> None:
    grey = np.asarray(cv2.cvtColor(_scene(), cv2.COLOR_BGR2GRAY), np.uint8)
    assert decode_frame(encode_jpeg(grey, quality=90), **LIMITS).shape == (240, 320, 3)
    with pytest.raises(ValueError, match="quality"):
        encode_jpeg(grey, quality=0)
    with pytest.raises(ValueError, match="uint8"):
        encode_jpeg(grey.astype(np.float32), quality=90)
    with pytest.raises(ValueError, match="empty"):
        encode_jpeg(np.zeros((0, 10), np.uint8), quality=90)


def test_to_bgr_shapes() -> None:
    assert to_bgr(np.zeros((4, 5), np.uint8)).shape == (4, 5, 3)
    assert to_bgr(np.zeros((4, 5, 1), np.uint8)).shape == (4, 5, 3)
    assert to_bgr(np.zeros((4, 5, 4), np.uint8)).shape == (4, 5, 3)
    with pytest.raises(ValueError, match="shape"):
        to_bgr(np.zeros((4, 5, 2), np.uint8))
