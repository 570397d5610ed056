"""Media probes: MP4/MOV/M4A boxes, WebM/Matroska elements, WAV, MP3 and ADTS AAC."""

from __future__ import annotations

import dataclasses
import io
import math
import os
import random
import struct
import wave
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import CountingFile, mutated, only_probe_errors

from pixverse_emulator.media.probe import MediaInfo, ProbeError, probe_media, sniff_media
from pixverse_emulator.media.probe.adts import MAX_WALKED_FRAMES

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MEDIA_FIXTURES = {
    "sample.mp4": MediaInfo("video", "mp4", 2.0, 320, 240, True),
    "sample.wav": MediaInfo("audio", "wav", 2.0, None, None, True),
    "sample.mp3": MediaInfo("audio", "mp3", 2.0, None, None, True),
}
MIB = 1024 * 1024
TOLERANCE = 0.05  # seconds


def probe_bytes(data: bytes) -> MediaInfo:
    return probe_media(io.BytesIO(data))


def assert_media(info: MediaInfo, expected: MediaInfo) -> None:
    assert (info.kind, info.container) == (expected.kind, expected.container)
    assert (info.width, info.height, info.has_audio) == (
        expected.width,
        expected.height,
        expected.has_audio,
    )
    assert info.duration == pytest.approx(expected.duration, abs=TOLERANCE)


class RepeatingFile:
    """A read-only file of ``head`` followed by ``unit`` repeated, without holding it all."""

    def __init__(self, head: bytes, unit: bytes, repeats: int) -> None:
        self._head, self._unit = head, unit
        self.size = len(head) + len(unit) * repeats
        self._pos = 0
        self.bytes_read = 0

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._pos = offset + (self.size if whence == os.SEEK_END else 0)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, size: int = -1) -> bytes:
        end = self.size if size < 0 else min(self.size, self._pos + size)
        out = bytearray()
        while self._pos < end:
            if self._pos < len(self._head):
                piece = self._head[self._pos : end]
            else:
                offset = (self._pos - len(self._head)) % len(self._unit)
                piece = self._unit[offset : offset + end - self._pos]
            out += piece
            self._pos += len(piece)
        self.bytes_read += len(out)
        return bytes(out)


def write_sparse(path: Path, head: bytes, size: int, tail: bytes) -> None:
    """Write ``head`` and ``tail`` around a hole, making a ``size``-byte sparse file."""
    with path.open("wb") as f:
        f.write(head)
        f.truncate(size - len(tail))
        f.seek(size - len(tail))
        f.write(tail)


def cut_points(size: int) -> list[int]:
    """Every cut in the first 200 bytes and the last 40, and 60 spread over the middle."""
    middle = range(200, max(size - 40, 200), max((size - 240) // 60, 1))
    return sorted({*range(min(size, 200)), *middle, *range(max(size - 40, 0), size)})


# --- MP4 / MOV / M4A builders -----------------------------------------------------------


def box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def large_box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I", 1) + kind + struct.pack(">Q", 16 + len(payload)) + payload


def full_box(kind: bytes, version: int, payload: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]), payload)


def clock_box(kind: bytes, timescale: int, duration: int, version: int = 0) -> bytes:
    """mvhd and mdhd share this start; the rest of either box is not read."""
    if version == 1:
        return full_box(kind, 1, bytes(16) + struct.pack(">IQ", timescale, duration) + bytes(80))
    return full_box(kind, version, bytes(8) + struct.pack(">II", timescale, duration) + bytes(80))


def tkhd(width: int, height: int, version: int = 0) -> bytes:
    times = bytes(32) if version == 1 else bytes(20)
    size = struct.pack(">II", width << 16, height << 16)
    return full_box(b"tkhd", version, times + bytes(52) + size)


def hdlr(handler: bytes) -> bytes:
    return full_box(b"hdlr", 0, bytes(4) + handler + bytes(12) + b"handler\0")


def stsd(entry: bytes | None) -> bytes:
    entries = [entry] if entry is not None else []
    return full_box(b"stsd", 0, struct.pack(">I", len(entries)) + b"".join(entries))


def visual_entry(width: int, height: int) -> bytes:
    return box(
        b"avc1", bytes(6) + b"\0\x01" + bytes(16) + struct.pack(">HH", width, height), bytes(50)
    )


def audio_entry() -> bytes:
    return box(
        b"mp4a", bytes(6) + b"\0\x01" + bytes(8) + b"\0\x02\0\x10" + bytes(4) + b"\xac\x44\0\0"
    )


def trak(
    handler: bytes,
    *,
    size: tuple[int, int] = (0, 0),
    header_size: tuple[int, int] | None = None,
    clock: tuple[int, int] = (1000, 2000),
    version: int = 0,
    entry: bytes | None = b"",
) -> bytes:
    if entry == b"":
        entry = visual_entry(*size) if handler == b"vide" else audio_entry()
    header_size = size if header_size is None else header_size
    media = box(
        b"mdia",
        clock_box(b"mdhd", *clock, version=version),
        hdlr(handler),
        box(
            b"minf",
            box(b"vmhd" if handler == b"vide" else b"smhd", bytes(8)),
            box(b"stbl", stsd(entry), box(b"stts", bytes(8))),
        ),
    )
    return box(b"trak", tkhd(*header_size, version=version), media)


