"""What a probe reports about an upload, and the size rule every image must meet."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pixverse_emulator.media.probe.errors import ProbeError

__all__ = ["MAX_IMAGE_SIDE", "ImageInfo", "MediaInfo", "check_duration", "check_image_size"]

MAX_IMAGE_SIDE = 10000

ImageFormat = Literal["png", "jpeg", "webp"]
MediaKind = Literal["video", "audio"]
Container = Literal["mp4", "mov", "webm", "mp3", "wav", "m4a", "aac"]


@dataclass(frozen=True)
class ImageInfo:
    format: ImageFormat
    width: int
    height: int


@dataclass(frozen=True)
class MediaInfo:
    kind: MediaKind
    container: Container
    duration: float  # seconds
    width: int | None  # video only
    height: int | None  # video only
    has_audio: bool  # video: whether an audio track exists; audio: True


def check_image_size(width: int, height: int) -> None:
    """Reject empty images and images with a side over MAX_IMAGE_SIDE."""
    for side, value in (("width", width), ("height", height)):
        if value <= 0:
            raise ProbeError(f"image {side} is 0")
        if value > MAX_IMAGE_SIDE:
            raise ProbeError(f"image {side} {value} exceeds the {MAX_IMAGE_SIDE} px limit")


def check_duration(seconds: float) -> float:
    """Return ``seconds`` if it is a usable media duration, else raise ProbeError."""
    if not math.isfinite(seconds) or seconds <= 0:
        raise ProbeError(f"media duration {seconds!r} s is not a positive number")
    return seconds
