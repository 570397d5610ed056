"""The silent AAC-LC audio track: one pre-encoded frame, repeated.

The frame is ``SILENT_FRAME`` below, a copy of ``fixtures/silent_aac_frame.bin`` (made by
``fixtures/make_silent_aac.py``, which documents its bitstream).  Every sample of the track
is that same frame, so building a track of any length costs nothing.
"""

from __future__ import annotations

from .timeline import sample_durations, to_ticks

__all__ = [
    "AUDIO_SPECIFIC_CONFIG",
    "CHANNELS",
    "FRAME_SAMPLES",
    "SAMPLE_RATE",
    "audio_sample_durations",
    "silent_frame",
]

SAMPLE_RATE = 48_000
CHANNELS = 1
FRAME_SAMPLES = 1024  # an AAC-LC frame always decodes to 1024 samples per channel

# AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1), carried in the esds DecoderSpecificInfo:
#   audioObjectType 5 bits = 2 (AAC LC), samplingFrequencyIndex 4 bits = 3 (48000 Hz),
#   channelConfiguration 4 bits = 1 (mono), GASpecificConfig: frameLengthFlag 0 (1024),
#   dependsOnCoreCoder 0, extensionFlag 0  ->  00010 0011 0001 000  ->  0x11 0x88.
AUDIO_SPECIFIC_CONFIG = bytes([0x11, 0x88])

# The frame itself, 4 bytes. It is kept here rather than read from fixtures/ so that an
# installed wheel (the Docker image) needs no data file; tests check it equals
# fixtures/silent_aac_frame.bin, which fixtures/make_silent_aac.py builds and verifies.
SILENT_FRAME = bytes.fromhex("00c80007")


def silent_frame() -> bytes:
    """The raw (no ADTS header) silent AAC-LC frame for the configuration above."""
    return SILENT_FRAME


def audio_sample_durations(duration: float) -> list[tuple[int, int]]:
    """stts runs for ``duration`` seconds of audio: whole 1024-sample frames, the last one
    trimmed so the track lasts exactly as long as the video.  (The decoder still outputs
    1024 samples for it; they are silent, and the container says where the track ends.)"""
    return sample_durations(to_ticks(duration, SAMPLE_RATE), FRAME_SAMPLES)
