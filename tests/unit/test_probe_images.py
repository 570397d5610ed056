"""Image probes: PNG, JPEG and WebP headers read by content, with limits and damage checks."""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import CountingFile, mutated, only_probe_errors

from pixverse_emulator.media.probe import (
    MAX_IMAGE_SIDE,
    ImageInfo,
    ProbeError,
    probe_image,
    sniff_image,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
IMAGE_FIXTURES = {
    "sample.png": ImageInfo("png", 640, 360),
    "sample.jpg": ImageInfo("jpeg", 480, 640),
    "sample.webp": ImageInfo("webp", 512, 512),
}
MIB = 1024 * 1024


# --- builders -------------------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_ihdr(width: int, height: int, depth: int = 8, color: int = 2) -> bytes:
    return png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0))


def make_png(width: int, height: int, *, extra: bytes = b"") -> bytes:
    """A real PNG for small sizes; past a few thousand pixels the IDAT is a stand-in."""
    rows = b"".join(b"\0" + b"\x80" * 3 * width for _ in range(min(height, 4)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_ihdr(width, height)
        + extra
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def make_jpeg(width: int, height: int, *, sof: int = 0xC0, fill: int = 0) -> bytes:
    """SOI, APP0, an APP1 holding a thumbnail's markers, DQT, SOFn, DHT, SOS, data, EOI."""
    frame = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return (
        b"\xff\xd8"
        + jpeg_segment(0xE0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0")
        + jpeg_segment(0xE1, b"Exif\0\0" + b"\xff\xd8\xff\xc0\x00\x11\xff\xd9")
        + jpeg_segment(0xDB, b"\0" + bytes(64))
        + b"\xff" * fill
        + jpeg_segment(sof, frame)
        + jpeg_segment(0xC4, b"\0" + bytes(16) + b"\0")
        + jpeg_segment(0xDA, b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00")
        + b"\x12\x34\xff\x00\x56" * 20
        + b"\xff\xd9"
    )


def riff_webp(*chunks: bytes) -> bytes:
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def webp_chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1)


def vp8_chunk(width: int, height: int) -> bytes:
    frame_tag = b"\x50\x02\x00"  # key frame, version 0, shown
    return webp_chunk(b"VP8 ", frame_tag + b"\x9d\x01\x2a" + struct.pack("<HH", width, height))


def vp8l_chunk(width: int, height: int) -> bytes:
    bits = (width - 1) | (height - 1) << 14 | 1 << 28  # alpha hint, version 0
    return webp_chunk(b"VP8L", b"\x2f" + struct.pack("<I", bits) + bytes(8))


def vp8x_chunk(width: int, height: int, flags: int = 0x10) -> bytes:
    size = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return webp_chunk(b"VP8X", bytes([flags, 0, 0, 0]) + size)


def probe_bytes(data: bytes) -> ImageInfo:
    return probe_image(io.BytesIO(data))


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- fixtures and supported formats -----------------------------------------------------


@pytest.mark.parametrize("name", list(IMAGE_FIXTURES), ids=list(IMAGE_FIXTURES))
def test_fixture_probes_to_known_size(name: str) -> None:
    with (FIXTURES / name).open("rb") as f:
        assert probe_image(f) == IMAGE_FIXTURES[name]
    assert (FIXTURES / name).stat().st_size < 100_000


@pytest.mark.parametrize("name", list(IMAGE_FIXTURES), ids=list(IMAGE_FIXTURES))
def test_fixture_size_matches_pyav(name: str) -> None:
    av = pytest.importorskip("av", reason="PyAV cross-checks the fixture sizes")
    with av.open(str(FIXTURES / name)) as container:
        stream = container.streams.video[0]
        size = (stream.codec_context.width, stream.codec_context.height)
    expected = IMAGE_FIXTURES[name]
    assert size == (expected.width, expected.height)


BUILT_IMAGES = {
    "png-gray": (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 7, 3, 1, 0, 0, 0, 1))
        + png_chunk(b"IDAT", zlib.compress(b"\0\0" * 3))
        + png_chunk(b"IEND", b""),
        ImageInfo("png", 7, 3),
    ),
    "png-text-before-idat": (
        make_png(30, 20, extra=png_chunk(b"tEXt", b"k\0v")),
        ImageInfo("png", 30, 20),
    ),
    "png-trailing-bytes": (make_png(5, 6) + b"junk after IEND", ImageInfo("png", 5, 6)),
    "jpeg-baseline": (make_jpeg(640, 480), ImageInfo("jpeg", 640, 480)),
    "jpeg-extended-sof1": (make_jpeg(33, 44, sof=0xC1), ImageInfo("jpeg", 33, 44)),
    "jpeg-progressive-sof2": (make_jpeg(800, 600, sof=0xC2), ImageInfo("jpeg", 800, 600)),
    "jpeg-lossless-sof3": (make_jpeg(12, 34, sof=0xC3), ImageInfo("jpeg", 12, 34)),
    "jpeg-arithmetic-sof9": (make_jpeg(21, 22, sof=0xC9), ImageInfo("jpeg", 21, 22)),
    "jpeg-fill-bytes": (make_jpeg(100, 200, fill=5), ImageInfo("jpeg", 100, 200)),
    "jpeg-trailing-bytes": (make_jpeg(3, 4) + b"trailer", ImageInfo("jpeg", 3, 4)),
    "webp-vp8": (riff_webp(vp8_chunk(320, 200)), ImageInfo("webp", 320, 200)),
    "webp-vp8-scale-bits": (
        riff_webp(vp8_chunk(320 | 0x4000, 200 | 0x8000)),
        ImageInfo("webp", 320, 200),
    ),
    "webp-vp8l": (riff_webp(vp8l_chunk(1000, 1)), ImageInfo("webp", 1000, 1)),
    "webp-vp8x": (
        riff_webp(vp8x_chunk(4000, 3000), webp_chunk(b"ICCP", b"abc"), vp8l_chunk(4000, 3000)),
        ImageInfo("webp", 4000, 3000),
    ),
    "webp-vp8x-animated": (
        riff_webp(
            vp8x_chunk(64, 48, 0x02),
            webp_chunk(b"ANIM", bytes(6)),
            webp_chunk(b"ANMF", bytes(16) + vp8_chunk(64, 48)),
        ),
        ImageInfo("webp", 64, 48),
    ),
}


@pytest.mark.parametrize("case", list(BUILT_IMAGES), ids=list(BUILT_IMAGES))
def test_built_image_probes(case: str) -> None:
    data, expected = BUILT_IMAGES[case]
    assert probe_bytes(data) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "png"),
        (b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01", "jpeg"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "webp"),
        (b"RIFF\0\0\0\0WAVEfmt ", None),
        (b"\0\0\0\x18ftypisom\0\0\0\0", None),
        (b"", None),
        (b"GIF89a\x01\0\x01\0\0\0\0\0\0\0", None),
    ],
    ids=["png", "jpeg", "webp", "wav", "mp4", "empty", "gif"],
)
def test_sniff_image(head: bytes, expected: str | None) -> None:
    assert sniff_image(head) == expected


