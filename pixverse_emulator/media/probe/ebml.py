"""EBML, the element format under WebM and Matroska: variable-length ids and sizes."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

from pixverse_emulator.media.probe.errors import ProbeError
from pixverse_emulator.media.probe.reader import Reader

__all__ = [
    "MAX_ELEMENTS",
    "Element",
    "ElementId",
    "element_name",
    "iter_elements",
    "read_float",
    "read_string",
    "read_uint",
]

MAX_ELEMENTS = 10_000  # per element list
_TRUNCATED = "WebM file is truncated: an element header is incomplete"
_MAX_STRING = 64


class ElementId(IntEnum):
    """The element ids the probe uses, named as in the Matroska specification."""

    EBML = 0x1A45DFA3
    DocType = 0x4282
    Segment = 0x18538067
    Info = 0x1549A966
    TimecodeScale = 0x2AD7B1
    Duration = 0x4489
    Tracks = 0x1654AE6B
    TrackEntry = 0xAE
    TrackType = 0x83
    Video = 0xE0
    PixelWidth = 0xB0
    PixelHeight = 0xBA
    Cluster = 0x1F43B675


@dataclass(frozen=True)
class Element:
    id: int  # with its length marker bits, as the Matroska specification writes ids
    start: int
    body: int
    end: int
    sized: bool  # False when the size was "unknown" and ``end`` is the parent's end


def iter_elements(reader: Reader, start: int, end: int, parent: str) -> Iterator[Element]:
    """Yield the elements between ``start`` and ``end``, each checked to fit inside them.

    An element of unknown size is taken to run to ``end``; the caller decides whether it
    accepts one (a live-recorded Segment or Cluster) or rejects it.
    """
    pos = start
    for _ in range(MAX_ELEMENTS):
        if pos >= end:
            return
        element = _read_header(reader, pos, end)
        if element.end > end:
            raise ProbeError(f"WebM element {element_name(element.id)} overruns {parent}")
        yield element
        pos = element.end
    raise ProbeError(f"WebM file has too many elements in {parent}")


def _read_header(reader: Reader, pos: int, end: int) -> Element:
    head = reader.read_upto(pos, min(12, end - pos))
    id_length = _vint_length(head, 4, "element id")
    element_id = int.from_bytes(head[:id_length], "big")
    size_bytes = head[id_length:]
    size_length = _vint_length(size_bytes, 8, "element size")
    value_mask = (1 << 7 * size_length) - 1  # drops the length marker bit
    value = int.from_bytes(size_bytes[:size_length], "big") & value_mask
    body = pos + id_length + size_length
    if value == value_mask:  # all value bits set: the size is unknown
        return Element(element_id, pos, body, end, sized=False)
    return Element(element_id, pos, body, body + value, sized=True)


def _vint_length(data: bytes, max_length: int, what: str) -> int:
    """Length of the variable-size integer at the start of ``data``, from its first byte."""
    if not data:
        raise ProbeError(_TRUNCATED)
    length = 9 - data[0].bit_length()  # one more than the count of leading zero bits
    if length > max_length:
        raise ProbeError(f"WebM file is corrupt: invalid {what}")
    if len(data) < length:
        raise ProbeError(_TRUNCATED)
    return length


def read_uint(reader: Reader, element: Element) -> int:
    size = element.end - element.body
    if size > 8:
        raise ProbeError(f"WebM element {element_name(element.id)} is too long for a number")
    return int.from_bytes(reader.read_exact(element.body, size, _TRUNCATED), "big")


def read_float(reader: Reader, element: Element) -> float:
    size = element.end - element.body
    if size == 0:
        return 0.0
    if size not in (4, 8):
        raise ProbeError(f"WebM element {element_name(element.id)} is not a 4- or 8-byte float")
    data = reader.read_exact(element.body, size, _TRUNCATED)
    (value,) = struct.unpack(">f" if size == 4 else ">d", data)
    return float(value)


def read_string(reader: Reader, element: Element) -> str:
    size = element.end - element.body
    if size > _MAX_STRING:
        raise ProbeError(f"WebM element {element_name(element.id)} is too long")
    data = reader.read_exact(element.body, size, _TRUNCATED)
    return data.rstrip(b"\0").decode("ascii", errors="replace")


def element_name(element_id: int) -> str:
    try:
        return ElementId(element_id).name
    except ValueError:
        return f"0x{element_id:X}"
