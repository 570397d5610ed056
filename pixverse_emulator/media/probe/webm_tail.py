"""A WebM's length when its header does not say: browsers' MediaRecorder writes no
Duration, so the length is read from the last Cluster near the end of the file (its
Timecode plus its latest block's relative time), without reading the whole file."""

from __future__ import annotations

from pixverse_emulator.media.probe.ebml import Element, ElementId, iter_elements, read_uint
from pixverse_emulator.media.probe.errors import ProbeError
from pixverse_emulator.media.probe.reader import Reader

__all__ = ["last_block_time"]

TAIL = 1024 * 1024  # where the last Cluster is looked for
CLUSTER = ElementId.Cluster.to_bytes(4, "big")
TIMECODE, SIMPLE_BLOCK, BLOCK_GROUP, BLOCK = 0xE7, 0xA3, 0xA0, 0xA1


def last_block_time(reader: Reader, segment_end: int) -> int | None:
    """The time of the file's last block, in TimecodeScale units, or None if none is found."""
    start = max(0, segment_end - TAIL)
    tail = reader.read_upto(start, segment_end - start)
    found = tail.rfind(CLUSTER)
    while found != -1:
        try:
            time = _cluster_end(reader, start + found, segment_end)
        except ProbeError:  # four bytes that only looked like a Cluster id
            time = None
        if time is not None:
            return time
        found = tail.rfind(CLUSTER, 0, found)
    return None


def _cluster_end(reader: Reader, offset: int, end: int) -> int | None:
    cluster = next(iter_elements(reader, offset, end, "the file"))
    timecode, latest = None, 0
    for element in iter_elements(reader, cluster.body, cluster.end, "Cluster"):
        if element.id == ElementId.Cluster:
            break  # an unknown-size Cluster ends where the next one starts
        if element.id == TIMECODE:
            timecode = read_uint(reader, element)
        elif element.id in (SIMPLE_BLOCK, BLOCK_GROUP):
            latest = max(latest, _block_time(reader, element))
    return None if timecode is None else timecode + latest


def _block_time(reader: Reader, element: Element) -> int:
    """A block's time relative to its Cluster: a signed 16-bit field after the track number."""
    if element.id == BLOCK_GROUP:
        inner = (e for e in iter_elements(reader, element.body, element.end, "BlockGroup")
                 if e.id == BLOCK)
        block = next(inner, None)
        return 0 if block is None else _block_time(reader, block)
    head = reader.read_upto(element.body, 12)
    if not head:
        return 0
    track_length = 9 - head[0].bit_length()
    relative = head[track_length : track_length + 2]
    return int.from_bytes(relative, "big", signed=True) if len(relative) == 2 else 0
