"""End-to-end checks of the generated MP4 files, decoded with PyAV (FFmpeg)."""

from __future__ import annotations

import collections
import io
from dataclasses import dataclass
from typing import Any

import pytest

from pixverse_emulator.media.video import render_video, video_color, video_frame_count

av = pytest.importorskip("av", reason="PyAV is needed to decode the generated MP4 files")

LONG_EDGES = (640, 1024, 1280, 1920)
RATIOS = ((16, 9), (4, 3), (1, 1), (3, 4), (9, 16), (2, 3), (3, 2), (21, 9))
SEED = 20240607


def _even(value: float) -> int:
    """Nearest even integer."""
    return 2 * int(value / 2 + 0.5)


def _size(long_edge: int, ratio: tuple[int, int]) -> tuple[int, int]:
    across, down = ratio
    if across >= down:
        return long_edge, _even(long_edge * down / across)
    return _even(long_edge * across / down), long_edge


GRID = [
    (*_size(edge, ratio), audio)
    for edge in LONG_EDGES
    for ratio in RATIOS
    for audio in (False, True)
]
GRID_IDS = [f"{w}x{h}-{'audio' if audio else 'mute'}" for w, h, audio in GRID]


@dataclass(frozen=True)
class Probe:
    """What a client's ffprobe-style inspection of a file would see."""

    video_codec: str
    width: int
    height: int
    container_duration: float
    video_duration: float
    audio_codec: str | None
    audio_duration: float | None


def probe(data: bytes) -> Probe:
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        return Probe(
            video_codec=video.codec_context.name,
            width=video.codec_context.width,
            height=video.codec_context.height,
            container_duration=container.duration / 1e6,
            video_duration=float(video.duration * video.time_base),
            audio_codec=audio.codec_context.name if audio is not None else None,
            audio_duration=float(audio.duration * audio.time_base) if audio is not None else None,
        )


def _first_frame(data: bytes) -> Any:
    with av.open(io.BytesIO(data)) as container:
        return next(container.decode(video=0))


def _first_and_last_frames(data: bytes) -> tuple[Any, Any]:
    """Decode every frame, keeping only the first and the last in memory."""
    with av.open(io.BytesIO(data)) as container:
        frames = container.decode(video=0)
        first = next(frames)
        rest = collections.deque(frames, maxlen=1)
        return first, rest[0] if rest else first