def video_trak(width: int = 640, height: int = 360, **kwargs: Any) -> bytes:
    return trak(b"vide", size=(width, height), **kwargs)


def mp4(
    *tracks: bytes,
    brand: bytes | None = b"isom",
    mvhd: bytes | None = None,
    moov_first: bool = False,
    mdat: bytes | None = None,
    extra_moov: bytes = b"",
) -> bytes:
    ftyp = box(b"ftyp", brand, b"\0\0\x02\0", brand, b"mp41") if brand is not None else b""
    movie_header = clock_box(b"mvhd", 600, 1200) if mvhd is None else mvhd
    moov = box(b"moov", movie_header, *tracks, extra_moov)
    media = box(b"mdat", bytes(64)) if mdat is None else mdat
    return ftyp + (moov + media if moov_first else media + moov)


# --- MP4 / MOV / M4A tests --------------------------------------------------------------


@pytest.mark.parametrize("name", list(MEDIA_FIXTURES), ids=list(MEDIA_FIXTURES))
def test_fixture_probes_to_known_values(name: str) -> None:
    with (FIXTURES / name).open("rb") as f:
        assert_media(probe_media(f), MEDIA_FIXTURES[name])
    assert (FIXTURES / name).stat().st_size < 100_000


def pyav_facts(path: Path) -> MediaInfo:
    """What PyAV (FFmpeg) says about a file, in probe terms (container left as "mp4")."""
    av = pytest.importorskip("av", reason="PyAV cross-checks probed values")
    with av.open(str(path)) as container:
        duration = container.duration / 1_000_000
        videos = container.streams.video
        width = videos[0].codec_context.width if videos else None
        height = videos[0].codec_context.height if videos else None
        has_audio = bool(container.streams.audio)
    if not videos:
        return MediaInfo("audio", "mp4", duration, None, None, True)
    return MediaInfo("video", "mp4", duration, width, height, has_audio)


@pytest.mark.parametrize("name", list(MEDIA_FIXTURES), ids=list(MEDIA_FIXTURES))
def test_fixture_matches_pyav(name: str) -> None:
    expected = pyav_facts(FIXTURES / name)
    with (FIXTURES / name).open("rb") as f:
        info = probe_media(f)
    assert_media(info, dataclasses.replace(expected, container=info.container))


def test_fixture_mp4_keeps_moov_after_mdat() -> None:
    data = (FIXTURES / "sample.mp4").read_bytes()
    assert data.index(b"mdat") < data.index(b"moov")


BUILT_MP4 = {
    "moov-after-mdat": (
        mp4(video_trak(), trak(b"soun")),
        MediaInfo("video", "mp4", 2.0, 640, 360, True),
    ),
    "moov-first": (
        mp4(video_trak(), moov_first=True),
        MediaInfo("video", "mp4", 2.0, 640, 360, False),
    ),
    "mov-qt-brand": (
        mp4(video_trak(1920, 1080), trak(b"soun"), brand=b"qt  "),
        MediaInfo("video", "mov", 2.0, 1920, 1080, True),
    ),
    "mov-without-ftyp": (
        mp4(video_trak(), brand=None, moov_first=True),
        MediaInfo("video", "mov", 2.0, 640, 360, False),
    ),
    "m4a-audio-only": (
        mp4(trak(b"soun"), brand=b"M4A "),
        MediaInfo("audio", "m4a", 2.0, None, None, True),
    ),
    "mp4-audio-only": (mp4(trak(b"soun")), MediaInfo("audio", "mp4", 2.0, None, None, True)),
    "64-bit-largesize-mdat": (
        mp4(video_trak(), mdat=large_box(b"mdat", bytes(40))),
        MediaInfo("video", "mp4", 2.0, 640, 360, False),
    ),
    "64-bit-largesize-moov": (
        box(b"ftyp", b"isom\0\0\0\0")
        + box(b"mdat", bytes(9))
        + large_box(b"moov", clock_box(b"mvhd", 1000, 4500), video_trak()),
        MediaInfo("video", "mp4", 4.5, 640, 360, False),
    ),
    "mdat-size-0-to-end": (
        mp4(video_trak(), moov_first=True, mdat=struct.pack(">I", 0) + b"mdat" + bytes(500)),
        MediaInfo("video", "mp4", 2.0, 640, 360, False),
    ),
    "version-1-headers": (
        mp4(
            video_trak(version=1, clock=(90000, 90000 * 7)),
            mvhd=clock_box(b"mvhd", 1000, 7000, version=1),
        ),
        MediaInfo("video", "mp4", 7.0, 640, 360, False),
    ),
    "stsd-size-beats-tkhd": (
        mp4(video_trak(320, 240, header_size=(427, 240))),
        MediaInfo("video", "mp4", 2.0, 320, 240, False),
    ),
    "tkhd-size-when-stsd-empty": (
        mp4(trak(b"vide", header_size=(720, 576), entry=None)),
        MediaInfo("video", "mp4", 2.0, 720, 576, False),
    ),
    "longest-mdhd-when-mvhd-is-0": (
        mp4(
            video_trak(clock=(25, 75)),
            trak(b"soun", clock=(48000, 48000 * 4)),
            mvhd=clock_box(b"mvhd", 1000, 0),
        ),
        MediaInfo("video", "mp4", 4.0, 640, 360, True),
    ),
    "fragmented-mehd": (
        mp4(
            video_trak(clock=(1000, 0)),
            mvhd=clock_box(b"mvhd", 1000, 0),
            extra_moov=box(b"mvex", full_box(b"mehd", 0, struct.pack(">I", 3500))),
            mdat=box(b"moof", box(b"mfhd", bytes(8))) + box(b"mdat", bytes(8)),
        ),
        MediaInfo("video", "mp4", 3.5, 640, 360, False),
    ),
    "quicktime-zero-terminator": (
        mp4(video_trak(), extra_moov=box(b"udta", box(b"\xa9nam", b"x")) + bytes(4)),
        MediaInfo("video", "mp4", 2.0, 640, 360, False),
    ),
    "text-track-ignored": (
        mp4(trak(b"text", entry=None), video_trak()),
        MediaInfo("video", "mp4", 2.0, 640, 360, False),
    ),
}


