"""H.264 level selection (H.264 Annex A.3.1, Table A-1)."""

from __future__ import annotations

import math

__all__ = ["level_idc"]

# (level_idc, MaxMBPS macroblocks/s, MaxFS macroblocks) from Table A-1, lowest first.
# Level 1b is skipped: it needs constraint_set3_flag and is never the only choice.
_LEVELS: tuple[tuple[int, int, int], ...] = (
    (10, 1485, 99),
    (11, 3000, 396),
    (12, 6000, 396),
    (13, 11880, 396),
    (20, 11880, 396),
    (21, 19800, 792),
    (22, 20250, 1620),
    (30, 40500, 1620),
    (31, 108000, 3600),
    (32, 216000, 5120),
    (40, 245760, 8192),
    (41, 245760, 8192),
    (42, 522240, 8704),
    (50, 589824, 22080),
    (51, 983040, 36864),
    (52, 2073600, 36864),
    (60, 4177920, 139264),
    (61, 8355840, 139264),
    (62, 16711680, 139264),
)


def level_idc(mb_width: int, mb_height: int, frame_rate: int) -> int:
    """The lowest level whose frame-size and macroblock-rate limits admit the stream.

    A.3.1 items a/b/f/g: PicSizeInMbs <= MaxFS, each side <= sqrt(8 * MaxFS) macroblocks,
    and PicSizeInMbs * frame rate <= MaxMBPS.  Our bitrate is far below every MaxBR.
    """
    frame_size = mb_width * mb_height
    for idc, max_mbps, max_fs in _LEVELS:
        max_side = math.isqrt(8 * max_fs)
        fits = frame_size <= max_fs and max(mb_width, mb_height) <= max_side
        if fits and frame_size * frame_rate <= max_mbps:
            return idc
    raise ValueError(f"{mb_width}x{mb_height} macroblocks at {frame_rate} fps exceed level 6.2")
