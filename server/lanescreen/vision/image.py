"""Decoding untrusted camera frames and encoding evidence JPEGs.

Frames arrive from terminals we do not control, so the format and the pixel dimensions are read
from the header *before* anything is decompressed: a decompression bomb (a tiny file claiming a
huge canvas) is refused for the price of parsing a few bytes. Every refusal is a :class:`FrameError`
whose ``code`` the API maps to a status without parsing messages.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from typing import cast

import cv2
import numpy as np

from ..errors import InvalidRequestError
from .types import Image

__all__ = [
    "CorruptFrame",
    "EmptyFrame",
    "FrameError",
    "FrameHeader",
    "FrameTooLarge",
    "UnsupportedFormat",
    "decode_frame",
    "encode_jpeg",
    "read_header",
    "to_bgr",
]


class FrameError(InvalidRequestError):
    """A frame was refused; ``code`` says why in one machine-readable word."""

    code: str = "corrupt"


class EmptyFrame(FrameError):
    code = "empty"


class FrameTooLarge(FrameError):
    code = "too_large"
    status = "RESOURCE_EXHAUSTED"


class UnsupportedFormat(FrameError):
    code = "unsupported_format"


class CorruptFrame(FrameError):
    code = "corrupt"


DECODE_COST = {"jpeg": 1.0, "png": 4.0, "webp": 2.0, "bmp": 0.5}
"""How much a pixel costs to decode, against a JPEG's: measured with OpenCV on one core (a 6 MP
photo: JPEG 180, PNG 50, WebP 90, BMP 1600 megapixels a second; a blank 40 MP PNG, the classic
decompression bomb, 53)."""


@dataclass(frozen=True)
class FrameHeader:
    """What the header of an encoded image claims, read without decoding it."""

    format: str
    """``jpeg``, ``png``, ``bmp`` or ``webp``."""
    width: int
    height: int
    missing_eoi: bool = False
    """A JPEG without its end-of-image marker: decoded only if its image data is complete
    (:func:`decode_checked`)."""

    @property
    def note(self) -> str:
        """What was done to decode it, for the decision; empty when nothing was."""
        if self.missing_eoi:
            return (
                "JPEG had no end-of-image marker; its image data was complete and was decoded whole"
            )
        return ""

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def decode_megapixels(self) -> float:
        """What decoding it will cost, in megapixels of JPEG (:data:`DECODE_COST`)."""
        return self.pixels / 1e6 * DECODE_COST[self.format]


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_EOI = b"\xff\xd9"
# SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers that stand alone, without a length field: TEM and RST0..RST7.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def _sniff(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(_PNG_SIGNATURE):
        return "png"
    if data.startswith(b"BM") and len(data) >= 26:
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise UnsupportedFormat(
        f"frame is not a JPEG, PNG, BMP or WebP image (starts with {data[:8].hex(' ')})"
    )


def _jpeg_size(data: bytes) -> tuple[int, int, int]:
    """Walk the JPEG markers up to the frame header; return (width, height, offset of first SOS)."""
    pos = 2
    size: tuple[int, int] | None = None
    while pos < len(data):
        if data[pos] != 0xFF:
            raise CorruptFrame(f"JPEG marker expected at byte {pos}, found 0x{data[pos]:02x}")
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes may pad markers
            pos += 1
        if pos >= len(data):
            break
        marker = data[pos]
        pos += 1
        if marker in _JPEG_STANDALONE:
            continue
        if marker == 0xD9:
            raise CorruptFrame("JPEG ends (EOI) before any image data")
        if pos + 2 > len(data):
            break
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2:
            raise CorruptFrame(f"JPEG segment 0x{marker:02x} has an invalid length {length}")
        if marker in _JPEG_SOF:
            if pos + 7 > len(data):
                break
            height, width = struct.unpack_from(">HH", data, pos + 3)
            if width == 0 or height == 0:
                raise CorruptFrame(f"JPEG frame header gives a {width}x{height} image")
            size = (width, height)
        if marker == 0xDA:
            if size is None:
                raise CorruptFrame("JPEG image data (SOS) starts before any frame header (SOF)")
            return size[0], size[1], pos
        pos += length
    raise CorruptFrame("JPEG is truncated inside its headers")


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise CorruptFrame("PNG has no IHDR header")
    width, height = struct.unpack_from(">II", data, 16)
    return width, height


def _bmp_size(data: bytes) -> tuple[int, int]:
    (header_size,) = struct.unpack_from("<I", data, 14)
    if header_size == 12:  # OS/2 BITMAPCOREHEADER: 16-bit dimensions
        if len(data) < 22:
            raise CorruptFrame("BMP is truncated inside its header")
        width, height = struct.unpack_from("<HH", data, 18)
        return width, height
    width, height = struct.unpack_from("<ii", data, 18)
    return abs(width), abs(height)  # negative height means a top-down bitmap


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF
    raise CorruptFrame("WebP has no readable VP8/VP8L/VP8X header")


def read_header(data: bytes) -> FrameHeader:
    """Identify the format and the claimed dimensions without decoding any pixels."""
    if not data:
        raise EmptyFrame("frame is empty (0 bytes)")
    fmt = _sniff(data)
    if fmt == "jpeg":
        width, height, _ = _jpeg_size(data)
    elif fmt == "png":
        width, height = _png_size(data)
    elif fmt == "bmp":
        width, height = _bmp_size(data)
    else:
        width, height = _webp_size(data)
    if width <= 0 or height <= 0:
        raise CorruptFrame(f"{fmt.upper()} header gives a {width}x{height} image")
    return FrameHeader(fmt, width, height)


def _missing_eoi(data: bytes, fmt: str) -> bool:
    """Whether a JPEG lacks its end-of-image marker (it may still be whole: some cameras write
    none; :func:`decode_checked` tells); refuses a PNG without its IEND chunk, which OpenCV
    would otherwise decode half-grey without complaint."""
    if fmt == "jpeg":
        _, _, sos = _jpeg_size(data)
        # Entropy-coded data never holds FF D9 (FF is always stuffed), so an EOI after the first
        # SOS is the real end of image; trailing bytes after it are tolerated.
        return data.rfind(_JPEG_EOI) < sos
    if fmt == "png" and data.rfind(b"IEND") < 0:
        raise CorruptFrame("PNG is truncated: no IEND chunk")
    return False


def check_frame(data: bytes, *, max_bytes: int, max_pixels: int) -> FrameHeader:
    """Everything that can be known of a frame without decoding it: refuse empty, oversized,
    unknown and truncated input, and frames whose header claims more than ``max_pixels``. Cheap
    enough to run as a frame is taken off the stream, before it queues for a worker."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CorruptFrame(f"frame must be bytes, got {type(data).__name__}")
    if not data:
        raise EmptyFrame("frame is empty (0 bytes)")
    if len(data) > max_bytes:
        raise FrameTooLarge(f"frame is {len(data)} bytes; the limit is {max_bytes}")
    data = bytes(data)
    header = read_header(data)
    if header.pixels > max_pixels:
        raise FrameTooLarge(
            f"frame is {header.width}x{header.height} = {header.pixels} pixels; "
            f"the limit is {max_pixels}"
        )
    if _missing_eoi(data, header.format):
        return replace(header, missing_eoi=True)
    return header


