"""Snapshot files on their own: written, read back, checked, migrated in a copy."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from test_sqlite_store import META, fingerprint, world_with_everything

from pixverse_emulator.store import schema
from pixverse_emulator.store.files import FileArea
from pixverse_emulator.store.schema import StateFileError
from pixverse_emulator.store.snapshots import (
    BadSnapshotName,
    Shelf,
    check_name,
    copy_files,
    read_snapshot,
    write_snapshot,
)


@pytest.fixture
def files(tmp_path: Path) -> FileArea:
    area = FileArea(tmp_path / "source")
    for token, name, data in (("tok-a", "image.png", b"12345"), ("tok-b", "media.wav", b"x" * 9)):
        incoming = area.receive(token)
        incoming.write(data)
        area.keep(incoming, name)
    return area


def test_a_snapshot_holds_the_world_and_the_bytes(tmp_path: Path, files: FileArea) -> None:
    world = world_with_everything()
    path = tmp_path / "one.snapshot"
    size = write_snapshot(path, world, {**META, "created": 9.0}, files)
    assert size == path.stat().st_size and not list(tmp_path.glob(".*building"))
    saved = read_snapshot(path, "open", "worldrouter")
    assert fingerprint(saved.world) == fingerprint(world)
    assert saved.meta["kind"] == "snapshot" and saved.meta["created"] == 9.0
    target = FileArea(tmp_path / "target")
    copy_files(path, saved.world.uploads.all(), target)
    assert target.path("tok-a", "image.png").read_bytes() == b"12345"
    assert target.path("tok-b", "media.wav").read_bytes() == b"x" * 9


def snapshot(tmp_path: Path, files: FileArea) -> Path:
    path = tmp_path / "s.snapshot"
    write_snapshot(path, world_with_everything(), META, files)
    return path


def run(path: Path, statement: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(statement)
    conn.close()


@pytest.mark.parametrize(("statement", "problem"), [
    ("DELETE FROM blobs WHERE token = 'tok-b'", "holds no bytes for the file media.wav"),
    ("UPDATE meta SET value = 'state' WHERE key = 'kind'", "is a data folder's state"),
    ("UPDATE meta SET value = 'pixverse' WHERE key = 'profile'", "profile 'pixverse'"),
    (f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}", "newer"),
    ("PRAGMA application_id = 7", "not a pixverse-emulator state file"),
    ("UPDATE tasks SET body = 'nonsense'", "not a usable snapshot"),
], ids=["missing-bytes", "state-db", "other-profile", "newer", "foreign", "bad-row"])
def test_a_file_that_is_no_usable_snapshot_says_why(
    tmp_path: Path, files: FileArea, statement: str, problem: str
) -> None:
    path = snapshot(tmp_path, files)
    run(path, statement)
    with pytest.raises(StateFileError, match=problem):
        read_snapshot(path, "open", "worldrouter")


def test_garbage_is_no_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "g.snapshot"
    path.write_bytes(b"\x00garbage" * 500)
    with pytest.raises(StateFileError, match=str(path)):
        read_snapshot(path, "open", "worldrouter")


def test_an_older_snapshot_is_migrated_in_a_copy(
    tmp_path: Path, files: FileArea, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = snapshot(tmp_path, files)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    version = schema.SCHEMA_VERSION
    monkeypatch.setitem(schema.MIGRATIONS, version,
                        lambda conn: conn.execute("ALTER TABLE teams ADD COLUMN note TEXT"))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", version + 1)
    saved = read_snapshot(path, "open", "worldrouter")
    assert fingerprint(saved.world) == fingerprint(world_with_everything())
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("name", ["", "a" * 65, "a/b", "..\\x", "sp ace", "ü"])
def test_snapshot_names_are_checked(name: str) -> None:
    with pytest.raises(BadSnapshotName, match="name"):
        check_name(name)


def test_the_shelf_lists_what_it_holds(tmp_path: Path, files: FileArea) -> None:
    shelf = Shelf(tmp_path)
    write_snapshot(shelf.path("b-2"), world_with_everything(), {**META, "created": 3.5}, files)
    write_snapshot(shelf.path("a.1"), world_with_everything(), {**META, "created": 1.0}, files)
    (shelf.folder / "stray.txt").write_text("not a snapshot")
    assert shelf.names() == ["a.1", "b-2"]
    described = shelf.describe("b-2")
    assert described == {"name": "b-2", "created": 3.5,
                         "bytes": shelf.path("b-2").stat().st_size}
