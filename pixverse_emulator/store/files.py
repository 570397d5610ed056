"""Uploaded bytes on disk, one folder per file token: `files/<token>/<name>`.

An upload streams straight into `<token>/.partial` as it arrives and is renamed to its
name once probed and accepted, so its bytes are written exactly once. A folder that
no record names (an upload cut short by a crash, a file of a reset team) is swept away
at the next start.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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


@dataclass(frozen=True)
class Download:
    """A file to serve: on disk (streamed in chunks) or rendered in memory."""

    content_type: str
    size: int
    etag: str
    path: Path | None = None
    data: bytes | None = None

    def chunks(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end inclusive."""
        if self.data is not None:
            yield self.data[start : end + 1]
            return
        assert self.path is not None
        with self.path.open("rb") as f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk


class FileArea:
    def __init__(self, root: Path) -> None:
        self.folder = root / "files"
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, token: str, name: str) -> Path:
        return self.folder / token / name

    def receive(self, token: str) -> Incoming:
        """A new, empty file for an upload's bytes as they arrive."""
        folder = self.folder / token
        folder.mkdir()
        path = folder / PARTIAL
        return Incoming(token, path, path.open("xb"))

    def keep(self, incoming: Incoming, name: str) -> None:
        """Give a fully received file its name (a rename: the bytes stay where they are)."""
        incoming.file.close()
        os.replace(incoming.path, self.path(incoming.token, name))

    def write(self, token: str, name: str, chunks: Iterable[bytes]) -> None:
        """A file from elsewhere (a snapshot): written whole, then named."""
        if self.path(token, name).exists():
            return  # tokens are never reused, so the same token is the same bytes
        shutil.rmtree(self.folder / token, ignore_errors=True)
        incoming = self.receive(token)
        with incoming.file:
            for chunk in chunks:
                incoming.write(chunk)
        self.keep(incoming, name)

    def discard(self, token: str) -> None:
        shutil.rmtree(self.folder / token, ignore_errors=True)

    def tokens(self) -> set[str]:
        return {entry.name for entry in os.scandir(self.folder) if entry.is_dir()}

    def sweep(self, known: set[str]) -> int:
        """Remove every folder no record names; returns how many went."""
        stray = self.tokens() - known
        for token in stray:
            self.discard(token)
        return len(stray)
