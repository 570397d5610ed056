"""A WebM without a Duration (what browsers' MediaRecorder writes) gets its length from
the last Cluster near its end."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pixverse_emulator.media.probe import ProbeError, probe_media

av = pytest.importorskip("av", reason="PyAV writes the reference WebM")
np = pytest.importorskip("numpy", reason="PyAV frames are built from arrays")


def webm(path: Path, seconds: int, fps: int = 10) -> bytes:
    with av.open(str(path), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        for i in range(seconds * fps):
            frame = av.VideoFrame.from_ndarray(np.full((64, 96, 3), i % 255, dtype=np.uint8),
                                               format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path.read_bytes()


def without_duration(data: bytes) -> bytes:
    """Overwrite Info's Duration with an EBML Void element of the same length."""
    at = data.index(b"\x44\x89")
    size = data[at + 2] & 0x7F
    void = b"\xec" + bytes([0x80 | (size + 1)]) + bytes(size + 1)
    return data[:at] + void + data[at + 3 + size :]


def test_duration_comes_from_the_last_cluster(tmp_path: Path) -> None:
    data = webm(tmp_path / "clip.webm", seconds=3)
    declared = probe_media(io.BytesIO(data)).duration
    info = probe_media(io.BytesIO(without_duration(data)))
    assert (info.kind, info.width, info.height) == ("video", 96, 64)
    # The last block starts one frame before the end.
    assert info.duration == pytest.approx(declared - 0.1, abs=0.02)


def test_no_duration_and_no_cluster_is_refused(tmp_path: Path) -> None:
    data = without_duration(webm(tmp_path / "clip.webm", seconds=1))
    # Every Cluster renamed to an id nobody reads: nothing to take the length from.
    data = data.replace(bytes.fromhex("1f43b675"), bytes.fromhex("1f43b676"))
    with pytest.raises(ProbeError, match="duration"):
        probe_media(io.BytesIO(data))
