"""ISO BMFF (MP4) muxer: ftyp, then moov, then mdat ("faststart" layout).

Samples are stored in chunks of about one second, interleaved across tracks in time order
so a streaming reader never has to jump far.  Because the moov box comes first, chunk
offsets depend on its size; the size does not depend on the offsets' values (32-bit stco
entries), so moov is built once to measure it and once more with the real offsets.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from .boxes import UNITY_MATRIX, box, full_box

__all__ = ["MOVIE_TIMESCALE", "Track", "mux"]

MOVIE_TIMESCALE = 1000  # mvhd/tkhd time units per second
_LANGUAGE_UND = 0x55C4  # ISO 639-2 "und" packed as three 5-bit letters (8.4.2.3)


@dataclass(frozen=True)
class Track:
    """One track's media and the little metadata the boxes need."""

    handler: bytes  # b"vide" or b"soun"
    timescale: int  # media time units per second (mdhd)
    sample_entry: bytes  # the complete avc1 / mp4a box
    samples: Sequence[bytes]
    sample_durations: Sequence[tuple[int, int]]  # stts runs: (sample_count, sample_delta)
    samples_per_chunk: int
    sync_samples: Sequence[int] | None = None  # 1-based; None means every sample is sync
    width: int = 0  # presentation size, video only
    height: int = 0

    @property
    def duration(self) -> int:
        """Media duration in ``timescale`` units."""
        return sum(count * delta for count, delta in self.sample_durations)

    def decode_time(self, sample_index: int) -> int:
        """Decoding time of the 0-based ``sample_index``, from the stts runs."""
        time = 0
        for count, delta in self.sample_durations:
            step = min(count, sample_index)
            time += step * delta
            sample_index -= step
        return time


@dataclass(frozen=True)
class _Chunk:
    track_index: int
    first_sample: int
    sample_count: int
    start_seconds: float


def mux(tracks: Sequence[Track]) -> bytes:
    """The complete MP4 file for ``tracks`` (track IDs are 1, 2, ... in order)."""
    chunks = _interleaved_chunks(tracks)
    payload, offsets = _mdat_payload(tracks, chunks)
    ftyp = _ftyp()
    moov_size = len(_moov(tracks, chunks, offsets, base=0))
    mdat_start = len(ftyp) + moov_size + 8  # + the mdat box header
    if mdat_start + len(payload) >= 1 << 32:
        raise ValueError("media too large for 32-bit chunk offsets")
    moov = _moov(tracks, chunks, offsets, base=mdat_start)
    return ftyp + moov + box(b"mdat", payload)


def _interleaved_chunks(tracks: Sequence[Track]) -> list[_Chunk]:
    """All chunks of all tracks, in order of start time (ties: lower track first)."""
    chunks = []
    for index, track in enumerate(tracks):
        for first in range(0, len(track.samples), track.samples_per_chunk):
            count = min(track.samples_per_chunk, len(track.samples) - first)
            start = track.decode_time(first) / track.timescale
            chunks.append(_Chunk(index, first, count, start))
    return sorted(chunks, key=lambda chunk: (chunk.start_seconds, chunk.track_index))


def _mdat_payload(tracks: Sequence[Track], chunks: list[_Chunk]) -> tuple[bytes, list[int]]:
    """The chunks' sample bytes back to back, and each chunk's offset in that payload."""
    parts: list[bytes] = []
    offsets: list[int] = []
    position = 0
    for chunk in chunks:
        samples = tracks[chunk.track_index].samples
        data = b"".join(samples[chunk.first_sample : chunk.first_sample + chunk.sample_count])
        offsets.append(position)
        parts.append(data)
        position += len(data)
    return b"".join(parts), offsets


def _ftyp() -> bytes:
    """FileTypeBox (4.3): ISO base media with AVC, readable as MP4 v1."""
    return box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2avc1mp41")


def _to_movie_time(track: Track) -> int:
    return round(track.duration * MOVIE_TIMESCALE / track.timescale)


def _moov(tracks: Sequence[Track], chunks: list[_Chunk], offsets: list[int], base: int) -> bytes:
    traks = []
    for index, track in enumerate(tracks):
        placed = [(c, o) for c, o in zip(chunks, offsets, strict=True) if c.track_index == index]
        chunk_counts = [chunk.sample_count for chunk, _ in placed]
        chunk_offsets = [base + offset for _, offset in placed]
        traks.append(_trak(track, index + 1, chunk_counts, chunk_offsets))
    # 8.2.2.3: the movie lasts as long as its longest track.
    duration = max(_to_movie_time(track) for track in tracks)
    return box(b"moov", _mvhd(duration, len(tracks) + 1), *traks)


