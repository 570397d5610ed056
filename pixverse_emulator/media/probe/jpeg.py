"""JPEG: walk the marker segments to the frame header (SOFn) and the first scan (SOS)."""

from __future__ import annotations

import struct

from pixverse_emulator.media.probe.errors import ProbeError
from pixverse_emulator.media.probe.info import ImageInfo, check_image_size
from pixverse_emulator.media.probe.reader import Reader

__all__ = ["probe_jpeg"]

# Start-of-frame markers for every coding process: baseline, extended, progressive and
# lossless, Huffman or arithmetic. C4 (DHT), C8 (JPG) and CC (DAC) share the range but
# are not frame headers.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers that stand alone, without a length field.
_STANDALONE_MARKERS = frozenset(range(0xD0, 0xD8)) | {0x01}
_SOI, _EOI, _SOS = 0xD8, 0xD9, 0xDA
_MAX_SEGMENTS = 4096
_MAX_FILL_BYTES = 1024
# The end-of-image marker is looked for only this close to the end of the file, so a
# file with more trailing data than this after EOI is taken to be truncated.
_EOI_WINDOW = 64 * 1024
_TRUNCATED = "image is truncated: JPEG header ends early"


def probe_jpeg(reader: Reader) -> ImageInfo:
    pos = 2  # after SOI
    size: tuple[int, int] | None = None
    for _ in range(_MAX_SEGMENTS):
        marker, pos = _read_marker(reader, pos)
        if marker in _STANDALONE_MARKERS:
            continue
        if marker == _SOI:
            raise ProbeError("JPEG file is corrupt: a second start-of-image marker")
        if marker == _EOI:
            raise ProbeError("JPEG file is corrupt: image ends before its first scan")
        length = _read_length(reader, pos)
        if marker in _SOF_MARKERS and size is None:
            size = _read_frame_size(reader, pos, length)
            check_image_size(*size)
        if marker == _SOS:
            if size is None:
                raise ProbeError("JPEG file is corrupt: scan starts before the frame header")
            _check_end_marker(reader, pos + length)
            return ImageInfo("jpeg", size[0], size[1])
        pos += length
    raise ProbeError("JPEG file is corrupt: too many segments before the first scan")


def _read_marker(reader: Reader, pos: int) -> tuple[int, int]:
    """Return (marker, position after it), skipping the 0xFF fill bytes allowed before it."""
    if reader.read_exact(pos, 1, _TRUNCATED) != b"\xff":
        raise ProbeError(f"JPEG file is corrupt: expected a marker at byte {pos}")
    for _ in range(_MAX_FILL_BYTES):
        pos += 1
        marker = reader.read_exact(pos, 1, _TRUNCATED)[0]
        if marker != 0xFF:
            if marker == 0x00:
                raise ProbeError(f"JPEG file is corrupt: invalid marker at byte {pos}")
            return marker, pos + 1
    raise ProbeError("JPEG file is corrupt: too many fill bytes")


def _read_length(reader: Reader, pos: int) -> int:
    """Segment length, which counts its own two bytes; checked to fit in the file."""
    length = int.from_bytes(reader.read_exact(pos, 2, _TRUNCATED), "big")
    if length < 2:
        raise ProbeError(f"JPEG file is corrupt: segment length {length} at byte {pos}")
    if pos + length > reader.size:
        raise ProbeError("image is truncated: JPEG segment overruns the file")
    return length


def _read_frame_size(reader: Reader, pos: int, length: int) -> tuple[int, int]:
    if length < 8:
        raise ProbeError("JPEG file is corrupt: frame header is too short")
    _precision, height, width, components = struct.unpack(
        ">BHHB", reader.read_exact(pos + 2, 6, _TRUNCATED)
    )
    if components == 0 or length != 8 + 3 * components:
        raise ProbeError("JPEG file is corrupt: frame header length does not match")
    return width, height


def _check_end_marker(reader: Reader, scan_start: int) -> None:
    tail_start = max(scan_start, reader.size - _EOI_WINDOW)
    if b"\xff\xd9" not in reader.read_upto(tail_start, reader.size - tail_start):
        raise ProbeError("image is truncated: JPEG end-of-image marker is missing")
