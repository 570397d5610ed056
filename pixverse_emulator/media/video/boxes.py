"""ISO base media file format box primitives (ISO/IEC 14496-12 4.2)."""

from __future__ import annotations

import struct

__all__ = ["UNITY_MATRIX", "box", "full_box"]

# 8.2.2.3 / 6.2.2: the identity transformation matrix {1,0,0, 0,1,0, 0,0,1} in 16.16 and
# 2.30 fixed point, as written in mvhd and tkhd.
UNITY_MATRIX = struct.pack(">9i", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def box(box_type: bytes, *payload: bytes) -> bytes:
    """A Box: 32-bit size (header included), four-character type, then the payload."""
    body = b"".join(payload)
    return struct.pack(">I4s", 8 + len(body), box_type) + body


def full_box(box_type: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    """A FullBox: a Box whose payload starts with an 8-bit version and 24-bit flags."""
    return box(box_type, struct.pack(">I", (version << 24) | flags), *payload)