@pytest.mark.parametrize("case", list(BUILT_MP4), ids=list(BUILT_MP4))
def test_built_mp4_probes(case: str) -> None:
    data, expected = BUILT_MP4[case]
    assert probe_bytes(data) == expected


BAD_MP4 = {
    "moov-overruns-file": (mp4(video_trak())[:-10], "MP4 box 'moov' overruns the file"),
    "mdat-overruns-file": (
        box(b"ftyp", b"isom\0\0\0\0") + struct.pack(">I", 10_000) + b"mdat" + bytes(100),
        "MP4 box 'mdat' overruns the file",
    ),
    "largesize-overruns-file": (
        box(b"ftyp", b"isom\0\0\0\0") + large_box(b"mdat", bytes(8))[:-1],
        "MP4 box 'mdat' overruns the file",
    ),
    "child-overruns-parent": (
        mp4(box(b"trak", struct.pack(">I", 500) + b"tkhd" + bytes(100))),
        "MP4 box 'tkhd' overruns its parent 'trak'",
    ),
    "size-smaller-than-header": (
        box(b"ftyp", b"isom\0\0\0\0") + struct.pack(">I", 4) + b"moov" + bytes(20),
        "invalid size 4",
    ),
    "no-moov": (box(b"ftyp", b"isom\0\0\0\0") + box(b"mdat", bytes(20)), "no 'moov' box"),
    "no-mdat": (
        box(b"ftyp", b"isom\0\0\0\0") + box(b"moov", clock_box(b"mvhd", 600, 600), video_trak()),
        "no media data",
    ),
    "no-tracks": (mp4(), "no video or audio track"),
    "only-a-text-track": (mp4(trak(b"text", entry=None)), "no video or audio track"),
    "zero-duration": (
        mp4(video_trak(clock=(1000, 0)), mvhd=clock_box(b"mvhd", 1000, 0)),
        "does not declare its duration",
    ),
    "zero-timescale": (
        mp4(video_trak(clock=(0, 100)), mvhd=clock_box(b"mvhd", 0, 100)),
        "does not declare its duration",
    ),
    "video-without-size": (mp4(trak(b"vide", entry=None)), "video track has no width or height"),
    "mvhd-version-2": (
        mp4(video_trak(), mvhd=clock_box(b"mvhd", 600, 600, version=2)),
        "version 2",
    ),
    "mvhd-too-short": (mp4(video_trak(), mvhd=full_box(b"mvhd", 0, bytes(8))), "too short"),
    "compressed-moov": (mp4(extra_moov=box(b"cmov", bytes(20))), "compressed"),
    "header-cut-in-half": (box(b"ftyp", b"isom\0\0\0\0") + b"\0\0\0\x10mo", "box header"),
}


@pytest.mark.parametrize("case", list(BAD_MP4), ids=list(BAD_MP4))
def test_bad_mp4_is_rejected(case: str) -> None:
    data, message = BAD_MP4[case]
    with pytest.raises(ProbeError, match=message):
        probe_bytes(data)


TRUNCATABLE_MEDIA = {
    "sample.mp4": (FIXTURES / "sample.mp4").read_bytes(),
    "sample.wav": (FIXTURES / "sample.wav").read_bytes(),
    "sample.mp3": (FIXTURES / "sample.mp3").read_bytes(),
    "mp4-moov-first": mp4(video_trak(), trak(b"soun"), moov_first=True),
}


