"""PNG: signature, IHDR (checked against its CRC), and a chunk chain that reaches IEND."""

from __future__ import annotations

import struct
import zlib

from pixverse_emulator.media.probe.errors import ProbeError
from pixverse_emulator.media.probe.info import ImageInfo, check_image_size
from pixverse_emulator.media.probe.reader import Reader

__all__ = ["PNG_SIGNATURE", "probe_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IEND_CHUNK = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_IHDR_END = 8 + 8 + 13 + 4  # signature, length + type, IHDR payload, CRC
# (color type, bit depth) pairs allowed by the PNG specification, section 11.2.2.
_VALID_DEPTHS = frozenset(
    [(0, d) for d in (1, 2, 4, 8, 16)]
    + [(2, 8), (2, 16), (4, 8), (4, 16), (6, 8), (6, 16)]
    + [(3, d) for d in (1, 2, 4, 8)]
)
_MAX_CHUNK_LENGTH = 2**31 - 1


def probe_png(reader: Reader) -> ImageInfo:
    width, height = _read_ihdr(reader)
    check_image_size(width, height)
    _check_chunks(reader)
    return ImageInfo("png", width, height)


def _read_ihdr(reader: Reader) -> tuple[int, int]:
    data = reader.read_exact(0, _IHDR_END, "image is truncated: PNG IHDR chunk is incomplete")
    length, kind = struct.unpack_from(">I4s", data, 8)
    if kind != b"IHDR":
        raise ProbeError("PNG file is corrupt: it does not start with an IHDR chunk")
    if length != 13:
        raise ProbeError(f"PNG file is corrupt: IHDR chunk has length {length}, expected 13")
    (crc,) = struct.unpack_from(">I", data, 29)
    if zlib.crc32(data[12:29]) != crc:
        raise ProbeError("PNG file is corrupt: IHDR checksum does not match")
    width, height, depth, color, compression, filtering, interlace = struct.unpack_from(
        ">IIBBBBB", data, 16
    )
    if (color, depth) not in _VALID_DEPTHS:
        raise ProbeError(f"PNG file is corrupt: bit depth {depth} is invalid for color {color}")
    if compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise ProbeError("PNG file is corrupt: unknown compression, filter or interlace method")
    return width, height


def _check_chunks(reader: Reader) -> None:
    """Walk chunk headers to the first IDAT, then make sure the image data ends with IEND.

    Pixel data is never read: only 8-byte chunk headers, and IEND at the end of the file
    short-cuts the walk over (possibly thousands of) IDAT chunks.
    """
    pos = _IHDR_END
    seen_idat = False
    while True:
        header = reader.read_exact(pos, 8, "image is truncated: PNG IEND chunk is missing")
        length, kind = struct.unpack(">I4s", header)
        if length > _MAX_CHUNK_LENGTH or not kind.isalpha():
            raise ProbeError("PNG file is corrupt: a chunk header is invalid")
        end = pos + 12 + length
        if end > reader.size:
            raise ProbeError("image is truncated: PNG chunk data is incomplete")
        if kind == b"IEND":
            break
        if kind == b"IDAT" and not seen_idat:
            seen_idat = True
            if reader.read_upto(reader.size - 12, 12) == _IEND_CHUNK:
                return
        pos = end
    if not seen_idat:
        raise ProbeError("PNG file is corrupt: it has no image data (IDAT chunk)")
