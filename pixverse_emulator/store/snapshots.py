"""Snapshot files: the whole state in ONE SQLite file of the data folder's schema, with
the uploaded bytes inside (table `blobs`), so a snapshot can be downloaded, committed to
a repository and uploaded again.

`Shelf` is the named collection under `<root>/snapshots/`. Reading a snapshot checks it
first (ours, not newer, not damaged, kind "snapshot", same profile, every upload's bytes
present); an older one is migrated in a temporary copy, never in place.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..domain.accounts import AuthMode
from ..domain.uploads import Upload
from ..domain.world import World
from . import rows
from .base import Saved
from .files import FileArea
from .schema import (
    SCHEMA_VERSION,
    StateFileError,
    check_meta,
    create,
    inspect,
    migrate,
    read_only,
    transaction,
    version_of,
)

SUFFIX = ".snapshot"
NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
CHUNK = 1024 * 1024


class BadSnapshotName(ValueError):
    pass


def write_snapshot(target: Path, world: World, meta: dict[str, Any], files: FileArea) -> int:
    """Write the world, its meta values and every uploaded file into `target` (built
    under another name and renamed, so a reader never sees half a snapshot); returns
    its size in bytes."""
    building = target.with_name(f".{target.name}.{os.getpid()}.building")
    building.unlink(missing_ok=True)
    conn = sqlite3.connect(building, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")  # a scratch file until the rename
        with transaction(conn):
            create(conn)
            rows.write_world(conn, world)
            rows.write_meta(conn, {**meta, "kind": "snapshot"})
            for upload in world.uploads.all():
                if upload.file is not None:
                    _write_blob(conn, upload.file.token, files.path(upload.file.token,
                                                                    upload.file.name))
        conn.close()
        os.replace(building, target)
    except BaseException:
        conn.close()
        building.unlink(missing_ok=True)
        raise
    return target.stat().st_size


def _write_blob(conn: sqlite3.Connection, token: str, source: Path) -> None:
    size = source.stat().st_size
    row = conn.execute("INSERT INTO blobs (token, data) VALUES (?, zeroblob(?))", (token, size))
    assert row.lastrowid is not None
    with conn.blobopen("blobs", "data", row.lastrowid) as blob, source.open("rb") as f:
        while chunk := f.read(CHUNK):
            blob.write(chunk)


def read_snapshot(path: Path, auth: AuthMode, profile: str, entries: bool = True) -> Saved:
    """The state a snapshot holds, checked; raises StateFileError naming the problem.
    `entries=False`: leave the ledger entries in the file (a data folder copies them
    straight from it: `Saved.source`); balances are read either way."""
    inspect(path, "snapshot", profile)
    with _current(path) as conn:
        copyable = not entries and _current.is_current(path)
        try:
            meta = rows.read_meta(conn)
            check_meta(meta, str(path), "snapshot", profile)
            world = rows.read_world(conn, auth, int(meta.get("fault_next_id", 1)),
                                    lazy=copyable)
            for record in world.tasks.frozen():  # a damaged row fails here; the tasks
                rows.check_task(record)  # stay frozen, so a restore writes rows as read
            _check_blobs(conn, world, path)
        except (sqlite3.Error, ValueError, TypeError, KeyError, IndexError,
                rows.DamagedRecord) as exc:
            raise StateFileError(f"{path}: not a usable snapshot ({exc})") from exc
    return Saved(world, meta, source=path if copyable else None)


def _check_blobs(conn: sqlite3.Connection, world: World, path: Path) -> None:
    have = {token for (token,) in conn.execute("SELECT token FROM blobs")}
    for upload in world.uploads.all():
        if upload.file is not None and upload.file.token not in have:
            raise StateFileError(f"{path}: holds no bytes for the file {upload.file.name} "
                                 f"of upload {upload.team_id}/{upload.file.token}")


class _current:
    """A connection to the snapshot at the current schema version: the file itself when
    it is current, else a migrated temporary copy (the original stays as it was)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.copy: Path | None = None

    @staticmethod
    def is_current(path: Path) -> bool:
        conn = read_only(path)
        try:
            return version_of(conn, str(path)) == SCHEMA_VERSION
        finally:
            conn.close()

    def __enter__(self) -> sqlite3.Connection:
        conn = read_only(self.path)
        if version_of(conn, str(self.path)) == SCHEMA_VERSION:
            self.conn = conn
            return conn
        conn.close()
        fd, name = tempfile.mkstemp(suffix=SUFFIX)
        os.close(fd)
        self.copy = Path(name)
        shutil.copyfile(self.path, self.copy)
        self.conn = sqlite3.connect(self.copy, isolation_level=None)
        migrate(self.conn, str(self.path))
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
        if self.copy is not None:
            self.copy.unlink(missing_ok=True)


def _chunks(conn: sqlite3.Connection, token: str) -> Iterator[bytes]:
    (rowid,) = conn.execute("SELECT rowid FROM blobs WHERE token = ?", (token,)).fetchone()
    with conn.blobopen("blobs", "data", rowid, readonly=True) as blob:
        while chunk := blob.read(CHUNK):
            yield chunk


def copy_files(path: Path, uploads: Iterable[Upload], files: FileArea) -> None:
    """Put the snapshot's bytes of `uploads` into the file area."""
    with _current(path) as conn:
        for upload in uploads:
            if upload.file is not None:
                files.write(upload.file.token, upload.file.name,
                            _chunks(conn, upload.file.token))


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise BadSnapshotName(
            f"name: {name!r} must be 1 to 64 characters of letters, digits, '.', '_' and '-'"
        )
    return name


class Shelf:
    """The named snapshots of one emulator, as files under `<root>/snapshots/`."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "snapshots"
        self.folder.mkdir(parents=True, exist_ok=True)
        for pattern in (".*.building", ".*.incoming"):  # saves and uploads cut short
            for leftover in self.folder.glob(pattern):
                leftover.unlink(missing_ok=True)

    def path(self, name: str) -> Path:
        return self.folder / f"{check_name(name)}{SUFFIX}"

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def names(self) -> list[str]:
        return sorted(p.name[: -len(SUFFIX)] for p in self.folder.glob(f"*{SUFFIX}")
                      if NAME.fullmatch(p.name[: -len(SUFFIX)]))

    def describe(self, name: str) -> dict[str, Any]:
        path = self.path(name)
        return {"name": name, "created": created_of(path), "bytes": path.stat().st_size}

    def incoming(self, name: str) -> Path:
        """A scratch path beside the shelf for an upload of `name` being received."""
        return self.folder / f".{check_name(name)}.{secrets.token_hex(8)}.incoming"


def created_of(path: Path) -> float | None:
    """When the snapshot was saved, by the emulator's clock (None if it cannot say)."""
    try:
        conn = read_only(path)
        try:
            value = conn.execute("SELECT value FROM meta WHERE key = 'created'").fetchone()
        finally:
            conn.close()
    except (sqlite3.Error, StateFileError):
        return None
    created = None if value is None else value[0]
    return float(created) if isinstance(created, int | float) else None
