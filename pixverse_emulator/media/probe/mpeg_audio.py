"""MPEG-1/2/2.5 audio (MP3 and its layers I and II): frame headers and VBR frame counts."""

from __future__ import annotations

from dataclasses import dataclass

from pixverse_emulator.media.probe.errors import ProbeError
from pixverse_emulator.media.probe.reader import Reader

__all__ = ["MpegFrame", "mp3_duration", "parse_mpeg_header"]

# Bitrates in kbit/s for bitrate indexes 1-14. MPEG-1 has one table per layer (I, II,
# III); MPEG-2 and 2.5 have one for layer I and one shared by layers II and III.
_V1_BITRATES = (
    (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
)
_V2_LAYER1_BITRATES = (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256)
_V2_BITRATES = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MPEG1_RATES = (44100, 48000, 32000)  # halved for MPEG-2, quartered for MPEG-2.5
_VERSIONS = (25, 0, 2, 1)  # by the two version bits; 0 marks the reserved value
_VBRI_OFFSET = 4 + 32  # Fraunhofer's VBRI header sits at a fixed place
_VBR_HEADER_BYTES = 192  # enough for a Xing tag with every field and its LAME extension
_XING_FIELDS = ((1, 4), (2, 4), (4, 100), (8, 4))  # (flag bit, field size)
_GAPLESS_ENCODERS = (b"LAME", b"Lavf", b"Lavc")


@dataclass(frozen=True)
class MpegFrame:
    version: int  # 1, 2, or 25 for MPEG-2.5
    layer: int  # 1, 2 or 3
    bitrate: int  # bit/s
    sample_rate: int
    samples: int  # per frame
    length: int  # bytes, header included
    mono: bool

    @property
    def stream_key(self) -> tuple[int, ...]:
        """Frames of one stream share this; it never equals an ADTS frame's key."""
        return self.version, self.layer, self.sample_rate


def parse_mpeg_header(data: bytes) -> MpegFrame | None:
    """Decode a 4-byte frame header, or None if ``data`` does not start with a valid one."""
    if len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        return None
    version = _VERSIONS[(data[1] >> 3) & 3]
    layer = 4 - ((data[1] >> 1) & 3)
    bitrate_index, rate_index = data[2] >> 4, (data[2] >> 2) & 3
    # Free-format bitrate (index 0) has no length in the header and is not supported.
    if version == 0 or layer == 4 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    bitrate = _bitrate_table(version, layer)[bitrate_index - 1] * 1000
    sample_rate = _MPEG1_RATES[rate_index] // (1 if version == 1 else 2 if version == 2 else 4)
    samples = 384 if layer == 1 else 1152 if layer == 2 or version == 1 else 576
    padding = (data[2] >> 1) & 1
    if layer == 1:
        length = (12 * bitrate // sample_rate + padding) * 4
    else:
        length = samples // 8 * bitrate // sample_rate + padding
    mono = data[3] >> 6 == 3
    return MpegFrame(version, layer, bitrate, sample_rate, samples, length, mono)


def _bitrate_table(version: int, layer: int) -> tuple[int, ...]:
    if version == 1:
        return _V1_BITRATES[layer - 1]
    return _V2_LAYER1_BITRATES if layer == 1 else _V2_BITRATES


@dataclass(frozen=True)
class VbrHeader:
    """What a Xing/Info or VBRI header in the first frame says about the whole stream."""

    frames: int
    stream_bytes: int  # 0 when not recorded
    trimmed_samples: int = 0  # encoder delay and padding, from a LAME extension


def mp3_duration(reader: Reader, pos: int, frame: MpegFrame, end: int) -> float:
    """Exact from a Xing/Info or VBRI frame count, else estimated from size and bitrate."""
    data = reader.read_upto(pos, min(frame.length, _VBR_HEADER_BYTES)) if frame.layer == 3 else b""
    header = _read_xing(data, frame) or _read_vbri(data)
    if header is None or header.frames == 0:
        return (end - pos) * 8 / frame.bitrate
    if pos + header.stream_bytes > end:
        raise ProbeError("MP3 file is truncated: it is shorter than its VBR header says")
    samples = header.frames * frame.samples
    if header.trimmed_samples < samples:
        samples -= header.trimmed_samples
    return samples / frame.sample_rate


def _read_xing(data: bytes, frame: MpegFrame) -> VbrHeader | None:
    # The tag follows the layer III side information, whose size varies.
    side_info = (17 if frame.mono else 32) if frame.version == 1 else (9 if frame.mono else 17)
    xing = 4 + side_info
    if data[xing : xing + 4] not in (b"Xing", b"Info") or len(data) < xing + 8:
        return None
    flags = int.from_bytes(data[xing + 4 : xing + 8], "big")
    fields = xing + 8
    frames = _optional_field(data, fields, flags & 1)
    stream_bytes = _optional_field(data, fields + 4 * bool(flags & 1), flags & 2)
    # The optional fields (frames, bytes, 100-byte seek table, quality) come before the
    # LAME extension, which records the samples the encoder added at both ends.
    lame = fields + sum(size for bit, size in _XING_FIELDS if flags & bit)
    if data[lame : lame + 4] not in _GAPLESS_ENCODERS or len(data) < lame + 24:
        return VbrHeader(frames, stream_bytes)
    delays = int.from_bytes(data[lame + 21 : lame + 24], "big")
    return VbrHeader(frames, stream_bytes, (delays >> 12) + (delays & 0xFFF))


def _optional_field(data: bytes, offset: int, present: int) -> int:
    if not present or len(data) < offset + 4:
        return 0
    return int.from_bytes(data[offset : offset + 4], "big")


def _read_vbri(data: bytes) -> VbrHeader | None:
    # "VBRI", version, delay, quality, then the stream size and the frame count.
    vbri = _VBRI_OFFSET
    if data[vbri : vbri + 4] != b"VBRI" or len(data) < vbri + 18:
        return None
    stream_bytes = int.from_bytes(data[vbri + 10 : vbri + 14], "big")
    return VbrHeader(int.from_bytes(data[vbri + 14 : vbri + 18], "big"), stream_bytes)
