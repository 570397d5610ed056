"""Pure-Python generator of valid flat-colour MP4 videos (H.264 video, optional AAC audio).

No ffmpeg or other native tool is needed: the H.264 bitstream, the AAC track and the
ISO BMFF container are all written here from the standards.

Names load on first use (PEP 562): the writer is a dozen modules that a server needs only
once someone reads a finished video, not to start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pixverse_emulator.lazy import lazy_names

if TYPE_CHECKING:
    from .color import video_color
    from .render import MAX_DURATION, MAX_SIDE, MIN_SIDE, render_video, video_frame_count

__all__ = [
    "MAX_DURATION",
    "MAX_SIDE",
    "MIN_SIDE",
    "render_video",
    "video_color",
    "video_frame_count",
]

_WHERE = {"video_color": ".color", **{name: ".render" for name in __all__ if name != "video_color"}}


__getattr__ = lazy_names(__name__, _WHERE, globals())
