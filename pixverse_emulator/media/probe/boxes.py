"""ISO base media (MP4/MOV) boxes: walk a box list, checking every size against its parent."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from pixverse_emulator.media.probe.errors import ProbeError, tag_name
from pixverse_emulator.media.probe.reader import Reader

__all__ = ["MAX_BOXES", "Box", "iter_boxes", "read_box_prefix", "read_full_box"]

MAX_BOXES = 10_000  # per box list; real files have a few dozen children at most


@dataclass(frozen=True)
class Box:
    kind: str  # four-character type as text, e.g. "moov"
    start: int
    body: int  # where the payload starts, after the 8- or 16-byte header
    end: int


def iter_boxes(reader: Reader, start: int, end: int, parent: str = "") -> Iterator[Box]:
    """Yield the boxes between ``start`` and ``end``; ``parent`` is "" at the top level.

    Raises ProbeError for a header cut short or a box that does not fit in its parent.
    """
    where = f"its parent '{parent}'" if parent else "the file"
    pos = start
    for _ in range(MAX_BOXES):
        if pos >= end:
            return
        if end - pos < 8:
            _check_terminator(reader, pos, end)
            return
        box = _read_header(reader, pos, end)
        if box.end > end:
            raise ProbeError(f"MP4 box '{box.kind}' overruns {where}")
        yield box
        pos = box.end
    raise ProbeError(f"MP4 file has too many boxes in {where}")


def _read_header(reader: Reader, pos: int, end: int) -> Box:
    truncated = "MP4 file is truncated: a box header is incomplete"
    size, raw = struct.unpack(">I4s", reader.read_exact(pos, 8, truncated))
    kind, body = tag_name(raw), pos + 8
    if size == 1:  # a 64-bit "largesize" follows the type
        (size,) = struct.unpack(">Q", reader.read_exact(pos + 8, 8, truncated))
        body = pos + 16
    elif size == 0:  # the box runs to the end of its parent (the file, at the top level)
        size = end - pos
    if size < body - pos:
        raise ProbeError(f"MP4 box '{kind}' has an invalid size {size}")
    return Box(kind, pos, body, pos + size)


def _check_terminator(reader: Reader, pos: int, end: int) -> None:
    # QuickTime lets a box list end with a 32-bit zero; anything else this short is junk.
    if reader.read_exact(pos, end - pos, "MP4 file is truncated").strip(b"\0"):
        raise ProbeError("MP4 file is truncated: a box header is incomplete")


def read_box_prefix(reader: Reader, box: Box, count: int) -> bytes:
    """The first ``count`` payload bytes of ``box`` (fewer if the box is shorter)."""
    return reader.read_upto(box.body, min(count, box.end - box.body))


def read_full_box(reader: Reader, box: Box, v0_size: int, v1_size: int) -> tuple[int, bytes]:
    """Read a "full box" payload: version, flags, then fields whose size depends on version.

    Returns (version, payload including the 4 version/flags bytes), checked to be at least
    ``v0_size`` or ``v1_size`` bytes long.
    """
    data = read_box_prefix(reader, box, max(v0_size, v1_size))
    if not data:
        raise ProbeError(f"MP4 box '{box.kind}' is empty")
    version = data[0]
    if version > 1:
        raise ProbeError(f"MP4 box '{box.kind}' has unsupported version {version}")
    if len(data) < (v1_size if version else v0_size):
        raise ProbeError(f"MP4 box '{box.kind}' is too short")
    return version, data
