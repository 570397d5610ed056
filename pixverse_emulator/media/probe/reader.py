"""Bounded random-access reads from an uploaded file object."""

from __future__ import annotations

import os
from types import TracebackType
from typing import BinaryIO

from pixverse_emulator.media.probe.errors import ProbeError

__all__ = ["MAX_BYTES_READ", "MAX_READS", "Reader"]

# Probes look at headers only. These caps keep a hostile file (a header claiming to be
# huge, millions of tiny boxes) from turning a probe into a full read of a 200 MiB upload.
MAX_BYTES_READ = 4 * 1024 * 1024
MAX_READS = 100_000


class Reader:
    """Reads byte ranges by absolute offset and charges them against a fixed budget.

    Used as a context manager, it puts the file position back where it found it, so the
    caller can go on to store the upload after probing it.
    """

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self._start = f.tell()
        self.size: int = f.seek(0, os.SEEK_END)
        self.bytes_read = 0
        self._reads = 0

    def __enter__(self) -> Reader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._f.seek(self._start)

    def read_upto(self, offset: int, count: int) -> bytes:
        """Return up to ``count`` bytes at ``offset``; fewer only at the end of the file."""
        count = min(count, self.size - offset)
        if offset < 0 or count <= 0:
            return b""
        self._charge(count)
        self._f.seek(offset)
        data = self._f.read(count) or b""
        while len(data) < count:  # unbuffered files may return short reads before EOF
            more = self._f.read(count - len(data))
            if not more:
                break
            data += more
        return data

    def read_exact(self, offset: int, count: int, truncated: str) -> bytes:
        """Return exactly ``count`` bytes at ``offset`` or raise ProbeError(truncated)."""
        data = self.read_upto(offset, count)
        if len(data) != count:
            raise ProbeError(truncated)
        return data

    def _charge(self, count: int) -> None:
        self._reads += 1
        self.bytes_read += count
        if self.bytes_read > MAX_BYTES_READ or self._reads > MAX_READS:
            raise ProbeError("file headers are too large or too fragmented to inspect")