def _decode_without_eoi(data: bytes) -> Image:
    """A JPEG lacking only its end-of-image marker, decoded whole, or CorruptFrame if its image
    data stops short. OpenCV and Pillow decode a cut scan without an error (the missing blocks
    grey) and cannot tell the two apart; libjpeg-turbo's strict mode (through simplejpeg) makes
    its "premature end of data" warning an error, so the marker is added and the frame decoded
    strictly: whole data decodes, a scan missing even its last byte does not."""
    import simplejpeg

    try:
        image = simplejpeg.decode_jpeg(data + _JPEG_EOI, colorspace="BGR", strict=True)
    except ValueError as exc:
        raise CorruptFrame(
            f"JPEG is truncated: no end-of-image marker, and its image data stops short ({exc})"
        ) from exc
    return np.ascontiguousarray(image, dtype=np.uint8)


def decode_checked(data: bytes, header: FrameHeader) -> Image:
    """Decode a frame that :func:`check_frame` let through to BGR uint8."""
    if header.missing_eoi:
        return _decode_without_eoi(data)
    try:
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as exc:
        raise CorruptFrame(f"{header.format.upper()} could not be decoded: {exc}") from exc
    if image is None or image.size == 0:
        raise CorruptFrame(f"{header.format.upper()} could not be decoded (damaged image data)")
    result: Image = np.ascontiguousarray(image, dtype=np.uint8)
    return result


def decode_frame(data: bytes, *, max_bytes: int, max_pixels: int) -> Image:
    """Decode an encoded frame to BGR uint8, refusing empty, oversized, unknown and broken input."""
    header = check_frame(data, max_bytes=max_bytes, max_pixels=max_pixels)
    return decode_checked(bytes(data), header)


def to_bgr(image: Image) -> Image:
    """Return a 3-channel BGR view of a grey, BGR or BGRA uint8 image; refuse anything else."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        kind = getattr(image, "dtype", type(image).__name__)
        raise ValueError(f"image must be a uint8 numpy array, got {kind}")
    if image.ndim in (2, 3) and (image.shape[0] == 0 or image.shape[1] == 0):
        raise ValueError(f"image is empty ({image.shape[1]}x{image.shape[0]} pixels)")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return cast(Image, cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    if image.ndim == 3 and image.shape[2] == 4:
        return cast(Image, cv2.cvtColor(image, cv2.COLOR_BGRA2BGR))
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise ValueError(f"image must be HxW, HxWx1, HxWx3 or HxWx4, got shape {image.shape}")


def encode_jpeg(image: Image, *, quality: int, max_side: int | None = None) -> bytes:
    """Encode as JPEG, first shrinking (INTER_AREA, aspect kept) so the longest side fits."""
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be 1-100, got {quality}")
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be positive, got {max_side}")
    bgr = to_bgr(image)
    height, width = bgr.shape[:2]
    if max_side is not None and max(height, width) > max_side:
        scale = max_side / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        bgr = cast(Image, cv2.resize(bgr, size, interpolation=cv2.INTER_AREA))
    ok, buffer = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("OpenCV could not encode the image as JPEG")
    return bytes(buffer.tobytes())