@pytest.mark.parametrize("name", list(TRUNCATABLE_MEDIA), ids=list(TRUNCATABLE_MEDIA))
def test_truncated_media_is_rejected_at_every_cut(name: str) -> None:
    data = TRUNCATABLE_MEDIA[name]
    for cut in cut_points(len(data)):
        with pytest.raises(ProbeError):
            probe_bytes(data[:cut])


def test_huge_mdat_before_moov_is_seeked_over(tmp_path: Path) -> None:
    size = 200 * MIB
    moov = box(b"moov", clock_box(b"mvhd", 1000, 9000), video_trak(1280, 720))
    ftyp = box(b"ftyp", b"isom\0\0\0\0")
    mdat_size = size - len(moov) - len(ftyp)  # a 64-bit largesize, up to moov
    head = ftyp + struct.pack(">I4sQ", 1, b"mdat", mdat_size)
    path = tmp_path / "big.mp4"
    write_sparse(path, head, size, moov)
    with path.open("rb") as raw:
        counting = CountingFile(raw)
        info = probe_media(cast(BinaryIO, counting))
    assert (info.duration, info.width, info.height) == (9.0, 1280, 720)
    assert counting.bytes_read < 64 * 1024


def test_mdat_to_end_of_large_file_is_not_read(tmp_path: Path) -> None:
    head = mp4(video_trak(), moov_first=True, mdat=struct.pack(">I", 0) + b"mdat")
    path = tmp_path / "big.mp4"
    write_sparse(path, head, 200 * MIB, b"")
    with path.open("rb") as raw:
        counting = CountingFile(raw)
        assert probe_media(cast(BinaryIO, counting)).width == 640
    assert counting.bytes_read < 64 * 1024


def test_thousands_of_boxes_are_refused() -> None:
    data = box(b"ftyp", b"isom\0\0\0\0") + box(b"free") * 20_000 + mp4(video_trak())[16:]
    with pytest.raises(ProbeError, match="too many boxes"):
        probe_bytes(data)


def make_with_pyav(path: Path, fmt: str, video: str | None, audio: str | None) -> None:
    """Write one second of real video and/or audio with PyAV."""
    av = pytest.importorskip("av", reason="PyAV makes real media files to cross-check")
    np = pytest.importorskip("numpy", reason="PyAV frames are built from arrays")
    with av.open(str(path), "w", format=fmt) as container:
        # Every stream must exist before the first packet is muxed.
        streams = []
        if video is not None:
            vstream = container.add_stream(video, rate=10)
            vstream.width, vstream.height, vstream.pix_fmt = 176, 144, "yuv420p"
            pixels = [np.full((144, 176, 3), i * 20, dtype=np.uint8) for i in range(10)]
            streams.append(
                (vstream, [av.VideoFrame.from_ndarray(p, format="rgb24") for p in pixels])
            )
        if audio is not None:
            astream = container.add_stream(audio, rate=48000)
            astream.layout = "mono"
            silence = np.zeros((1, 960), dtype=np.float32)
            chunks = [
                av.AudioFrame.from_ndarray(silence, format="fltp", layout="mono") for _ in range(50)
            ]
            for frame in chunks:
                frame.sample_rate, frame.time_base = 48000, Fraction(1, 48000)
            streams.append((astream, chunks))
        for stream, frames in streams:
            for index, frame in enumerate(frames):
                frame.pts = index * (960 if stream.type == "audio" else 1)
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))


PYAV_FILES = {
    "mov": ("mov", "mpeg4", "aac", "mov"),
    "m4a": ("ipod", None, "aac", "m4a"),
    "webm-vp8-opus": ("webm", "libvpx", "libopus", "webm"),
    "webm-audio-only": ("webm", None, "libopus", "webm"),
    "matroska": ("matroska", "mpeg4", None, "webm"),
    "adts": ("adts", None, "aac", "aac"),
    "mp3-layer3": ("mp3", None, "libmp3lame", "mp3"),
    "wav": ("wav", None, "pcm_s16le", "wav"),
}


@pytest.mark.parametrize("case", list(PYAV_FILES), ids=list(PYAV_FILES))
def test_real_files_match_pyav(tmp_path: Path, case: str) -> None:
    fmt, video, audio, container = PYAV_FILES[case]
    path = tmp_path / f"file.{fmt}"
    make_with_pyav(path, fmt, video, audio)
    expected = pyav_facts(path)
    with path.open("rb") as f:
        info = probe_media(f)
    assert info.container == container
    assert_media(info, dataclasses.replace(expected, container=container))


# --- WebM / Matroska --------------------------------------------------------------------


def ebml_size(size: int | None, length: int | None = None) -> bytes:
    """EBML variable-size integer; None writes the reserved "unknown size" value."""
    if size is None:
        return b"\x01\xff\xff\xff\xff\xff\xff\xff"
    length = length or next(n for n in range(1, 9) if size < (1 << 7 * n) - 1)
    return ((1 << 7 * length) | size).to_bytes(length, "big")