def test_probe_restores_file_position() -> None:
    f = io.BytesIO(make_png(8, 8))
    f.seek(5)
    probe_image(f)
    assert f.tell() == 5


def test_format_comes_from_content_not_name(tmp_path: Path) -> None:
    misnamed = tmp_path / "picture.png"
    misnamed.write_bytes(make_jpeg(10, 20))
    with misnamed.open("rb") as f:
        assert probe_image(f).format == "jpeg"


# --- limits -----------------------------------------------------------------------------

LIMIT_BUILDERS = {
    "png": lambda w, h: make_png(w, h),
    "jpeg": lambda w, h: make_jpeg(w, h),
    "webp-vp8": lambda w, h: riff_webp(vp8_chunk(w, h)),
    "webp-vp8l": lambda w, h: riff_webp(vp8l_chunk(w, h)),
    "webp-vp8x": lambda w, h: riff_webp(vp8x_chunk(w, h), vp8l_chunk(1, 1)),
}


@pytest.mark.parametrize("kind", list(LIMIT_BUILDERS), ids=list(LIMIT_BUILDERS))
@pytest.mark.parametrize(
    ("width", "height", "side"),
    [(MAX_IMAGE_SIDE + 1, 10, "width"), (10, MAX_IMAGE_SIDE + 1, "height")],
    ids=["wide", "tall"],
)
def test_oversize_image_is_rejected(kind: str, width: int, height: int, side: str) -> None:
    with pytest.raises(ProbeError, match=f"image {side} 10001 exceeds the 10000 px limit"):
        probe_bytes(LIMIT_BUILDERS[kind](width, height))


