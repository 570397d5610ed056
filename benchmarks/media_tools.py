"""Helpers for bench_media.py: a thin blocking HTTP/1.1 client on a raw socket, a
streamed multipart upload (sendfile: the file never enters the client's memory), a
builder of large valid MP4 files and a /proc RSS sampler.

The client parses nothing beyond the status line and `Content-Length`, and reads bodies
into one reused buffer, so on a 2-core machine it costs little next to the server.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import uuid
from pathlib import Path
from typing import Any

TIMEOUT = 60.0
BUFFER = 1024 * 1024
MAX_HEAD = 64 * 1024


class HttpError(RuntimeError):
    pass


class Connection:
    """One keep-alive connection to 127.0.0.1:port."""

    def __init__(self, port: int) -> None:
        self.host = f"127.0.0.1:{port}"
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray(BUFFER)
        self.view = memoryview(self.buffer)
        self.pending = b""  # bytes read past the last response's headers

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_head(self, method: str, path: str, headers: dict[str, str],
                  length: int) -> None:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {length}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def read_head(self) -> tuple[int, int]:
        """Status and Content-Length of the next response."""
        data = self.pending
        while b"\r\n\r\n" not in data:
            if len(data) > MAX_HEAD:
                raise HttpError("response head too large")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise HttpError("connection closed before the response head")
            data += chunk
        head, _, self.pending = data.partition(b"\r\n\r\n")
        status = int(head[9:12])
        length: int | None = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise HttpError("chunked responses are not supported by this client")
        if length is None:
            raise HttpError("response without Content-Length")
        return status, length

    def read_body(self, length: int, keep: bool) -> bytes:
        """Read `length` body bytes; return them only when `keep` (else into the buffer)."""
        kept: list[bytes] = []
        first = self.pending[:length]
        self.pending = self.pending[length:]
        if keep:
            kept.append(first)
        left = length - len(first)
        while left > 0:
            got = self.sock.recv_into(self.view, min(left, BUFFER))
            if got == 0:
                raise HttpError("connection closed mid-body")
            if keep:
                kept.append(bytes(self.view[:got]))
            left -= got
        return b"".join(kept)

    def get(self, path: str, keep: bool = False) -> tuple[int, bytes, int]:
        """GET path: status, the body (when `keep`) and its length."""
        self.send_head("GET", path, {}, 0)
        status, length = self.read_head()
        return status, self.read_body(length, keep), length

    def request_json(self, method: str, path: str, headers: dict[str, str],
                     body: bytes = b"") -> tuple[int, Any]:
        self.send_head(method, path, headers, len(body))
        if body:
            self.sock.sendall(body)
        status, length = self.read_head()
        return status, json.loads(self.read_body(length, keep=True))


def upload_file(port: int, path: str, file: Path, field: str, headers: dict[str, str],
                content_type: str = "video/mp4") -> tuple[int, Any, float]:
    """POST `file` as multipart field `field`, streamed with sendfile on a new connection.

    Returns the status, the JSON answer and the seconds from the first byte sent to the
    answer read.
    """
    boundary = uuid.uuid4().hex
    preamble = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{file.name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    epilogue = f"\r\n--{boundary}--\r\n".encode()
    size = file.stat().st_size
    all_headers = {**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    with Connection(port) as conn:
        start = time.perf_counter()
        conn.send_head("POST", path, all_headers, len(preamble) + size + len(epilogue))
        try:
            conn.sock.sendall(preamble)
            with file.open("rb") as source:
                sent = conn.sock.sendfile(source)
            if sent != size:
                raise HttpError(f"sent {sent} of {size} bytes")
            conn.sock.sendall(epilogue)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (e.g. 413); read that answer below
        status, length = conn.read_head()
        answer = json.loads(conn.read_body(length, keep=True))
        return status, answer, time.perf_counter() - start


def multipart_overhead(field: str, name: str, content_type: str = "video/mp4") -> int:
    """Bytes a multipart body adds around a file (with upload_file's 32-char boundary)."""
    boundary = "x" * 32
    preamble = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
                f"filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n")
    return len(preamble) + len(f"\r\n--{boundary}--\r\n")


def top_level_boxes(data: bytes) -> list[tuple[str, int, int]]:
    """(type, offset, size) of an ISO BMFF file's top-level boxes."""
    boxes: list[tuple[str, int, int]] = []
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, offset)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, offset + 8)
        elif size == 0:
            size = len(data) - offset
        if size < 8:
            raise ValueError(f"bad box size {size} at {offset}")
        boxes.append((kind.decode("latin-1"), offset, size))
        offset += size
    return boxes


def build_mp4(sample: Path, target: Path, size: int) -> None:
    """Write a valid MP4 of exactly `size` bytes: `sample` followed by one `free` box.

    A top-level `free` box after the sample's last box shifts no offset, so the sample's
    `moov` (wherever it is) still describes its `mdat`. The padding is written in 1 MiB
    blocks, never held whole in memory.
    """
    data = sample.read_bytes()
    kinds = [kind for kind, _, _ in top_level_boxes(data)]
    if "moov" not in kinds or "mdat" not in kinds:
        raise ValueError(f"{sample} is not an MP4 with moov and mdat: {kinds}")
    pad = size - len(data)
    if pad < 16:
        raise ValueError("target size too small")
    block = bytes(BUFFER)
    with target.open("wb") as out:
        out.write(data)
        out.write(struct.pack(">I4sQ", 1, b"free", pad))  # 64-bit size: any length works
        left = pad - 16
        while left > 0:
            left -= out.write(block[: min(left, len(block))])


def read_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":", 1)
                values[name] = int(value.split()[0]) * 1024
    return values


class RssSampler:
    """Samples a process's VmRSS every `interval` seconds in a background thread, for at
    most `limit` seconds; `peak` is the largest sample (a benchmark may poll)."""

    def __init__(self, pid: int, interval: float = 0.01, limit: float = 120.0) -> None:
        self.pid, self.interval, self.limit = pid, interval, limit
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + self.limit
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                rss = read_status(self.pid)["VmRSS"]
            except (OSError, KeyError):
                return  # the process is gone
            self.peak = max(self.peak, rss)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