def element(element_id: int, *parts: bytes, unknown_size: bool = False) -> bytes:
    payload = b"".join(parts)
    id_bytes = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return id_bytes + ebml_size(None if unknown_size else len(payload)) + payload


def uint(element_id: int, value: int) -> bytes:
    return element(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def ebml_header(doc_type: bytes = b"webm") -> bytes:
    return element(0x1A45DFA3, uint(0x4286, 1), uint(0x42F7, 1), element(0x4282, doc_type))


def info(duration: float | None, float_size: int = 8, scale: int | None = None) -> bytes:
    parts = [uint(0x2AD7B1, scale)] if scale is not None else []
    if duration is not None:
        parts.append(element(0x4489, struct.pack(">f" if float_size == 4 else ">d", duration)))
    return element(0x1549A966, *parts, element(0x4D80, b"test"))


def track_entry(track_type: int, width: int = 0, height: int = 0) -> bytes:
    video = element(0xE0, uint(0xB0, width), uint(0xBA, height)) if track_type == 1 else b""
    audio = element(0xE1, element(0xB5, struct.pack(">f", 48000.0))) if track_type == 2 else b""
    return element(0xAE, uint(0xD7, track_type), uint(0x83, track_type), video, audio)


def tracks(*entries: bytes) -> bytes:
    return element(0x1654AE6B, *entries)


def cluster(unknown_size: bool = False) -> bytes:
    return element(0x1F43B675, uint(0xE7, 0), element(0xA3, bytes(30)), unknown_size=unknown_size)


def webm(*children: bytes, doc_type: bytes = b"webm", unknown_size: bool = False) -> bytes:
    return ebml_header(doc_type) + element(0x18538067, *children, unknown_size=unknown_size)


AV_TRACKS = tracks(track_entry(1, 1280, 720), track_entry(2))

BUILT_WEBM = {
    "float64-duration": (webm(info(2500.0), AV_TRACKS, cluster()), 2.5, "video"),
    "float32-duration": (webm(info(1500.0, float_size=4), AV_TRACKS, cluster()), 1.5, "video"),
    "matroska-doctype": (webm(info(1000.0), AV_TRACKS, doc_type=b"matroska"), 1.0, "video"),
    "timecode-scale": (webm(info(3_000_000.0, scale=1000), AV_TRACKS), 3.0, "video"),
    "unknown-size-segment": (
        webm(info(4000.0), AV_TRACKS, cluster(unknown_size=True), unknown_size=True),
        4.0,
        "video",
    ),
    "tracks-after-known-size-cluster": (webm(info(5000.0), cluster(), AV_TRACKS), 5.0, "video"),
    "audio-only": (webm(info(6000.0), tracks(track_entry(2))), 6.0, "audio"),
}


@pytest.mark.parametrize("case", list(BUILT_WEBM), ids=list(BUILT_WEBM))
def test_built_webm_probes(case: str) -> None:
    data, duration, kind = BUILT_WEBM[case]
    result = probe_bytes(data)
    assert (result.kind, result.container) == (kind, "webm")
    assert result.duration == pytest.approx(duration)
    if kind == "video":
        assert (result.width, result.height, result.has_audio) == (1280, 720, True)
    else:
        assert (result.width, result.height, result.has_audio) == (None, None, True)


BAD_WEBM = {
    "unknown-size-cluster-before-tracks": (
        webm(info(1000.0), cluster(unknown_size=True), AV_TRACKS),
        "Cluster has an unknown size",
    ),
    "unknown-size-info": (
        webm(element(0x1549A966, uint(0x2AD7B1, 1), unknown_size=True), AV_TRACKS),
        "Info has an unknown size",
    ),
    "no-duration": (webm(info(None), AV_TRACKS), "does not declare its duration"),
    "nan-duration": (webm(info(math.nan), AV_TRACKS), "not a positive number"),
    "infinite-duration": (webm(info(math.inf, float_size=4), AV_TRACKS), "not a positive number"),
    "zero-duration": (webm(info(0.0), AV_TRACKS), "not a positive number"),
    "negative-duration": (webm(info(-5.0), AV_TRACKS), "not a positive number"),
    "three-byte-float": (
        webm(element(0x1549A966, element(0x4489, b"\0\0\1")), AV_TRACKS),
        "not a 4- or 8-byte float",
    ),
    "zero-timecode-scale": (webm(info(10.0, scale=0), AV_TRACKS), "TimecodeScale is 0"),
    "unknown-doctype": (webm(info(1.0), AV_TRACKS, doc_type=b"mkv3d"), "document type 'mkv3d'"),
    "no-tracks": (webm(info(1000.0)), "no Tracks"),
    "no-av-tracks": (webm(info(1000.0), tracks(track_entry(17))), "no video or audio track"),
    "video-without-size": (webm(info(1000.0), tracks(track_entry(1))), "no width or height"),
    "no-segment": (ebml_header(), "no Segment"),
    "segment-overruns-file": (webm(info(1000.0), AV_TRACKS)[:-3], "Segment overruns the file"),
    "child-overruns-segment": (
        ebml_header() + element(0x18538067, info(1000.0)[:-1]),
        "overruns Segment",
    ),
    "invalid-id": (ebml_header() + b"\x00\x81\x00", "invalid element id"),
    "ebml-magic-then-noise": (b"\x1a\x45\xdf\xa3" + random.Random(5).randbytes(64), "WebM"),
}


@pytest.mark.parametrize("case", list(BAD_WEBM), ids=list(BAD_WEBM))
def test_bad_webm_is_rejected(case: str) -> None:
    data, message = BAD_WEBM[case]
    with pytest.raises(ProbeError, match=message):
        probe_bytes(data)


def test_truncated_webm_is_rejected_at_every_cut() -> None:
    data = webm(info(2500.0), AV_TRACKS, cluster())
    for cut in range(len(data)):
        with pytest.raises(ProbeError):
            probe_bytes(data[:cut])


def test_huge_cluster_before_tracks_is_seeked_over(tmp_path: Path) -> None:
    size = 200 * MIB
    tail = AV_TRACKS
    segment_body = size - len(ebml_header()) - 12
    cluster_body = segment_body - len(info(2000.0)) - 12 - len(tail)
    head = (
        ebml_header()
        + b"\x18\x53\x80\x67"
        + ebml_size(segment_body, length=8)
        + info(2000.0)
        + b"\x1f\x43\xb6\x75"
        + ebml_size(cluster_body, length=8)
    )
    path = tmp_path / "big.webm"
    write_sparse(path, head, size, tail)
    with path.open("rb") as raw:
        counting = CountingFile(raw)
        result = probe_media(cast(BinaryIO, counting))
    assert (result.duration, result.width, result.height) == (2.0, 1280, 720)
    assert counting.bytes_read < 64 * 1024


# --- WAV --------------------------------------------------------------------------------


def make_wav(rate: int, frames: int, channels: int = 1, width: int = 2) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(bytes(frames * channels * width))
    return out.getvalue()


def riff_wave(*chunks: bytes) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def riff_chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1)


