"""The flat picture colour of a generated video, derived from its seed."""

from __future__ import annotations

import colorsys
import hashlib

__all__ = ["rgb_to_ycbcr", "seed_rgb", "video_color"]

# Saturation and value ranges keep every colour clearly coloured (never grey, black or
# white), so two seeds give visibly different pictures in thumbnails.
_SATURATION = (0.55, 0.90)
_VALUE = (0.55, 0.95)


def _unit(byte_pair: bytes) -> float:
    """Map two hash bytes to a float in [0, 1)."""
    return int.from_bytes(byte_pair, "big") / 65536


def seed_rgb(seed: int) -> tuple[float, float, float]:
    """A saturated RGB colour (components in [0, 1]) chosen by hashing ``seed``."""
    digest = hashlib.blake2b(str(seed).encode("ascii"), digest_size=6).digest()
    hue = _unit(digest[0:2])
    saturation = _SATURATION[0] + (_SATURATION[1] - _SATURATION[0]) * _unit(digest[2:4])
    value = _VALUE[0] + (_VALUE[1] - _VALUE[0]) * _unit(digest[4:6])
    return colorsys.hsv_to_rgb(hue, saturation, value)


def rgb_to_ycbcr(red: float, green: float, blue: float) -> tuple[int, int, int]:
    """BT.601 limited-range ("TV") 8-bit Y'CbCr, the matrix the SPS VUI signals."""
    y = 16 + 65.481 * red + 128.553 * green + 24.966 * blue
    cb = 128 - 37.797 * red - 74.203 * green + 112.0 * blue
    cr = 128 + 112.0 * red - 93.786 * green - 18.214 * blue
    return _clamp(y, 16, 235), _clamp(cb, 16, 240), _clamp(cr, 16, 240)


def _clamp(value: float, low: int, high: int) -> int:
    return min(high, max(low, round(value)))


def video_color(seed: int) -> tuple[int, int, int]:
    """The (Y, Cb, Cr) sample values every pixel of the video for ``seed`` has."""
    return rgb_to_ycbcr(*seed_rgb(seed))
