"""Structure of the generated MP4 files, read back box by box (ISO/IEC 14496-12)."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import pytest

from pixverse_emulator.media.video import aac, render_video, video_frame_count

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf"}


def iter_boxes(
    data: bytes, start: int = 0, end: int | None = None
) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box in data[start:end]."""
    end = len(data) if end is None else end
    position = start
    while position < end:
        size, box_type = struct.unpack_from(">I4s", data, position)
        assert size >= 8, f"bad size {size} for {box_type!r}"
        assert position + size <= end, f"{box_type!r} overruns its parent"
        yield box_type, position + 8, position + size
        position += size
    assert position == end


def find(data: bytes, path: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Payload ranges of all boxes at ``path`` (e.g. "moov/trak/mdia/mdhd")."""
    head, _, rest = path.partition("/")
    found = []
    for box_type, payload, box_end in iter_boxes(data, start, end):
        if box_type == head.encode():
            found += find(data, rest, payload, box_end) if rest else [(payload, box_end)]
    return found


def _samples(data: bytes, stbl: tuple[int, int]) -> list[bytes]:
    """Every sample's bytes, located through stsc, stco and stsz."""
    ((stsz, _),) = find(data, "stsz", *stbl)
    ((stsc, _),) = find(data, "stsc", *stbl)
    ((stco, _),) = find(data, "stco", *stbl)
    fixed_size, count = struct.unpack_from(">II", data, stsz + 4)
    sizes = (
        [fixed_size] * count
        if fixed_size
        else list(struct.unpack_from(f">{count}I", data, stsz + 12))
    )
    (chunk_count,) = struct.unpack_from(">I", data, stco + 4)
    offsets = struct.unpack_from(f">{chunk_count}I", data, stco + 8)
    (entry_count,) = struct.unpack_from(">I", data, stsc + 4)
    entries = [struct.unpack_from(">III", data, stsc + 8 + 12 * i) for i in range(entry_count)]
    samples: list[bytes] = []
    for chunk_number, offset in enumerate(offsets, start=1):
        per_chunk = [n for first, n, _ in entries if first <= chunk_number][-1]
        for _ in range(per_chunk):
            size = sizes[len(samples)]
            samples.append(data[offset : offset + size])
            offset += size
    assert len(samples) == count
    return samples


def test_faststart_layout() -> None:
    data = render_video(640, 360, 3.0, True, 5)
    assert [box_type for box_type, _, _ in iter_boxes(data)] == [b"ftyp", b"moov", b"mdat"]
    assert data[8:12] == b"isom"
    assert len(find(data, "moov/trak")) == 2


@pytest.mark.parametrize(("audio", "tracks"), [(False, [b"vide"]), (True, [b"vide", b"soun"])])
def test_tracks_and_handlers(audio: bool, tracks: list[bytes]) -> None:
    data = render_video(320, 240, 2.0, audio, 5)
    handlers = [data[start + 8 : start + 12] for start, _ in find(data, "moov/trak/mdia/hdlr")]
    assert handlers == tracks


@pytest.mark.parametrize("duration", [0.5, 2.0, 7.25, 15.0])
def test_sample_tables_point_at_the_media(duration: float) -> None:
    data = render_video(640, 360, duration, True, 5)
    ((mdat_start, mdat_end),) = find(data, "mdat")
    video_stbl, audio_stbl = find(data, "moov/trak/mdia/minf/stbl")
    video = _samples(data, video_stbl)
    audio = _samples(data, audio_stbl)
    assert len(video) == video_frame_count(duration)
    # Every sample is one length-prefixed NAL unit: an IDR slice first, then P slices.
    for index, sample in enumerate(video):
        (length,) = struct.unpack_from(">I", sample)
        assert length == len(sample) - 4
        assert sample[4] & 0x1F == (5 if index == 0 else 1)
    assert set(audio) == {aac.silent_frame()}
    assert sum(map(len, video)) + sum(map(len, audio)) == mdat_end - mdat_start


def test_movie_duration_matches_tracks() -> None:
    data = render_video(640, 360, 7.25, True, 5)
    ((mvhd, _),) = find(data, "moov/mvhd")
    timescale, duration = struct.unpack_from(">II", data, mvhd + 12)
    assert duration / timescale == 7.25
    for mdhd, _ in find(data, "moov/trak/mdia/mdhd"):
        timescale, duration = struct.unpack_from(">II", data, mdhd + 12)
        assert duration / timescale == pytest.approx(7.25, abs=1e-3)


def test_avcc_and_esds_records() -> None:
    data = render_video(641, 359, 1.0, True, 5)
    ((video_stsd, _), (audio_stsd, _)) = find(data, "moov/trak/mdia/minf/stbl/stsd")
    entry_start = video_stsd + 8
    assert data[entry_start + 4 : entry_start + 8] == b"avc1"
    width, height = struct.unpack_from(">HH", data, entry_start + 8 + 24)
    assert (width, height) == (641, 359)
    avcc = data.index(b"avcC", entry_start) + 4
    assert data[avcc : avcc + 4] == bytes([1, 244, 0, 30])  # version, High 4:4:4, level 3.0
    assert data[avcc + 4] == 0xFF  # 4-byte NAL lengths
    assert data[audio_stsd + 12 : audio_stsd + 16] == b"mp4a"
    esds = data.index(b"esds", audio_stsd)
    assert aac.AUDIO_SPECIFIC_CONFIG in data[esds : esds + 60]
