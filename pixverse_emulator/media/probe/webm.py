"""WebM and Matroska: EBML header, then Segment > Info (duration) and Segment > Tracks."""

from __future__ import annotations

from dataclasses import dataclass

from pixverse_emulator.media.probe.ebml import (
    Element,
    ElementId,
    element_name,
    iter_elements,
    read_float,
    read_string,
    read_uint,
)
from pixverse_emulator.media.probe.errors import ProbeError
from pixverse_emulator.media.probe.info import MediaInfo, check_duration
from pixverse_emulator.media.probe.reader import Reader
from pixverse_emulator.media.probe.webm_tail import last_block_time

__all__ = ["probe_webm"]

_DOC_TYPES = frozenset({"webm", "matroska"})
_DEFAULT_TIMECODE_SCALE = 1_000_000  # nanoseconds per Duration unit
_VIDEO_TRACK, _AUDIO_TRACK = 1, 2


@dataclass(frozen=True)
class TrackEntry:
    track_type: int
    width: int = 0
    height: int = 0


@dataclass
class SegmentHeaders:
    timecode_scale: int = _DEFAULT_TIMECODE_SCALE
    duration: float | None = None  # in timecode_scale units
    tracks: list[TrackEntry] | None = None
    saw_info: bool = False

    def complete(self) -> bool:
        return self.saw_info and self.tracks is not None


def probe_webm(reader: Reader) -> MediaInfo:
    elements = iter_elements(reader, 0, reader.size, "the file")
    header = next(elements, None)
    if header is None or header.id != ElementId.EBML:
        raise ProbeError("not a WebM or Matroska file: the EBML header is missing")
    if not header.sized:
        raise ProbeError("WebM file is corrupt: the EBML header has an unknown size")
    _check_doc_type(reader, header)
    segment = next((e for e in elements if e.id == ElementId.Segment), None)
    if segment is None:
        raise ProbeError("WebM file has no Segment")
    headers = _read_segment(reader, segment)
    if headers.duration is None:
        headers.duration = last_block_time(reader, segment.end)
    return _media_info(headers)


def _check_doc_type(reader: Reader, header: Element) -> None:
    doc_type = "matroska"  # the default when the header does not say
    for element in iter_elements(reader, header.body, header.end, "the EBML header"):
        if element.id == ElementId.DocType:
            doc_type = read_string(reader, element)
    if doc_type not in _DOC_TYPES:
        raise ProbeError(f"unsupported EBML document type {doc_type!r}")


def _read_segment(reader: Reader, segment: Element) -> SegmentHeaders:
    """Read Info and Tracks, which muxers put before the first Cluster (or after, with
    known-size Clusters that are skipped by seeking)."""
    headers = SegmentHeaders()
    for element in iter_elements(reader, segment.body, segment.end, "Segment"):
        if not element.sized:
            name = element_name(element.id)
            raise ProbeError(f"WebM element {name} has an unknown size before the track headers")
        if element.id == ElementId.Info:
            _read_info(reader, element, headers)
        elif element.id == ElementId.Tracks:
            headers.tracks = _read_tracks(reader, element)
        if headers.complete():
            break
    return headers


def _read_info(reader: Reader, info: Element, headers: SegmentHeaders) -> None:
    headers.saw_info = True
    for element in iter_elements(reader, info.body, info.end, "Info"):
        if element.id == ElementId.TimecodeScale:
            headers.timecode_scale = read_uint(reader, element)
        elif element.id == ElementId.Duration:
            headers.duration = read_float(reader, element)


def _read_tracks(reader: Reader, tracks: Element) -> list[TrackEntry]:
    return [
        _read_track_entry(reader, element)
        for element in iter_elements(reader, tracks.body, tracks.end, "Tracks")
        if element.id == ElementId.TrackEntry
    ]


def _read_track_entry(reader: Reader, entry: Element) -> TrackEntry:
    track_type, width, height = 0, 0, 0
    for element in iter_elements(reader, entry.body, entry.end, "TrackEntry"):
        if element.id == ElementId.TrackType:
            track_type = read_uint(reader, element)
        elif element.id == ElementId.Video:
            width, height = _read_video_size(reader, element)
    return TrackEntry(track_type, width, height)


def _read_video_size(reader: Reader, video: Element) -> tuple[int, int]:
    width, height = 0, 0
    for element in iter_elements(reader, video.body, video.end, "Video"):
        if element.id == ElementId.PixelWidth:
            width = read_uint(reader, element)
        elif element.id == ElementId.PixelHeight:
            height = read_uint(reader, element)
    return width, height


def _media_info(headers: SegmentHeaders) -> MediaInfo:
    if headers.tracks is None:
        raise ProbeError("WebM file has no Tracks element")
    video = next((t for t in headers.tracks if t.track_type == _VIDEO_TRACK), None)
    has_audio = any(t.track_type == _AUDIO_TRACK for t in headers.tracks)
    if video is None and not has_audio:
        raise ProbeError("WebM file has no video or audio track")
    duration = check_duration(_seconds(headers))
    if video is None:
        return MediaInfo("audio", "webm", duration, None, None, True)
    if video.width <= 0 or video.height <= 0:
        raise ProbeError("WebM video track has no width or height")
    return MediaInfo("video", "webm", duration, video.width, video.height, has_audio)


def _seconds(headers: SegmentHeaders) -> float:
    if headers.duration is None:
        raise ProbeError(
            "WebM file does not declare its duration and no Cluster with a Timecode was "
            "found near its end"
        )
    if headers.timecode_scale == 0:
        raise ProbeError("WebM file is corrupt: TimecodeScale is 0")
    return headers.duration * headers.timecode_scale / 1e9
