"""Uploaded bytes on disk, one folder per file token: `files/<token>/<name>`.

An upload streams straight into `<token>/.partial` as it arrives and is renamed to its
name once probed and accepted, so its bytes are written exactly once. A folder that
no record names (an upload cut short by a crash, a file of a reset team) is swept away
at the next start.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .janitor import Janitor

PARTIAL = ".partial"
CHUNK = 64 * 1024


@dataclass
class Incoming:
    """An upload's file while its bytes arrive."""

    token: str
    path: Path
    file: BinaryIO
    size: int = 0

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.size += len(data)


class OpenFile:
    """An uploaded file, opened when its URL was looked up: a reset or restore that
    removes it meanwhile cannot cut the answer short (the open file stays readable).
    Closed once served, or when dropped unserved (a HEAD, a 304)."""

    def __init__(self, path: Path) -> None:
        self._file: BinaryIO | None = path.open("rb")

    def read_range(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end inclusive, then closed."""
        try:
            assert self._file is not None
            self._file.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = self._file.read(min(CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __del__(self) -> None:
        self.close()


@dataclass(frozen=True)
class Download:
    """A file to serve: on disk (streamed in chunks) or rendered in memory."""

    content_type: str
    size: int
    etag: str
    file: OpenFile | None = None
    data: bytes | None = None
    video_id: int | None = None  # a result video's task

    def chunks(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end inclusive."""
        if self.data is not None:
            yield self.data[start : end + 1]
            return
        assert self.file is not None
        yield from self.file.read_range(start, end)

    def close(self) -> None:
        """When it will not be streamed after all."""
        if self.file is not None:
            self.file.close()


class FileArea:
    """Files by token. Removing many (a reset, a restore, an eviction) is handed to the
    janitor's thread, so no request waits on file deletion.

    A token handed over for removal is doomed until the janitor gets to it; a write
    (a restore bringing the file back) un-dooms it, and the janitor removes only what
    is still doomed, under the same guard, so a queued removal never takes a file that
    a later restore named again."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "files"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._in_flight: set[str] = set()  # tokens of uploads received, not yet recorded
        self._doomed: set[str] = set()  # tokens handed to the janitor, not yet removed
        self._guard = threading.Lock()
        self.janitor = Janitor()

    def path(self, token: str, name: str) -> Path:
        return self.folder / token / name

    def receive(self, token: str) -> Incoming:
        """A new, empty file for an upload's bytes as they arrive. It stays in flight
        (no sweep removes it) until `settled` once its upload is recorded, or
        `discard`ed."""
        with self._guard:
            self._in_flight.add(token)
        folder = self.folder / token
        folder.mkdir()
        path = folder / PARTIAL
        return Incoming(token, path, path.open("xb"))

    def settled(self, token: str) -> None:
        with self._guard:
            self._in_flight.discard(token)

    def keep(self, incoming: Incoming, name: str) -> None:
        """Give a fully received file its name (a rename: the bytes stay where they are)."""
        incoming.file.close()
        os.replace(incoming.path, self.path(incoming.token, name))

    def write(self, token: str, name: str, chunks: Iterable[bytes]) -> None:
        """A file from elsewhere (a snapshot): written whole, then named."""
        with self._guard:
            self._doomed.discard(token)  # wanted again: a queued removal must spare it
            if self.path(token, name).exists():
                return  # tokens are never reused, so the same token is the same bytes
        shutil.rmtree(self.folder / token, ignore_errors=True)
        incoming = self.receive(token)
        with incoming.file:
            for chunk in chunks:
                incoming.write(chunk)
        self.keep(incoming, name)
        self.settled(token)

    def discard(self, token: str) -> None:
        """Remove one file now (an upload that was refused)."""
        shutil.rmtree(self.folder / token, ignore_errors=True)
        self.settled(token)

    def remove_later(self, tokens: Iterable[str]) -> None:
        """Remove these files on the janitor's thread."""
        batch = list(tokens)
        if batch:
            with self._guard:
                self._doomed.update(batch)
            self.janitor.later(lambda: self._remove(batch))

    def _remove(self, tokens: list[str]) -> None:
        for token in tokens:
            if self.janitor.stopping():
                return  # shutting down: the next start sweeps the rest
            with self._guard:  # a write cannot un-doom it between the check and the removal
                if token not in self._doomed:
                    continue
                self._doomed.discard(token)
                shutil.rmtree(self.folder / token, ignore_errors=True)

    def drain(self) -> None:
        """Wait until every file handed to the janitor is gone (tests, benchmarks)."""
        self.janitor.drain()

    def stop(self, deadline: float | None = None) -> None:
        """Stop removing (waiting at most until `deadline`); what is left is swept at the
        next start."""
        self.janitor.stop(deadline)

    def tokens(self) -> set[str]:
        return {entry.name for entry in os.scandir(self.folder) if entry.is_dir()}

    def sweep(self, known: set[str]) -> int:
        """Hand every folder no record names and no upload still arriving owns to the
        remover; returns how many."""
        with self._guard:
            stray = self.tokens() - known - self._in_flight
        self.remove_later(stray)
        return len(stray)
