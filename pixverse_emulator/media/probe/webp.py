"""WebP: RIFF container with a VP8 (lossy), VP8L (lossless) or VP8X (extended) chunk."""

from __future__ import annotations

import struct

from pixverse_emulator.media.probe.errors import ProbeError, tag_name
from pixverse_emulator.media.probe.info import ImageInfo, check_image_size
from pixverse_emulator.media.probe.reader import Reader

__all__ = ["probe_webp"]

_FIRST_CHUNK = 12  # after "RIFF", the size and "WEBP"
_IMAGE_CHUNKS = frozenset({b"VP8 ", b"VP8L", b"ANMF"})
_MAX_CHUNKS = 4096
_VP8_START_CODE = b"\x9d\x01\x2a"
_VP8L_SIGNATURE = 0x2F


def probe_webp(reader: Reader) -> ImageInfo:
    header = reader.read_exact(0, 12, "image is truncated: WebP header is incomplete")
    (riff_size,) = struct.unpack_from("<I", header, 4)
    riff_end = 8 + riff_size
    if riff_size < 4 + 8:
        raise ProbeError("WebP file is corrupt: RIFF size is too small")
    if riff_end > reader.size:
        raise ProbeError("image is truncated: WebP file is shorter than its RIFF header says")
    kind, body, end = _read_chunk_header(reader, _FIRST_CHUNK, riff_end)
    width, height = _frame_size(kind, reader.read_upto(body, min(end - body, 10)))
    check_image_size(width, height)
    if kind == b"VP8X":
        _require_image_chunk(reader, end + (end & 1), riff_end)
    return ImageInfo("webp", width, height)


def _frame_size(kind: bytes, data: bytes) -> tuple[int, int]:
    if kind == b"VP8 ":
        return _vp8_size(data)
    if kind == b"VP8L":
        return _vp8l_size(data)
    if kind == b"VP8X":
        return _vp8x_size(data)
    raise ProbeError(f"WebP file is corrupt: unexpected first chunk '{tag_name(kind)}'")


def _read_chunk_header(reader: Reader, pos: int, riff_end: int) -> tuple[bytes, int, int]:
    """Return (fourcc, payload start, payload end) of the chunk at ``pos``."""
    header = reader.read_exact(pos, 8, "image is truncated: WebP chunk header is incomplete")
    kind, size = struct.unpack("<4sI", header)
    if pos + 8 + size > riff_end:
        raise ProbeError(f"image is truncated: WebP chunk '{tag_name(kind)}' overruns the file")
    return kind, pos + 8, pos + 8 + size


def _vp8_size(data: bytes) -> tuple[int, int]:
    if len(data) < 10:
        raise ProbeError("WebP file is corrupt: VP8 frame header is too short")
    if data[0] & 1 or data[3:6] != _VP8_START_CODE:
        raise ProbeError("WebP file is corrupt: VP8 data does not start with a key frame")
    width, height = struct.unpack_from("<HH", data, 6)
    return width & 0x3FFF, height & 0x3FFF  # the top two bits are upscaling hints


def _vp8l_size(data: bytes) -> tuple[int, int]:
    if len(data) < 5 or data[0] != _VP8L_SIGNATURE:
        raise ProbeError("WebP file is corrupt: VP8L header is invalid")
    (bits,) = struct.unpack_from("<I", data, 1)
    if bits >> 29:
        raise ProbeError("WebP file is corrupt: unknown VP8L version")
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1


def _vp8x_size(data: bytes) -> tuple[int, int]:
    if len(data) < 10:
        raise ProbeError("WebP file is corrupt: VP8X header is too short")
    width = int.from_bytes(data[4:7], "little") + 1
    height = int.from_bytes(data[7:10], "little") + 1
    return width, height


def _require_image_chunk(reader: Reader, pos: int, riff_end: int) -> None:
    """An extended WebP must still carry a bitstream or animation frame after VP8X."""
    for _ in range(_MAX_CHUNKS):
        if pos >= riff_end:
            break
        kind, _body, end = _read_chunk_header(reader, pos, riff_end)
        if kind in _IMAGE_CHUNKS:
            return
        pos = end + (end & 1)  # chunks are padded to an even length
    raise ProbeError("WebP file is corrupt: it has no image data")