def fmt_chunk(rate: int = 8000, channels: int = 1, bits: int = 16) -> bytes:
    align = channels * bits // 8
    return riff_chunk(b"fmt ", struct.pack("<HHIIHH", 1, channels, rate, rate * align, align, bits))


BUILT_WAV = {
    "mono-8k": (make_wav(8000, 12000), 1.5),
    "stereo-48k-24bit": (make_wav(48000, 24000, channels=2, width=3), 0.5),
    "list-chunk-before-data": (
        riff_wave(fmt_chunk(), riff_chunk(b"LIST", b"INFOabc"), riff_chunk(b"data", bytes(16000))),
        1.0,
    ),
    "data-before-fmt": (riff_wave(riff_chunk(b"data", bytes(8000)), fmt_chunk()), 0.5),
}


@pytest.mark.parametrize("case", list(BUILT_WAV), ids=list(BUILT_WAV))
def test_built_wav_probes(case: str) -> None:
    data, duration = BUILT_WAV[case]
    assert probe_bytes(data) == MediaInfo("audio", "wav", duration, None, None, True)


BAD_WAV = {
    "no-fmt": (riff_wave(riff_chunk(b"data", bytes(100))), "no 'fmt ' chunk"),
    "no-data": (riff_wave(fmt_chunk()), "no 'data' chunk"),
    "zero-byte-rate": (
        riff_wave(
            riff_chunk(b"fmt ", struct.pack("<HHIIHH", 1, 1, 8000, 0, 2, 16)),
            riff_chunk(b"data", bytes(10)),
        ),
        "zero channels, sample rate or byte rate",
    ),
    "short-fmt": (
        riff_wave(riff_chunk(b"fmt ", bytes(8)), riff_chunk(b"data", bytes(10))),
        "too short",
    ),
    "data-overruns": (
        riff_wave(fmt_chunk(), struct.pack("<4sI", b"data", 1000) + bytes(10)),
        "WAV chunk 'data' overruns the file",
    ),
    "riff-size-lies": (make_wav(8000, 100)[:-10], "shorter than its RIFF header"),
    "empty-data": (riff_wave(fmt_chunk(), riff_chunk(b"data", b"")), "not a positive number"),
}


@pytest.mark.parametrize("case", list(BAD_WAV), ids=list(BAD_WAV))
def test_bad_wav_is_rejected(case: str) -> None:
    data, message = BAD_WAV[case]
    with pytest.raises(ProbeError, match=message):
        probe_bytes(data)


# --- MP3 --------------------------------------------------------------------------------

