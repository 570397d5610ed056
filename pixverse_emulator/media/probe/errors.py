"""The one exception every probe raises for an upload it cannot accept."""

from __future__ import annotations

__all__ = ["ProbeError", "tag_name"]


class ProbeError(ValueError):
    """An uploaded file is not what it claims to be, or is outside the limits.

    The message is shown to API users as is, so it names the problem in plain words,
    e.g. "image is truncated: PNG IHDR chunk is incomplete".
    """


def tag_name(raw: bytes) -> str:
    """Show a four-character code from a file (box type, chunk id) safely in a message."""
    return "".join(chr(b) if 0x20 <= b < 0x7F else "?" for b in raw)
