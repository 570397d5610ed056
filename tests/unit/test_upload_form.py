"""The multipart reader on its own: a file part's bytes go to disk as they arrive."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio

from pixverse_emulator.http.form import read_upload_form
from pixverse_emulator.store.files import FileArea, Incoming

BOUNDARY = "b0undary"
CHUNK = 16 * 1024
HELD_AT_MOST = 128 * 1024  # file bytes parsed but not yet on disk, per connection


class Sink:
    def __init__(self, area: FileArea) -> None:
        self.area = area
        self.incoming: Incoming | None = None

    def receive_file(self) -> Incoming:
        self.incoming = self.area.receive("tok")
        return self.incoming

    def write_file(self, incoming: Incoming, data: bytes) -> None:
        incoming.write(data)

    def discard_file(self, incoming: Incoming) -> None:
        incoming.file.close()
        self.area.discard(incoming.token)


class StalledRequest:
    """A body that sends `sent` bytes of its file, then, instead of stalling, lets the
    test look at what is held in memory."""

    def __init__(self, sink: Sink, sent: int) -> None:
        self.headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
        self.sink, self.sent, self.unwritten = sink, sent, -1

    async def stream(self) -> AsyncIterator[bytes]:
        yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; "
               f"filename=\"a.png\"\r\n\r\n").encode()
        for _ in range(self.sent // CHUNK):
            yield b"x" * CHUNK
        assert self.sink.incoming is not None
        self.unwritten = self.sent - self.sink.incoming.size  # the connection stalls here
        yield f"\r\n--{BOUNDARY}--\r\n".encode()


def test_a_stalled_upload_holds_little_unwritten(tmp_path: Path) -> None:
    area = FileArea(tmp_path)
    sink = Sink(area)
    request: Any = StalledRequest(sink, sent=40 * CHUNK)
    form = anyio.run(read_upload_form, request, "image", sink)
    assert 0 <= request.unwritten < HELD_AT_MOST
    assert form.file is not None and form.file.size == 40 * CHUNK
    area.stop()
