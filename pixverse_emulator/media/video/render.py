"""render_video(): argument checking, the frame timeline and track assembly."""

from __future__ import annotations

import functools
import math
import struct

from . import aac, h264
from .color import video_color
from .mp4 import Track, mux
from .sample_entries import avc1_sample_entry, mp4a_sample_entry
from .timeline import sample_count, sample_durations, to_ticks

__all__ = ["MAX_DURATION", "MAX_SIDE", "MIN_SIDE", "render_video", "video_frame_count"]

MIN_SIDE = 2
MAX_SIDE = 4096
MAX_DURATION = 120.0

# 512 ticks per frame at 24 fps: a timescale fine enough (81 us) that trimming the last
# frame makes the track duration match the requested one to well under a millisecond.
_TICKS_PER_FRAME = 512
VIDEO_TIMESCALE = h264.FRAME_RATE * _TICKS_PER_FRAME


def render_video(width: int, height: int, duration: float, has_audio: bool, seed: int) -> bytes:
    """A complete MP4 file: ``width`` x ``height`` H.264 video of one flat colour chosen by
    ``seed``, lasting ``duration`` seconds, with a silent AAC track if ``has_audio``.

    The result is deterministic and cached per argument tuple.  Raises ``ValueError`` for a
    side outside 2..4096, a duration outside (0, 120] seconds, or a non-integer seed.
    """
    _check_side("width", width)
    _check_side("height", height)
    _check_duration(duration)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    return _render(width, height, float(duration), bool(has_audio), seed)


def _check_side(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not MIN_SIDE <= value <= MAX_SIDE:
        raise ValueError(f"{name} must be between {MIN_SIDE} and {MAX_SIDE} pixels, got {value}")


def _check_duration(duration: float) -> None:
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        raise ValueError(f"duration must be a number of seconds, got {duration!r}")
    if not (math.isfinite(duration) and 0 < duration <= MAX_DURATION):
        raise ValueError(
            f"duration must be more than 0 and at most {MAX_DURATION:g} seconds, got {duration}"
        )


@functools.lru_cache(maxsize=128)
def _render(width: int, height: int, duration: float, has_audio: bool, seed: int) -> bytes:
    tracks = [_video_track(h264.Picture(width, height), duration, seed)]
    if has_audio:
        tracks.append(_audio_track(duration))
    return mux(tracks)


def video_frame_count(duration: float) -> int:
    """Frames in a video of ``duration`` seconds: 24 per second, the last one shortened."""
    return sample_count(to_ticks(duration, VIDEO_TIMESCALE), _TICKS_PER_FRAME)


def _length_prefixed(nal: bytes) -> bytes:
    """An AVC sample holding one NAL unit with a 4-byte length (14496-15 5.3.2)."""
    return struct.pack(">I", len(nal)) + nal


def _video_track(picture: h264.Picture, duration: float, seed: int) -> Track:
    frames = video_frame_count(duration)
    idr = _length_prefixed(h264.idr_slice(picture, video_color(seed)))
    # Frame i carries frame_num i mod MaxFrameNum, so only MAX_FRAME_NUM P samples exist.
    p_samples = [_length_prefixed(h264.p_skip_slice(picture, n)) for n in range(h264.MAX_FRAME_NUM)]
    samples = [idr] + [p_samples[i % h264.MAX_FRAME_NUM] for i in range(1, frames)]
    entry = avc1_sample_entry(
        picture.width,
        picture.height,
        h264.sequence_parameter_set(picture),
        h264.picture_parameter_set(),
        picture.chroma_format_idc,
    )
    return Track(
        handler=b"vide",
        timescale=VIDEO_TIMESCALE,
        sample_entry=entry,
        samples=samples,
        sample_durations=sample_durations(to_ticks(duration, VIDEO_TIMESCALE), _TICKS_PER_FRAME),
        samples_per_chunk=h264.FRAME_RATE,
        sync_samples=[1],
        width=picture.width,
        height=picture.height,
    )


def _audio_track(duration: float) -> Track:
    frame = aac.silent_frame()
    durations = aac.audio_sample_durations(duration)
    entry = mp4a_sample_entry(aac.SAMPLE_RATE, aac.CHANNELS, aac.AUDIO_SPECIFIC_CONFIG, len(frame))
    return Track(
        handler=b"soun",
        timescale=aac.SAMPLE_RATE,
        sample_entry=entry,
        samples=[frame] * sum(count for count, _ in durations),
        sample_durations=durations,
        samples_per_chunk=-(-aac.SAMPLE_RATE // aac.FRAME_SAMPLES),  # about one second
    )
