"""MP4, MOV and M4A: find 'moov' among the top-level boxes and read its track headers.

Only box headers and a handful of small header boxes are read: 'mdat' is skipped with a
seek wherever it is, so a movie whose 'moov' follows gigabytes of media costs a few reads.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pixverse_emulator.media.probe.boxes import Box, iter_boxes, read_box_prefix, read_full_box
from pixverse_emulator.media.probe.errors import ProbeError
from pixverse_emulator.media.probe.info import Container, MediaInfo, check_duration
from pixverse_emulator.media.probe.reader import Reader

__all__ = ["QUICKTIME_TOP_LEVEL", "container_for_brand", "probe_isobmff"]

# Boxes that may open a classic QuickTime file written before 'ftyp' existed.
QUICKTIME_TOP_LEVEL = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
_MEDIA_DATA = frozenset({"mdat", "moof"})
# Durations of all ones mean "unknown" in mvhd, tkhd and mdhd.
_UNKNOWN_DURATIONS = frozenset({0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF})


@dataclass(frozen=True)
class Clock:
    """A duration in units of a timescale (units per second), as stored in the headers."""

    timescale: int
    units: int

    def seconds(self) -> float | None:
        if self.timescale == 0 or self.units == 0 or self.units in _UNKNOWN_DURATIONS:
            return None
        return self.units / self.timescale


@dataclass
class Track:
    handler: str = ""
    clock: Clock | None = None
    width: int = 0  # from the stsd visual sample entry
    height: int = 0
    header_width: int = 0  # from tkhd, the fallback
    header_height: int = 0


@dataclass
class Movie:
    clock: Clock | None = None
    fragment_units: int = 0  # mvex/mehd, in the mvhd timescale
    tracks: list[Track] = field(default_factory=list)


def container_for_brand(major_brand: bytes | None) -> Container:
    """Map an 'ftyp' major brand to a container name; no 'ftyp' at all means QuickTime."""
    if major_brand is None or major_brand == b"qt  ":
        return "mov"
    if major_brand == b"M4A ":
        return "m4a"
    return "mp4"


def probe_isobmff(reader: Reader) -> MediaInfo:
    brand, moov = _scan_top_level(reader)
    movie = _read_movie(reader, moov)
    return _media_info(movie, container_for_brand(brand))


def _scan_top_level(reader: Reader) -> tuple[bytes | None, Box]:
    brand: bytes | None = None
    moov: Box | None = None
    has_media_data = False
    for box in iter_boxes(reader, 0, reader.size):
        if box.kind == "ftyp" and brand is None:
            brand = read_box_prefix(reader, box, 4)
            if len(brand) != 4:
                raise ProbeError("MP4 box 'ftyp' is too short")
        elif box.kind == "moov" and moov is None:
            moov = box
        elif box.kind in _MEDIA_DATA:
            has_media_data = True
        if moov is not None and has_media_data:
            return brand, moov
    if moov is None:
        raise ProbeError("MP4 file has no 'moov' box (movie header)")
    raise ProbeError("MP4 file has no media data ('mdat' box)")


def _read_movie(reader: Reader, moov: Box) -> Movie:
    movie = Movie()
    for box in iter_boxes(reader, moov.body, moov.end, "moov"):
        if box.kind == "mvhd":
            movie.clock = _read_clock(reader, box)
        elif box.kind == "trak":
            movie.tracks.append(_read_track(reader, box))
        elif box.kind == "mvex":
            movie.fragment_units = _read_fragment_duration(reader, box)
        elif box.kind == "cmov":
            raise ProbeError("compressed QuickTime movie headers are not supported")
    return movie


def _read_clock(reader: Reader, box: Box) -> Clock:
    """Timescale and duration from an 'mvhd' or 'mdhd' box, which share this layout."""
    version, data = read_full_box(reader, box, 20, 32)
    if version == 1:
        timescale, units = struct.unpack_from(">IQ", data, 20)
    else:
        timescale, units = struct.unpack_from(">II", data, 12)
    return Clock(timescale, units)


def _read_fragment_duration(reader: Reader, mvex: Box) -> int:
    # A fragmented file may leave mvhd at 0 and keep its length in mvex/mehd instead.
    for box in iter_boxes(reader, mvex.body, mvex.end, "mvex"):
        if box.kind == "mehd":
            version, data = read_full_box(reader, box, 8, 12)
            (units,) = struct.unpack_from(">Q" if version else ">I", data, 4)
            return int(units)
    return 0


def _read_track(reader: Reader, trak: Box) -> Track:
    track = Track()
    for box in iter_boxes(reader, trak.body, trak.end, "trak"):
        if box.kind == "tkhd":
            track.header_width, track.header_height = _read_tkhd_size(reader, box)
        elif box.kind == "mdia":
            _read_media(reader, box, track)
    return track


def _read_tkhd_size(reader: Reader, box: Box) -> tuple[int, int]:
    version, data = read_full_box(reader, box, 84, 96)
    width, height = struct.unpack_from(">II", data, 88 if version else 76)
    return width >> 16, height >> 16  # 16.16 fixed point; the fraction does not matter


def _read_media(reader: Reader, mdia: Box, track: Track) -> None:
    for box in iter_boxes(reader, mdia.body, mdia.end, "mdia"):
        if box.kind == "mdhd":
            track.clock = _read_clock(reader, box)
        elif box.kind == "hdlr":
            track.handler = _read_handler(reader, box)
        elif box.kind == "minf":
            _read_sample_table(reader, box, track)


def _read_handler(reader: Reader, box: Box) -> str:
    data = read_box_prefix(reader, box, 12)
    if len(data) < 12:
        raise ProbeError("MP4 box 'hdlr' is too short")
    return data[8:12].decode("latin-1")


def _read_sample_table(reader: Reader, minf: Box, track: Track) -> None:
    """Find minf/stbl/stsd and take the picture size from its first sample entry."""
    for stbl in iter_boxes(reader, minf.body, minf.end, "minf"):
        if stbl.kind != "stbl":
            continue
        for stsd in iter_boxes(reader, stbl.body, stbl.end, "stbl"):
            if stsd.kind == "stsd":
                track.width, track.height = _read_visual_entry_size(reader, stsd)


def _read_visual_entry_size(reader: Reader, stsd: Box) -> tuple[int, int]:
    # stsd: version/flags, entry count, then sample entry boxes. A visual sample entry has
    # 6 reserved bytes, a data reference index and 16 bytes before its width and height.
    for entry in iter_boxes(reader, stsd.body + 8, stsd.end, "stsd"):
        data = read_box_prefix(reader, entry, 28)
        if len(data) < 28:
            return 0, 0
        width, height = struct.unpack_from(">HH", data, 24)
        return width, height
    return 0, 0


def _media_info(movie: Movie, container: Container) -> MediaInfo:
    """Video if there is a video track, else audio if there is an audio track."""
    video = next((t for t in movie.tracks if t.handler == "vide"), None)
    has_audio = any(t.handler == "soun" for t in movie.tracks)
    if video is None and not has_audio:
        raise ProbeError("MP4 file has no video or audio track")
    duration = check_duration(_movie_seconds(movie))
    if video is None:
        return MediaInfo("audio", container, duration, None, None, True)
    width, height = _video_size(video)
    return MediaInfo("video", container, duration, width, height, has_audio)


def _movie_seconds(movie: Movie) -> float:
    """mvhd duration, else the longest track (mdhd), else the fragmented length (mehd)."""
    movie_seconds = movie.clock.seconds() if movie.clock else None
    if movie_seconds is not None:
        return movie_seconds
    track_seconds = [s for t in movie.tracks if t.clock and (s := t.clock.seconds()) is not None]
    if track_seconds:
        return max(track_seconds)
    if movie.clock:
        fragment_seconds = Clock(movie.clock.timescale, movie.fragment_units).seconds()
        if fragment_seconds is not None:
            return fragment_seconds
    raise ProbeError("MP4 file does not declare its duration")


def _video_size(track: Track) -> tuple[int, int]:
    """Prefer the coded size in the sample entry; fall back to the track header."""
    if track.width > 0 and track.height > 0:
        return track.width, track.height
    if track.header_width > 0 and track.header_height > 0:
        return track.header_width, track.header_height
    raise ProbeError("MP4 video track has no width or height")