def _sample_points(width: int, height: int) -> list[tuple[int, int]]:
    """(row, column) of the four corners and the centre of a plane."""
    return [
        (0, 0),
        (0, width - 1),
        (height - 1, 0),
        (height - 1, width - 1),
        (height // 2, width // 2),
    ]


def assert_flat_colour(frame: Any, expected: tuple[int, int, int]) -> None:
    """Every sampled point of the Y, Cb and Cr planes holds the expected value (+-2)."""
    assert frame.format.name in ("yuv420p", "yuv444p")
    for plane, value in zip(frame.planes, expected, strict=True):
        pixels = memoryview(plane)
        for row, column in _sample_points(plane.width, plane.height):
            actual = pixels[row * plane.line_size + column]
            assert abs(actual - value) <= 2, (plane.width, plane.height, row, column, actual, value)


def assert_video_file(data: bytes, width: int, height: int, duration: float, audio: bool) -> None:
    info = probe(data)
    assert info.video_codec == "h264"
    assert (info.width, info.height) == (width, height)
    assert info.container_duration == pytest.approx(duration, abs=0.01)
    assert info.video_duration == pytest.approx(duration, abs=0.01)
    if audio:
        assert info.audio_codec == "aac"
        assert info.audio_duration == pytest.approx(duration, abs=0.01)
    else:
        assert info.audio_codec is None


@pytest.mark.parametrize(("width", "height", "audio"), GRID, ids=GRID_IDS)
def test_every_quality_and_ratio_is_a_valid_flat_video(
    width: int, height: int, audio: bool
) -> None:
    data = render_video(width, height, 5.0, audio, SEED)
    assert_video_file(data, width, height, 5.0, audio)
    first = _first_frame(data)
    assert (first.width, first.height) == (width, height)
    assert_flat_colour(first, video_color(SEED))


@pytest.mark.parametrize(
    ("width", "height", "duration", "audio"),
    [
        (1920, 1080, 1.0, True),
        (1920, 1080, 15.0, True),
        (1080, 1920, 15.0, False),
        (640, 360, 1.0, False),
        (640, 360, 15.0, True),
        (1280, 720, 0.04, True),
        (640, 360, 120.0, True),
    ],
    ids=[
        "1080p-1s",
        "1080p-15s",
        "portrait-15s-mute",
        "360p-1s-mute",
        "360p-15s",
        "one-frame",
        "max",
    ],
)
def test_durations(width: int, height: int, duration: float, audio: bool) -> None:
    data = render_video(width, height, duration, audio, SEED)
    assert_video_file(data, width, height, duration, audio)
    first, last = _first_and_last_frames(data)
    assert_flat_colour(first, video_color(SEED))
    assert_flat_colour(last, video_color(SEED))


@pytest.mark.parametrize(
    ("width", "height", "duration"),
    [
        (641, 359, 0.5),
        (641, 359, 7.25),
        (641, 359, 15.0),
        (2, 2, 1.0),
        (3, 3, 0.5),
        (17, 31, 7.25),
        (4096, 2, 1.0),
        (2, 4096, 1.0),
        (1921, 1080, 1.0),
        (1920, 1079, 1.0),
        (4096, 4096, 0.5),
        (4095, 4095, 0.5),
    ],
    ids=lambda value: str(value),
)
def test_odd_and_extreme_sizes_are_exact(width: int, height: int, duration: float) -> None:
    seed = width * 10_000 + height
    data = render_video(width, height, duration, True, seed)
    assert_video_file(data, width, height, duration, True)
    first, last = _first_and_last_frames(data)
    assert (first.width, first.height) == (width, height)
    assert_flat_colour(first, video_color(seed))
    assert_flat_colour(last, video_color(seed))


@pytest.mark.parametrize(
    ("width", "height", "duration"),
    [(1280, 720, 15.0), (641, 359, 7.25), (32, 48, 2.01)],
    ids=["720p-15s", "odd-7.25s", "tiny-trimmed"],
)
def test_every_packet_decodes_without_error(width: int, height: int, duration: float) -> None:
    data = render_video(width, height, duration, True, SEED)
    previous_level = av.logging.get_level()
    av.logging.set_level(av.logging.WARNING)
    try:
        with av.logging.Capture(local=False) as logs, av.open(io.BytesIO(data)) as container:
            video, audio = container.streams.video[0], container.streams.audio[0]
            # "explode" turns any bitstream error the decoder detects into an exception.
            video.codec_context.options = {"err_detect": "crccheck+bitstream+buffer+explode"}
            audio.codec_context.options = {"err_detect": "crccheck+bitstream+buffer+explode"}
            video_frames = 0
            audio_samples = 0
            for frame in container.decode(video, audio):
                if isinstance(frame, av.AudioFrame):
                    audio_samples += frame.samples
                    plane_bytes = frame.samples * frame.format.bytes
                    assert not any(memoryview(frame.planes[0])[:plane_bytes]), "audio not silent"
                else:
                    video_frames += 1
                    assert_flat_colour(frame, video_color(SEED))
    finally:
        av.logging.set_level(previous_level)
    assert video_frames == video_frame_count(duration) == -(-round(duration * 12288) // 512)
    # Whole AAC frames of 1024 samples, the last one possibly trimmed by the container.
    assert audio_samples == 1024 * -(-round(duration * 48000) // 1024)
    assert [message for level, _, message in logs if level <= av.logging.ERROR] == []


def test_same_arguments_give_identical_bytes() -> None:
    from pixverse_emulator.media.video import render

    first = render_video(640, 360, 5.0, True, 7)
    render._render.cache_clear()  # force a second, independent rendering
    second = render_video(640, 360, 5.0, True, 7)
    assert first is not second
    assert first == second
    assert render_video(640, 360, 5, True, 7) is render_video(640, 360, 5.0, True, 7)


def test_different_seeds_give_different_colours_and_bytes() -> None:
    first, second = render_video(320, 240, 1.0, False, 1), render_video(320, 240, 1.0, False, 2)
    assert video_color(1) != video_color(2)
    assert first != second
    assert_flat_colour(_first_frame(first), video_color(1))
    assert_flat_colour(_first_frame(second), video_color(2))


def test_audio_flag_adds_only_the_audio_track() -> None:
    with_audio = render_video(320, 240, 2.0, True, 3)
    without = render_video(320, 240, 2.0, False, 3)
    with av.open(io.BytesIO(with_audio)) as container:
        (stream,) = container.streams.audio
        assert stream.codec_context.sample_rate == 48000
        assert stream.codec_context.profile == "LC"
    with av.open(io.BytesIO(without)) as container:
        assert len(container.streams.audio) == 0
        assert len(container.streams.video) == 1


BAD_ARGUMENTS: list[tuple[Any, Any, Any, Any]] = [
    (1, 360, 1.0, 0),
    (640, 1, 1.0, 0),
    (4097, 360, 1.0, 0),
    (640, 4097, 1.0, 0),
    (0, 0, 1.0, 0),
    (-640, 360, 1.0, 0),
    (640.0, 360, 1.0, 0),
    ("640", 360, 1.0, 0),
    (True, 360, 1.0, 0),
    (640, 360, 0.0, 0),
    (640, 360, -1.0, 0),
    (640, 360, 120.01, 0),
    (640, 360, float("nan"), 0),
    (640, 360, float("inf"), 0),
    (640, 360, "5", 0),
    (640, 360, 1.0, "seed"),
    (640, 360, 1.0, 1.5),
]


@pytest.mark.parametrize(("width", "height", "duration", "seed"), BAD_ARGUMENTS, ids=repr)
def test_invalid_arguments_raise_value_error(
    width: Any, height: Any, duration: Any, seed: Any
) -> None:
    with pytest.raises(ValueError, match=r"width|height|duration|seed"):
        render_video(width, height, duration, False, seed)


def test_limits_are_inclusive() -> None:
    assert render_video(2, 4096, 120.0, False, 0)[4:8] == b"ftyp"
    assert render_video(4096, 2, 0.001, True, 0)[4:8] == b"ftyp"
