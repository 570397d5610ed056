"""stsd sample entries: 'avc1' with 'avcC', and 'mp4a' with 'esds'."""

from __future__ import annotations

import struct

from .boxes import box, full_box

__all__ = ["avc1_sample_entry", "mp4a_sample_entry"]

_DATA_REFERENCE_INDEX = 1  # the single 'url ' entry of dref: data in this file
_COMPRESSOR_NAME = b"pixverse-emulator"


def _sample_entry_header() -> bytes:
    """SampleEntry (14496-12 8.5.2.2): six reserved bytes and data_reference_index."""
    return bytes(6) + struct.pack(">H", _DATA_REFERENCE_INDEX)


def avc1_sample_entry(
    width: int, height: int, sps: bytes, pps: bytes, chroma_format_idc: int
) -> bytes:
    """VisualSampleEntry 'avc1' (14496-12 12.1.3, 14496-15 5.4.2) for one SPS/PPS pair."""
    compressor = bytes([len(_COMPRESSOR_NAME)]) + _COMPRESSOR_NAME
    visual = struct.pack(
        ">HH12xHHIIIH32sHh",
        0,  # pre_defined
        0,  # reserved
        width,
        height,
        0x00480000,  # horizresolution: 72 dpi
        0x00480000,  # vertresolution: 72 dpi
        0,  # reserved
        1,  # frame_count: one frame per sample
        compressor.ljust(32, b"\x00"),
        0x0018,  # depth: colour, no alpha
        -1,  # pre_defined
    )
    return box(b"avc1", _sample_entry_header(), visual, _avcc(sps, pps, chroma_format_idc))


def _avcc(sps: bytes, pps: bytes, chroma_format_idc: int) -> bytes:
    """AVCDecoderConfigurationRecord (14496-15 5.3.3.1) in an 'avcC' box."""
    profile_idc, constraint_flags, level = sps[1], sps[2], sps[3]
    record = bytes([1, profile_idc, constraint_flags, level])
    record += bytes([0xFC | 3])  # reserved bits, lengthSizeMinusOne = 3: 4-byte NAL lengths
    record += bytes([0xE0 | 1]) + struct.pack(">H", len(sps)) + sps
    record += bytes([1]) + struct.pack(">H", len(pps)) + pps
    if profile_idc not in (66, 77, 88):
        # Required for the other profiles: chroma_format, bit depths (8) and no SPS extensions.
        record += bytes([0xFC | chroma_format_idc, 0xF8, 0xF8, 0])
    return box(b"avcC", record)


def mp4a_sample_entry(
    sample_rate: int, channels: int, audio_specific_config: bytes, frame_size: int
) -> bytes:
    """AudioSampleEntry 'mp4a' (14496-12 12.2.3, 14496-14 5.6) for AAC."""
    audio = struct.pack(">8xHHHHI", channels, 16, 0, 0, sample_rate << 16)
    bitrate = frame_size * 8 * sample_rate // 1024
    esds = full_box(b"esds", 0, 0, _es_descriptor(audio_specific_config, frame_size, bitrate))
    return box(b"mp4a", _sample_entry_header(), audio, esds)


def _descriptor(tag: int, payload: bytes) -> bytes:
    """An MPEG-4 descriptor (14496-1 8.3.3); all of ours are short enough for a 1-byte size."""
    if len(payload) > 127:
        raise ValueError("descriptor too long for a one-byte size field")
    return bytes([tag, len(payload)]) + payload


def _es_descriptor(audio_specific_config: bytes, frame_size: int, bitrate: int) -> bytes:
    """ES_Descriptor with its DecoderConfigDescriptor and SLConfigDescriptor (14496-1 7.2.6)."""
    decoder_specific_info = _descriptor(0x05, audio_specific_config)
    decoder_config = _descriptor(
        0x04,
        bytes([0x40, 0x15])  # objectTypeIndication: 14496-3 audio; streamType 5 (audio)
        + frame_size.to_bytes(3, "big")  # bufferSizeDB
        + struct.pack(">II", bitrate, bitrate)  # maxBitrate, avgBitrate
        + decoder_specific_info,
    )
    sl_config = _descriptor(0x06, bytes([0x02]))  # predefined: reserved for MP4 files
    # ES_ID 0 (14496-14 3.1.2: set to 0 in files), then no dependence/URL/OCR flags.
    return _descriptor(0x03, struct.pack(">HB", 0, 0) + decoder_config + sl_config)