@pytest.mark.parametrize("kind", list(LIMIT_BUILDERS), ids=list(LIMIT_BUILDERS))
def test_image_at_the_limit_is_accepted(kind: str) -> None:
    info = probe_bytes(LIMIT_BUILDERS[kind](MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    assert (info.width, info.height) == (MAX_IMAGE_SIDE, MAX_IMAGE_SIDE)


ZERO_SIZED = {
    "png-width": (make_png(0, 5), "width"),
    "png-height": (make_png(5, 0), "height"),
    "jpeg-width": (make_jpeg(0, 5), "width"),
    "jpeg-height": (make_jpeg(5, 0), "height"),
    "webp-vp8-width": (riff_webp(vp8_chunk(0, 5)), "width"),
    "webp-vp8-height": (riff_webp(vp8_chunk(5, 0x4000)), "height"),
}


@pytest.mark.parametrize("case", list(ZERO_SIZED), ids=list(ZERO_SIZED))
def test_zero_sized_image_is_rejected(case: str) -> None:
    data, side = ZERO_SIZED[case]
    with pytest.raises(ProbeError, match=f"image {side} is 0"):
        probe_bytes(data)


# --- damaged and lying files ------------------------------------------------------------


def cut_points(size: int) -> list[int]:
    """Every cut in the first 300 bytes and the last 40, and 60 spread over the middle."""
    middle = range(300, max(size - 40, 300), max((size - 340) // 60, 1))
    return sorted({*range(min(size, 300)), *middle, *range(max(size - 40, 0), size)})


TRUNCATABLE = {
    **{name: fixture_bytes(name) for name in IMAGE_FIXTURES},
    "progressive-jpeg": make_jpeg(800, 600, sof=0xC2),
    "webp-vp8x": BUILT_IMAGES["webp-vp8x"][0],
}


@pytest.mark.parametrize("name", list(TRUNCATABLE), ids=list(TRUNCATABLE))
def test_truncated_image_is_rejected_at_every_cut(name: str) -> None:
    data = TRUNCATABLE[name]
    for cut in cut_points(len(data)):
        with pytest.raises(ProbeError):
            probe_bytes(data[:cut])


@pytest.mark.parametrize(
    ("cut", "message"),
    [(20, "image is truncated: PNG IHDR chunk is incomplete"), (40, "image is truncated")],
    ids=["in-ihdr", "after-ihdr"],
)
def test_truncated_png_messages(cut: int, message: str) -> None:
    with pytest.raises(ProbeError, match=message):
        probe_bytes(make_png(10, 10)[:cut])


def noise(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


LYING = {
    "png-signature-then-noise": (b"\x89PNG\r\n\x1a\n" + noise(1, 500), "PNG file is corrupt"),
    "png-ihdr-bad-length": (
        b"\x89PNG\r\n\x1a\n\0\0\0\x0cIHDR" + bytes(17) + make_png(1, 1)[33:],
        "IHDR chunk has length 12",
    ),
    "png-ihdr-bad-crc": (
        make_png(10, 10)[:29] + b"\0\0\0\0" + make_png(10, 10)[33:],
        "IHDR checksum does not match",
    ),
    "png-bad-bit-depth": (
        b"\x89PNG\r\n\x1a\n" + png_ihdr(4, 4, depth=3) + make_png(4, 4)[33:],
        "bit depth 3",
    ),
    "png-no-idat": (
        b"\x89PNG\r\n\x1a\n" + png_ihdr(4, 4) + png_chunk(b"IEND", b""),
        "no image data",
    ),
    "jpeg-soi-then-noise": (b"\xff\xd8" + noise(2, 500), "JPEG"),
    "jpeg-scan-before-frame": (
        b"\xff\xd8" + jpeg_segment(0xDA, bytes(10)) + b"\xff\xd9",
        "scan starts before the frame header",
    ),
    "jpeg-eoi-before-scan": (b"\xff\xd8" + jpeg_segment(0xE0, bytes(14)) + b"\xff\xd9", "ends"),
    "jpeg-frame-length-lies": (
        b"\xff\xd8" + jpeg_segment(0xC0, struct.pack(">BHHB", 8, 5, 5, 3)) + b"\xff\xd9",
        "frame header length does not match",
    ),
    "jpeg-segment-overruns": (b"\xff\xd8\xff\xe0\xff\xf0" + bytes(100), "overruns the file"),
    "webp-riff-then-noise": (b"RIFF\x40\0\0\0WEBP" + noise(3, 60), "WebP"),
    "webp-riff-size-lies": (riff_webp(vp8_chunk(9, 9))[:-2], "shorter than its RIFF header"),
    "webp-vp8-no-start-code": (
        riff_webp(webp_chunk(b"VP8 ", b"\x50\x02\x00\0\0\0" + bytes(4))),
        "key frame",
    ),
    "webp-vp8l-bad-signature": (riff_webp(webp_chunk(b"VP8L", bytes(5))), "VP8L header"),
    "webp-vp8x-without-image": (riff_webp(vp8x_chunk(9, 9)), "no image data"),
    "webp-unknown-first-chunk": (riff_webp(webp_chunk(b"ABCD", bytes(10))), "'ABCD'"),
}


@pytest.mark.parametrize("case", list(LYING), ids=list(LYING))
def test_lying_image_is_rejected(case: str) -> None:
    data, message = LYING[case]
    with pytest.raises(ProbeError, match=message):
        probe_bytes(data)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", noise(4, 4096), b"GIF89a" + bytes(100), fixture_bytes("sample.mp4")],
    ids=["empty", "text", "noise", "gif", "mp4"],
)
def test_non_image_is_rejected(data: bytes) -> None:
    with pytest.raises(ProbeError, match="^not a PNG, JPEG or WebP image$"):
        probe_bytes(data)


# --- bounded reads ----------------------------------------------------------------------


def write_sparse(path: Path, head: bytes, size: int, tail: bytes) -> None:
    """Write ``head`` and ``tail`` around a hole, making a ``size``-byte sparse file."""
    with path.open("wb") as f:
        f.write(head)
        f.truncate(size - len(tail))
        f.seek(size - len(tail))
        f.write(tail)


def big_png(size: int) -> tuple[bytes, bytes]:
    idat_length = size - 33 - 12 - 12
    head = b"\x89PNG\r\n\x1a\n" + png_ihdr(4000, 3000) + struct.pack(">I", idat_length) + b"IDAT"
    return head, bytes(4) + png_chunk(b"IEND", b"")


def big_jpeg(size: int) -> tuple[bytes, bytes]:
    return make_jpeg(5000, 4000)[:-2], b"\xff\xd9"


@pytest.mark.parametrize("build", [big_png, big_jpeg], ids=["png", "jpeg"])
def test_large_image_is_probed_with_few_reads(
    tmp_path: Path, build: Callable[[int], tuple[bytes, bytes]]
) -> None:
    size = 200 * MIB
    head, tail = build(size)
    path = tmp_path / "big"
    write_sparse(path, head, size, tail)
    with path.open("rb") as raw:
        counting = CountingFile(raw)
        info = probe_image(cast(BinaryIO, counting))
    assert info.width in (4000, 5000)
    assert counting.bytes_read < MIB


def test_thousands_of_jpeg_segments_are_refused() -> None:
    data = make_jpeg(10, 10)
    padded = data[:2] + jpeg_segment(0xE5, b"") * 5000 + data[2:]
    with pytest.raises(ProbeError, match="too many segments"):
        probe_bytes(padded)


def test_png_made_of_tiny_chunks_hits_the_read_budget() -> None:
    data = make_png(10, 10)
    idat_at = data.index(b"IDAT") - 4
    tiny = png_chunk(b"tEXt", b"") * 150_000
    padded = data[:idat_at] + tiny + data[idat_at:-12] + b"trailing garbage, no IEND at the end"
    with pytest.raises(ProbeError, match="too large or too fragmented"):
        probe_bytes(padded)


# --- fuzzing ----------------------------------------------------------------------------

INTERESTING_WORDS = (0, 1, 7, 8, 0x7F, 0xFF, 0x7FFFFFFF, 0xFFFFFFFF, 10000, 10001)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\0\1\0\0WEBP"]),
    st.binary(max_size=512),
)
def test_magic_then_random_bytes_raise_only_probe_error(magic: bytes, rest: bytes) -> None:
    only_probe_errors(magic + rest)


@settings(max_examples=300, deadline=None)
@given(mutated({name: fixture_bytes(name) for name in IMAGE_FIXTURES}, INTERESTING_WORDS))
def test_mutated_image_fixtures_raise_only_probe_error(data: bytes) -> None:
    only_probe_errors(data)
