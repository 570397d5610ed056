"""Image probing: recognise PNG, JPEG and WebP by their magic bytes and read their size."""

from __future__ import annotations

from typing import BinaryIO

from pixverse_emulator.media.probe.errors import ProbeError
from pixverse_emulator.media.probe.info import ImageFormat, ImageInfo
from pixverse_emulator.media.probe.jpeg import probe_jpeg
from pixverse_emulator.media.probe.png import PNG_SIGNATURE, probe_png
from pixverse_emulator.media.probe.reader import Reader
from pixverse_emulator.media.probe.webp import probe_webp

__all__ = ["probe_image", "sniff_image"]

_SNIFF_BYTES = 16


def sniff_image(head: bytes) -> ImageFormat | None:
    """Name the image format from the first 16 or more bytes of a file, or None."""
    if head.startswith(PNG_SIGNATURE):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def probe_image(f: BinaryIO) -> ImageInfo:
    """Read an image's format and size from its headers; raise ProbeError if unusable.

    ``f`` must be seekable; its position is restored afterwards.
    """
    with Reader(f) as reader:
        image_format = sniff_image(reader.read_upto(0, _SNIFF_BYTES))
        if image_format == "png":
            return probe_png(reader)
        if image_format == "jpeg":
            return probe_jpeg(reader)
        if image_format == "webp":
            return probe_webp(reader)
        raise ProbeError("not a PNG, JPEG or WebP image")
