"""Pure-Python generator of valid flat-colour MP4 videos (H.264 video, optional AAC audio).

No ffmpeg or other native tool is needed: the H.264 bitstream, the AAC track and the
ISO BMFF container are all written here from the standards.
"""

from __future__ import annotations

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
