"""Probes for uploaded files: what an image or a video/audio file really is, by content.

Every probe reads headers with seek/read from a seekable binary file object, never the
whole file, and raises ProbeError (a ValueError) with a user-facing message when the file
is not a supported format, is truncated or corrupt, or is outside the limits.

The probes load on first use (PEP 562): a server needs them at its first upload, while
what they report (`ImageInfo`, `MediaInfo`) is part of the state from the start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pixverse_emulator.lazy import lazy_names
from pixverse_emulator.media.probe.errors import ProbeError
from pixverse_emulator.media.probe.info import MAX_IMAGE_SIDE, ImageInfo, MediaInfo

if TYPE_CHECKING:
    from pixverse_emulator.media.probe.images import probe_image, sniff_image
    from pixverse_emulator.media.probe.media import probe_media, sniff_media

__all__ = [
    "MAX_IMAGE_SIDE",
    "ImageInfo",
    "MediaInfo",
    "ProbeError",
    "probe_image",
    "probe_media",
    "sniff_image",
    "sniff_media",
]

_WHERE = {"probe_image": ".images", "sniff_image": ".images",
          "probe_media": ".media", "sniff_media": ".media"}


__getattr__ = lazy_names(__name__, _WHERE, globals())
