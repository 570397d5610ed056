"""ADTS, the framing of raw .aac files: a 7- or 9-byte header in front of every frame."""

from __future__ import annotations

from dataclasses import dataclass

from pixverse_emulator.media.probe.reader import Reader

__all__ = ["MAX_WALKED_FRAMES", "AdtsFrame", "adts_duration", "parse_adts_header"]

_SAMPLE_RATES = (
    96000,
    88200,
    64000,
    48000,
    44100,
    32000,
    24000,
    22050,
    16000,
    12000,
    11025,
    8000,
    7350,
)
# Frames past this many are not read; the rest of the file is taken to be like them.
# About 90 s of 44.1 kHz audio for some 28 KiB of header reads.
MAX_WALKED_FRAMES = 4096


@dataclass(frozen=True)
class AdtsFrame:
    sample_rate: int
    samples: int  # per frame: 1024 per raw data block
    length: int  # bytes, header included

    @property
    def stream_key(self) -> tuple[int, ...]:
        """Frames of one stream share this; it never equals an MPEG audio frame's key."""
        return (0, self.sample_rate)


def parse_adts_header(data: bytes) -> AdtsFrame | None:
    """Decode an ADTS header, or None if ``data`` does not start with a valid one."""
    # 12-bit sync word, then MPEG version, and a layer field that is always 0 in ADTS.
    if len(data) < 7 or data[0] != 0xFF or data[1] & 0xF6 != 0xF0:
        return None
    rate_index = (data[2] >> 2) & 0xF
    if rate_index >= len(_SAMPLE_RATES):
        return None
    length = ((data[3] & 0x3) << 11) | (data[4] << 3) | (data[5] >> 5)
    header_length = 7 if data[1] & 1 else 9  # the protection-absent bit drops the CRC
    if length <= header_length:
        return None
    blocks = (data[6] & 0x3) + 1
    return AdtsFrame(_SAMPLE_RATES[rate_index], 1024 * blocks, length)


def adts_duration(reader: Reader, pos: int, end: int) -> float:
    """Sum frame durations over a header walk; past MAX_WALKED_FRAMES, extrapolate by size.

    The walk stops at the first damaged header or a frame cut off by the end of the file.
    """
    start, seconds = pos, 0.0
    for _ in range(MAX_WALKED_FRAMES):
        frame = parse_adts_header(reader.read_upto(pos, 7))
        if frame is None or pos + frame.length > end:
            return seconds
        seconds += frame.samples / frame.sample_rate
        pos += frame.length
        if pos >= end:
            return seconds
    return seconds * (end - start) / (pos - start)
