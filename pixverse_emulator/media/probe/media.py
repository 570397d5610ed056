"""Video and audio probing: recognise the container by its magic bytes, then read it."""

from __future__ import annotations

from typing import BinaryIO

from pixverse_emulator.media.probe.adts import parse_adts_header
from pixverse_emulator.media.probe.audio import probe_mpeg_audio, probe_wav
from pixverse_emulator.media.probe.errors import ProbeError
from pixverse_emulator.media.probe.info import Container, MediaInfo
from pixverse_emulator.media.probe.isobmff import (
    QUICKTIME_TOP_LEVEL,
    container_for_brand,
    probe_isobmff,
)
from pixverse_emulator.media.probe.mpeg_audio import parse_mpeg_header
from pixverse_emulator.media.probe.reader import Reader
from pixverse_emulator.media.probe.webm import probe_webm

__all__ = ["probe_media", "sniff_media"]

_SNIFF_BYTES = 16
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"


def sniff_media(head: bytes) -> Container | None:
    """Name the container from the first 16 or more bytes of a file, or None.

    'ftyp' brands decide between mov ("qt  "), m4a ("M4A ") and mp4 (anything else).
    Matroska is reported as "webm", its restricted profile. A file opening with an ID3
    tag is reported as "mp3", though the tag may also front an AAC stream.
    """
    if head[4:8] == b"ftyp" and len(head) >= 12:
        return container_for_brand(head[8:12])
    if head[4:8] in QUICKTIME_TOP_LEVEL:
        return "mov"
    if head.startswith(_EBML_MAGIC):
        return "webm"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"ID3"):
        return "mp3"
    if parse_adts_header(head) is not None:
        return "aac"
    if parse_mpeg_header(head) is not None:
        return "mp3"
    return None


def probe_media(f: BinaryIO) -> MediaInfo:
    """Read a video or audio file's kind, container, duration and picture size.

    ``f`` must be seekable; its position is restored afterwards. Raises ProbeError.
    """
    with Reader(f) as reader:
        container = sniff_media(reader.read_upto(0, _SNIFF_BYTES))
        if container in ("mp4", "mov", "m4a"):
            return probe_isobmff(reader)
        if container == "webm":
            return probe_webm(reader)
        if container == "wav":
            return probe_wav(reader)
        if container in ("mp3", "aac"):
            return probe_mpeg_audio(reader)
        raise ProbeError("not a supported video or audio file (MP4, MOV, WebM, MP3, WAV, AAC)")