def _mvhd(duration: int, next_track_id: int) -> bytes:
    """MovieHeaderBox (8.2.2); creation/modification times are 0 for reproducible bytes."""
    return full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIIIiH10x", 0, 0, MOVIE_TIMESCALE, duration, 0x10000, 0x0100),
        UNITY_MATRIX,
        bytes(24),  # pre_defined
        struct.pack(">I", next_track_id),
    )


def _trak(track: Track, track_id: int, chunk_counts: list[int], chunk_offsets: list[int]) -> bytes:
    minf = _minf(track, chunk_counts, chunk_offsets)
    mdia = box(b"mdia", _mdhd(track), _hdlr(track.handler), minf)
    return box(b"trak", _tkhd(track, track_id), mdia)


def _tkhd(track: Track, track_id: int) -> bytes:
    """TrackHeaderBox (8.3.2), flags track_enabled | track_in_movie."""
    volume = 0x0100 if track.handler == b"soun" else 0
    return full_box(
        b"tkhd",
        0,
        0x000003,
        struct.pack(">IIIIIxxxxxxxxhhhxx", 0, 0, track_id, 0, _to_movie_time(track), 0, 0, volume),
        UNITY_MATRIX,
        struct.pack(">II", track.width << 16, track.height << 16),
    )


def _mdhd(track: Track) -> bytes:
    """MediaHeaderBox (8.4.2)."""
    fields = struct.pack(">IIIIHH", 0, 0, track.timescale, track.duration, _LANGUAGE_UND, 0)
    return full_box(b"mdhd", 0, 0, fields)


def _hdlr(handler: bytes) -> bytes:
    """HandlerReferenceBox (8.4.3) with a NUL-terminated name."""
    name = b"VideoHandler\x00" if handler == b"vide" else b"SoundHandler\x00"
    return full_box(b"hdlr", 0, 0, struct.pack(">I4s12x", 0, handler), name)


def _minf(track: Track, chunk_counts: list[int], chunk_offsets: list[int]) -> bytes:
    if track.handler == b"vide":
        media_header = full_box(b"vmhd", 0, 1, bytes(8))  # 12.1.2: graphicsmode copy
    else:
        media_header = full_box(b"smhd", 0, 0, bytes(4))  # 12.2.2: balance centred
    url = full_box(b"url ", 0, 1)  # flag 1: media data is in this file (8.7.2)
    dinf = box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), url))
    return box(b"minf", media_header, dinf, _stbl(track, chunk_counts, chunk_offsets))


def _stbl(track: Track, chunk_counts: list[int], chunk_offsets: list[int]) -> bytes:
    """SampleTableBox (8.5.1) with stsd, stts, stss, stsc, stsz and stco."""
    stsd = full_box(b"stsd", 0, 0, struct.pack(">I", 1), track.sample_entry)
    tables = [stsd, _stts(track.sample_durations)]
    if track.sync_samples is not None:
        tables.append(_uint32_table(b"stss", track.sync_samples))
    tables += [_stsc(chunk_counts), _stsz(track.samples), _uint32_table(b"stco", chunk_offsets)]
    return box(b"stbl", *tables)


def _stts(runs: Sequence[tuple[int, int]]) -> bytes:
    """TimeToSampleBox (8.6.1.2), merging adjacent runs with equal deltas."""
    merged: list[list[int]] = []
    for count, delta in runs:
        if count == 0:
            continue
        if merged and merged[-1][1] == delta:
            merged[-1][0] += count
        else:
            merged.append([count, delta])
    entries = b"".join(struct.pack(">II", count, delta) for count, delta in merged)
    return full_box(b"stts", 0, 0, struct.pack(">I", len(merged)), entries)


def _stsc(chunk_counts: list[int]) -> bytes:
    """SampleToChunkBox (8.7.4): one entry wherever the samples-per-chunk count changes."""
    entries = [
        struct.pack(">III", number, count, 1)  # first_chunk, samples_per_chunk, entry index
        for number, count in enumerate(chunk_counts, start=1)
        if number == 1 or chunk_counts[number - 2] != count
    ]
    return full_box(b"stsc", 0, 0, struct.pack(">I", len(entries)), *entries)


def _stsz(samples: Sequence[bytes]) -> bytes:
    """SampleSizeBox (8.7.3): a single size when all samples are equal, else a table."""
    sizes = [len(sample) for sample in samples]
    if len(set(sizes)) == 1:
        return full_box(b"stsz", 0, 0, struct.pack(">II", sizes[0], len(sizes)))
    table = struct.pack(f">{len(sizes)}I", *sizes)
    return full_box(b"stsz", 0, 0, struct.pack(">II", 0, len(sizes)), table)


def _uint32_table(box_type: bytes, values: Sequence[int]) -> bytes:
    """A full box holding an entry count and 32-bit entries (stss, stco)."""
    body = struct.pack(f">I{len(values)}I", len(values), *values)
    return full_box(box_type, 0, 0, body)
