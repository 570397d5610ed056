"""Helpers shared by the test modules: request bodies and small real media files."""

from __future__ import annotations

import io
import os
import struct
import wave
import zlib
from pathlib import Path
from typing import Any, BinaryIO

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def auth(key: str = "team-a") -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def text_body(**overrides: Any) -> dict[str, Any]:
    """The seed's smoke-test payload."""
    body: dict[str, Any] = {
        "model": "pixverse-c1",
        "prompt": "A small blue cube rotating on a white desk, clean studio lighting",
        "duration": 1,
        "quality": "360p",
        "aspect_ratio": "16:9",
        "generate_audio_switch": False,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def png_bytes(width: int, height: int) -> bytes:
    """A real, decodable greyscale PNG of any size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def resp(response: Any) -> dict[str, Any]:
    """The envelope's Resp, after checking the call succeeded."""
    body = response.json()
    assert response.status_code == 200, body
    assert body["ErrCode"] == 0, body
    result: dict[str, Any] = body["Resp"]
    return result


def error_of(response: Any) -> tuple[int, int, str]:
    """(HTTP status, ErrCode, error.code) of an error envelope, checking its shape."""
    body = response.json()
    assert set(body) == {"ErrCode", "ErrMsg", "Resp", "error"}, body
    assert body["Resp"] == {}
    assert body["ErrMsg"] == body["error"]["message"]
    assert body["error"]["type"]
    return response.status_code, body["ErrCode"], body["error"]["code"]


class CountingFile:
    """Wraps a file and counts the bytes handed out by read()."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._f.read(size)
        self.bytes_read += len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()


def only_probe_errors(data: bytes) -> None:
    """Both probes on any bytes: a ProbeError is fine, anything else fails the test."""
    from pixverse_emulator.media.probe import ProbeError, probe_image, probe_media

    for probe in (probe_image, probe_media):
        try:
            probe(io.BytesIO(data))
        except ProbeError:
            pass


def mutated(seeds: dict[str, bytes], words: tuple[int, ...]) -> Any:
    """A Hypothesis strategy: one of `seeds` with a few bytes or 32-bit `words` overwritten,
    mostly in its first or last 600 bytes where the headers are, and maybe cut short."""
    from hypothesis import strategies as st

    @st.composite
    def strategy(draw: st.DrawFn) -> bytes:
        data = bytearray(seeds[draw(st.sampled_from(sorted(seeds)))])
        for _ in range(draw(st.integers(0, 6))):
            region = draw(st.sampled_from(["head", "tail", "anywhere"]))
            low = max(len(data) - 600, 0) if region == "tail" else 0
            high = min(len(data), 600) if region == "head" else len(data)
            pos = draw(st.integers(low, max(high - 4, low)))
            if draw(st.booleans()):
                data[pos : pos + 1] = bytes([draw(st.integers(0, 255))])
            else:
                data[pos : pos + 4] = struct.pack(">I", draw(st.sampled_from(words)))
        if draw(st.booleans()):
            del data[draw(st.integers(0, len(data))) :]
        return bytes(data)

    return strategy()


def native_answer(response: Any) -> dict[str, Any]:
    """A `pixverse` profile answer: HTTP 200 whatever its ErrCode, as PixVerse answers."""
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    return body


def native_resp(response: Any) -> Any:
    """The `Resp` of a `pixverse` profile answer, after checking it succeeded."""
    body = native_answer(response)
    assert body["ErrCode"] == 0, body
    return body["Resp"]


def mp4_facts(data: bytes) -> tuple[int, int, float, bool]:
    """What FFmpeg's decoders find in an MP4: width, height, seconds, an audio stream."""
    import av

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert container.duration is not None
        return (stream.codec_context.width, stream.codec_context.height,
                container.duration / 1e6, bool(container.streams.audio))