# MPEG-1 layer III, 128 kbit/s, 44.1 kHz, joint stereo: 417-byte frames of 1152 samples.
MP3_HEADER = b"\xff\xfb\x90\x44"
MP3_FRAME = MP3_HEADER + bytes(413)
MP3_FRAME_SECONDS = 1152 / 44100


def xing_frame(
    frames: int, *, tag: bytes = b"Xing", mono: bool = False, stream_bytes: int | None = None
) -> bytes:
    header = b"\xff\xfb\x90\xc4" if mono else MP3_HEADER
    side_info = bytes(17 if mono else 32)
    if stream_bytes is None:
        xing = tag + struct.pack(">II", 1, frames)
    else:
        xing = tag + struct.pack(">III", 3, frames, stream_bytes)
    return (header + side_info + xing).ljust(417, b"\0")


def vbri_frame(frames: int, stream_bytes: int) -> bytes:
    vbri = b"VBRI" + struct.pack(">HHHII", 1, 0, 75, stream_bytes, frames)
    return (MP3_HEADER + bytes(32) + vbri).ljust(417, b"\0")


def id3v2(payload_size: int) -> bytes:
    size = bytes((payload_size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x04\x00\x00" + size + bytes(payload_size)


def mpeg_frames(header: bytes, length: int, count: int) -> bytes:
    return (header + bytes(length - len(header))) * count


BUILT_MP3 = {
    "cbr-estimate": (MP3_FRAME * 100, 100 * 417 * 8 / 128000),
    "xing-frame-count": (xing_frame(200) + MP3_FRAME * 50, 200 * MP3_FRAME_SECONDS),
    "info-tag-mono": (
        xing_frame(80, tag=b"Info", mono=True) + MP3_FRAME * 3,
        80 * MP3_FRAME_SECONDS,
    ),
    "vbri-frame-count": (vbri_frame(300, 417 * 11) + MP3_FRAME * 10, 300 * MP3_FRAME_SECONDS),
    "id3v2-and-id3v1-tags": (
        id3v2(3000) + MP3_FRAME * 100 + b"TAG" + bytes(125),
        100 * 417 * 8 / 128000,
    ),
    "junk-before-first-frame": (id3v2(10) + bytes(300) + MP3_FRAME * 10, 10 * 417 * 8 / 128000),
    # MPEG-2 layer III, 64 kbit/s, 22.05 kHz: 576 samples in 72 * 64000 / 22050 = 208 bytes.
    "mpeg2-layer3": (mpeg_frames(b"\xff\xf3\x80\xc4", 208, 50), 50 * 208 * 8 / 64000),
    # MPEG-1 layer II, 192 kbit/s, 48 kHz: 144 * 192000 / 48000 = 576 bytes.
    "mpeg1-layer2": (mpeg_frames(b"\xff\xfd\xa4\x04", 576, 40), 40 * 576 * 8 / 192000),
    "single-frame": (MP3_FRAME, 417 * 8 / 128000),
}


@pytest.mark.parametrize("case", list(BUILT_MP3), ids=list(BUILT_MP3))
def test_built_mp3_probes(case: str) -> None:
    data, duration = BUILT_MP3[case]
    result = probe_bytes(data)
    assert (result.kind, result.container) == ("audio", "mp3")
    assert result.duration == pytest.approx(duration)


BAD_MP3 = {
    "id3-tag-overruns": (id3v2(100)[:50], "ID3 tag overruns the file"),
    "id3-size-not-syncsafe": (b"ID3\x04\0\0\x80\0\0\0" + MP3_FRAME, "ID3 tag header is invalid"),
    "id3-then-noise": (id3v2(20) + random.Random(6).randbytes(3000), "no MP3 or AAC frame"),
    "lone-sync-word": (MP3_HEADER + bytes(100), "no MP3 or AAC frame"),
    "xing-stream-longer-than-file": (
        xing_frame(10, stream_bytes=417 * 10) + MP3_FRAME,
        "shorter than its VBR header says",
    ),
    "vbri-stream-longer-than-file": (
        vbri_frame(300, 417 * 40) + MP3_FRAME * 10,
        "shorter than its VBR header says",
    ),
}


@pytest.mark.parametrize("case", list(BAD_MP3), ids=list(BAD_MP3))
def test_bad_mp3_is_rejected(case: str) -> None:
    data, message = BAD_MP3[case]
    with pytest.raises(ProbeError, match=message):
        probe_bytes(data)


# --- ADTS AAC ---------------------------------------------------------------------------


def adts_frame(length: int = 300, rate_index: int = 4, blocks: int = 1, crc: bool = False) -> bytes:
    """An AAC-LC stereo ADTS frame: ``length`` bytes including the header."""
    header = bytes(
        [
            0xFF,
            0xF0 if crc else 0xF1,
            0x40 | rate_index << 2,
            0x80 | (length >> 11),
            (length >> 3) & 0xFF,
            (length & 0x7) << 5 | 0x1F,
            0xFC | (blocks - 1),
        ]
    ) + (b"\0\0" if crc else b"")
    return header + bytes(length - len(header))


BUILT_ADTS = {
    "44k1-frames": (adts_frame() * 100, 100 * 1024 / 44100),
    "48k-with-crc": (adts_frame(400, rate_index=3, crc=True) * 60, 60 * 1024 / 48000),
    "two-blocks-per-frame": (adts_frame(500, blocks=2) * 10, 10 * 2048 / 44100),
    "behind-id3-tag": (id3v2(64) + adts_frame() * 30, 30 * 1024 / 44100),
    "partial-last-frame-ignored": (adts_frame() * 20 + adts_frame()[:100], 20 * 1024 / 44100),
}


@pytest.mark.parametrize("case", list(BUILT_ADTS), ids=list(BUILT_ADTS))
def test_built_adts_probes(case: str) -> None:
    data, duration = BUILT_ADTS[case]
    result = probe_bytes(data)
    assert (result.kind, result.container) == ("audio", "aac")
    assert result.duration == pytest.approx(duration)


def test_long_adts_stream_is_walked_in_part_and_extrapolated() -> None:
    frames = 600_000  # 180 MB, about 3.9 hours at 44.1 kHz
    stream = RepeatingFile(b"", adts_frame(300), frames)
    result = probe_media(cast(BinaryIO, stream))
    assert result.duration == pytest.approx(frames * 1024 / 44100)
    assert stream.bytes_read < (MAX_WALKED_FRAMES + 100) * 16 + 128 * 1024


def test_long_cbr_mp3_reads_only_its_start() -> None:
    stream = RepeatingFile(id3v2(100), MP3_FRAME, 400_000)
    result = probe_media(cast(BinaryIO, stream))
    assert result.duration == pytest.approx(400_000 * 417 * 8 / 128000)
    assert stream.bytes_read < 128 * 1024


# --- sniffing and dispatch --------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\0\0\0\x20ftypisom\0\0\2\0", "mp4"),
        (b"\0\0\0\x20ftypmp42\0\0\0\0", "mp4"),
        (b"\0\0\0\x14ftypqt  \0\0\2\0", "mov"),
        (b"\0\0\0\x20ftypM4A \0\0\2\0", "m4a"),
        (b"\0\0\x10\0moov\0\0\0\x6cmvhd", "mov"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81", "webm"),
        (b"RIFF\x24\0\0\0WAVEfmt ", "wav"),
        (b"ID3\x04\0\0\0\0\0\x20\0\0\0\0\0\0", "mp3"),
        (MP3_FRAME[:16], "mp3"),
        (adts_frame()[:16], "aac"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", None),
        (b"RIFF\0\0\0\0WEBPVP8 ", None),
        (b"", None),
    ],
    ids=[
        "isom",
        "mp42",
        "qt",
        "m4a",
        "classic-mov",
        "webm",
        "wav",
        "id3",
        "mp3",
        "adts",
        "png",
        "webp",
        "empty",
    ],
)
def test_sniff_media(head: bytes, expected: str | None) -> None:
    assert sniff_media(head) == expected


@pytest.mark.parametrize(
    "data",
    [b"", b"plain text, not media", (FIXTURES / "sample.png").read_bytes()],
    ids=["empty", "text", "png"],
)
def test_non_media_is_rejected(data: bytes) -> None:
    with pytest.raises(ProbeError, match="not a supported video or audio file"):
        probe_bytes(data)


def test_probe_restores_file_position() -> None:
    f = io.BytesIO(mp4(video_trak()))
    f.seek(7)
    probe_media(f)
    assert f.tell() == 7


# --- fuzzing ----------------------------------------------------------------------------

FUZZ_SEEDS = {
    **TRUNCATABLE_MEDIA,
    "webm": webm(info(2500.0), AV_TRACKS, cluster()),
    "adts": adts_frame() * 5,
    "mp3-xing": xing_frame(20) + MP3_FRAME * 3,
    "m4a": mp4(trak(b"soun", version=1), brand=b"M4A "),
}
INTERESTING_WORDS = (0, 1, 7, 8, 16, 0x7F, 0x80, 0xFF, 0x7FFFFFFF, 0xFFFFFFFF)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_raise_only_probe_error(data: bytes) -> None:
    only_probe_errors(data)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [
            b"\0\0\0\x10ftypisom\0\0\0\0",
            b"\x1a\x45\xdf\xa3",
            b"RIFF\0\1\0\0WAVE",
            b"ID3\x03\0\0\0\0\0\0",
            MP3_HEADER,
            adts_frame()[:7],
        ]
    ),
    st.binary(max_size=1024),
)
def test_magic_then_random_bytes_raise_only_probe_error(magic: bytes, rest: bytes) -> None:
    only_probe_errors(magic + rest)


@settings(max_examples=500, deadline=None)
@given(mutated(FUZZ_SEEDS, INTERESTING_WORDS))
def test_mutated_media_raise_only_probe_error(data: bytes) -> None:
    only_probe_errors(data)
