"""Audio files: WAV, and MP3 or ADTS AAC streams (possibly behind ID3v2 tags).

M4A goes through the MP4 probe (isobmff); this module covers the formats without boxes.
"""

from __future__ import annotations

import struct

from pixverse_emulator.media.probe.adts import AdtsFrame, adts_duration, parse_adts_header
from pixverse_emulator.media.probe.errors import ProbeError, tag_name
from pixverse_emulator.media.probe.info import MediaInfo, check_duration
from pixverse_emulator.media.probe.mpeg_audio import MpegFrame, mp3_duration, parse_mpeg_header
from pixverse_emulator.media.probe.reader import Reader

__all__ = ["probe_mpeg_audio", "probe_wav"]

Frame = MpegFrame | AdtsFrame

_MAX_CHUNKS = 1000
_MAX_ID3_TAGS = 8
_SYNC_WINDOW = 64 * 1024  # how far past the tags the first audio frame may start
_FRAME_HEADER = 9  # enough bytes for either an MPEG audio or an ADTS header


def probe_wav(reader: Reader) -> MediaInfo:
    header = reader.read_exact(0, 12, "WAV file is truncated: RIFF header is incomplete")
    riff_end = 8 + int.from_bytes(header[4:8], "little")
    if riff_end > reader.size:
        raise ProbeError("WAV file is truncated: it is shorter than its RIFF header says")
    byte_rate, data_size = _read_wav_chunks(reader, riff_end)
    return MediaInfo("audio", "wav", check_duration(data_size / byte_rate), None, None, True)


def _read_wav_chunks(reader: Reader, riff_end: int) -> tuple[int, int]:
    """Return (average bytes per second from 'fmt ', size of 'data')."""
    byte_rate: int | None = None
    data_size: int | None = None
    pos = 12
    for _ in range(_MAX_CHUNKS):
        if byte_rate is not None and data_size is not None:
            return byte_rate, data_size
        if pos + 8 > riff_end:
            break
        raw, size = struct.unpack("<4sI", reader.read_exact(pos, 8, "WAV file is truncated"))
        if pos + 8 + size > riff_end:
            raise ProbeError(f"WAV chunk '{tag_name(raw)}' overruns the file")
        if raw == b"fmt ":
            byte_rate = _read_byte_rate(reader.read_upto(pos + 8, min(size, 16)))
        elif raw == b"data":
            data_size = size
        pos += 8 + size + (size & 1)  # chunks are padded to an even length
    if byte_rate is None:
        raise ProbeError("WAV file has no 'fmt ' chunk")
    if data_size is None:
        raise ProbeError("WAV file has no 'data' chunk")
    return byte_rate, data_size


def _read_byte_rate(fmt: bytes) -> int:
    if len(fmt) < 16:
        raise ProbeError("WAV 'fmt ' chunk is too short")
    _codec, channels, sample_rate, byte_rate = struct.unpack_from("<HHII", fmt)
    if channels == 0 or sample_rate == 0 or byte_rate == 0:
        raise ProbeError("WAV 'fmt ' chunk has zero channels, sample rate or byte rate")
    return int(byte_rate)


def probe_mpeg_audio(reader: Reader) -> MediaInfo:
    """MP3 or ADTS AAC: whichever kind of frame is found first after any ID3v2 tags."""
    end = _audio_end(reader)
    pos, frame = _find_first_frame(reader, _skip_id3v2(reader), end)
    if isinstance(frame, MpegFrame):
        duration = mp3_duration(reader, pos, frame, end)
        return MediaInfo("audio", "mp3", check_duration(duration), None, None, True)
    duration = adts_duration(reader, pos, end)
    return MediaInfo("audio", "aac", check_duration(duration), None, None, True)


def _skip_id3v2(reader: Reader) -> int:
    """Offset just past the ID3v2 tags at the start of the file (0 if there are none)."""
    pos = 0
    for _ in range(_MAX_ID3_TAGS):
        header = reader.read_upto(pos, 10)
        if header[:3] != b"ID3":
            return pos
        if len(header) < 10 or any(b & 0x80 for b in header[6:10]):
            raise ProbeError("audio file is corrupt: ID3 tag header is invalid")
        size = 0
        for byte in header[6:10]:  # "syncsafe": 7 bits per byte
            size = size << 7 | byte
        has_footer = header[5] & 0x10
        pos += 10 + size + (10 if has_footer else 0)
        if pos > reader.size:
            raise ProbeError("audio file is truncated: ID3 tag overruns the file")
    return pos


def _audio_end(reader: Reader) -> int:
    """End of the audio frames: the file size, less a 128-byte ID3v1 tag at the end."""
    if reader.size >= 128 and reader.read_upto(reader.size - 128, 3) == b"TAG":
        return reader.size - 128
    return reader.size


def _find_first_frame(reader: Reader, start: int, end: int) -> tuple[int, Frame]:
    """The first frame header within _SYNC_WINDOW of ``start`` that a second one confirms.

    A lone 0xFF byte followed by plausible bits is common in tags and junk; a header that
    is followed by another of the same stream (or ends exactly at the end) is not.
    """
    window = reader.read_upto(start, min(_SYNC_WINDOW, end - start) + _FRAME_HEADER)
    index = window.find(b"\xff")
    while 0 <= index and start + index < end:
        frame = _parse_frame(window[index : index + _FRAME_HEADER])
        if frame is not None and _confirmed(reader, start + index, frame, end):
            return start + index, frame
        index = window.find(b"\xff", index + 1)
    raise ProbeError("audio file is corrupt: no MP3 or AAC frame found near its start")


def _parse_frame(data: bytes) -> Frame | None:
    return parse_adts_header(data) or parse_mpeg_header(data)


def _confirmed(reader: Reader, pos: int, frame: Frame, end: int) -> bool:
    following = pos + frame.length
    if following >= end:
        return following == end
    successor = _parse_frame(reader.read_upto(following, _FRAME_HEADER))
    return successor is not None and successor.stream_key == frame.stream_key
