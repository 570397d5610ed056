"""The SQLite schema of a data folder's `state.db` and of snapshot files, its version,
and the forward migrations between versions.

A file is ours when its `application_id` says so; `user_version` is its schema version.
Every change to the state's shape bumps `SCHEMA_VERSION` and adds the migration from
the version before to `MIGRATIONS`, tested on a folder and a snapshot of that version
(kept in `tests/fixtures/state/`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..domain.accounts import key_hash

APPLICATION_ID = 0x50585645  # "PXVE"
SCHEMA_VERSION = 4

TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE teams (
    id TEXT PRIMARY KEY, pending_cap INTEGER NOT NULL, keys TEXT NOT NULL,
    progression TEXT, outcomes TEXT NOT NULL, outcomes_next INTEGER NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0, webhook_url TEXT, webhook_secret TEXT
) WITHOUT ROWID;
CREATE TABLE ledger (
    team TEXT NOT NULL, seq INTEGER NOT NULL, time REAL NOT NULL, kind TEXT NOT NULL,
    amount INTEGER NOT NULL, video_id INTEGER, balance INTEGER NOT NULL,
    pool TEXT NOT NULL DEFAULT 'monthly',
    PRIMARY KEY (team, seq)
) WITHOUT ROWID;
CREATE TABLE tasks (
    video_id INTEGER PRIMARY KEY, team TEXT NOT NULL, status INTEGER NOT NULL,
    token TEXT NOT NULL, trace_id TEXT NOT NULL, body TEXT NOT NULL
);
CREATE TABLE uploads (
    id INTEGER PRIMARY KEY, team TEXT NOT NULL, kind TEXT NOT NULL,
    created_at REAL NOT NULL, source_url TEXT, token TEXT, name TEXT,
    content_type TEXT, size INTEGER, info TEXT
);
CREATE INDEX uploads_by_team ON uploads (team);
CREATE TABLE offsets (team TEXT PRIMARY KEY, seconds REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE faults (id INTEGER PRIMARY KEY, rule TEXT NOT NULL, draws INTEGER NOT NULL);
CREATE TABLE blobs (token TEXT NOT NULL UNIQUE, data BLOB NOT NULL);
CREATE TABLE deliveries (id INTEGER PRIMARY KEY, team TEXT NOT NULL, record TEXT NOT NULL);
"""
STATE_TABLES = ("teams", "ledger", "tasks", "uploads", "offsets", "faults", "deliveries")

Migration = Callable[[sqlite3.Connection], None]


def _keys_as_hashes(conn: sqlite3.Connection) -> None:
    """1 -> 2: teams kept their API keys in clear; now only their hashes."""
    for team_id, keys in conn.execute("SELECT id, keys FROM teams").fetchall():
        hashed = sorted(key_hash(key) for key in json.loads(keys))
        conn.execute("UPDATE teams SET keys = ? WHERE id = ?", (json.dumps(hashed), team_id))


def _teams_pinned(conn: sqlite3.Connection) -> None:
    """2 -> 3: teams made through the control plane are pinned (never evicted by
    max_teams). Which old teams were made that way was not recorded, so none is: they
    stay as evictable as they were."""
    conn.execute("ALTER TABLE teams ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0")


def _webhooks_and_pools(conn: sqlite3.Connection) -> None:
    """3 -> 4: teams may have a webhook, deliveries of it are state, and ledger entries
    name the pool of credits they moved (all earlier ones: monthly)."""
    conn.execute("ALTER TABLE ledger ADD COLUMN pool TEXT NOT NULL DEFAULT 'monthly'")
    conn.execute("ALTER TABLE teams ADD COLUMN webhook_url TEXT")
    conn.execute("ALTER TABLE teams ADD COLUMN webhook_secret TEXT")
    conn.execute("CREATE TABLE deliveries (id INTEGER PRIMARY KEY, team TEXT NOT NULL, "
                 "record TEXT NOT NULL)")


# version N -> the step that turns a version-N file into a version N+1 one.
MIGRATIONS: dict[int, Migration] = {1: _keys_as_hashes, 2: _teams_pinned, 3: _webhooks_and_pools}


class StateFileError(Exception):
    """A data folder or snapshot that this emulator cannot use, and why."""


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error (connections here run in
    autocommit mode, so every transaction is explicit)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def create(conn: sqlite3.Connection) -> None:
    """Lay out an empty file of the current version (inside the caller's transaction)."""
    for statement in TABLES.split(";"):  # not executescript(): it would COMMIT first
        if statement.strip():
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def version_of(conn: sqlite3.Connection, name: str) -> int:
    """The schema version of an open file, after checking it is one of ours and not
    newer than this emulator understands."""
    try:
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise StateFileError(f"{name}: not a readable SQLite database ({exc})") from exc
    if application_id != APPLICATION_ID:
        raise StateFileError(f"{name}: not a pixverse-emulator state file")
    if version > SCHEMA_VERSION:
        raise StateFileError(
            f"{name}: written by a newer pixverse-emulator (schema {version}; this one "
            f"reads up to {SCHEMA_VERSION}); upgrade, or use another folder"
        )
    return version


def check_integrity(conn: sqlite3.Connection, name: str) -> None:
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        raise StateFileError(f"{name}: damaged database ({exc})") from exc
    if problems != ["ok"]:
        raise StateFileError(f"{name}: damaged database ({'; '.join(problems[:3])})")


def migrate(conn: sqlite3.Connection, name: str) -> None:
    """Bring a file up to `SCHEMA_VERSION`, one step at a time, in one transaction."""
    version = version_of(conn, name)
    if version == SCHEMA_VERSION:
        return
    with transaction(conn):
        for step in range(version, SCHEMA_VERSION):
            if step not in MIGRATIONS:
                raise StateFileError(f"{name}: no migration from schema {step}")
            MIGRATIONS[step](conn)
            conn.execute(f"PRAGMA user_version = {step + 1}")


def read_only(path: Path) -> sqlite3.Connection:
    """A connection that changes nothing and creates nothing: without a WAL beside it the
    file is complete and is read as immutable (no -wal or -shm file appears); with one
    (a server was killed), through it. The path goes in a URI, percent-encoded, so a
    folder named with '#', '?' or '%' is that folder."""
    if not path.is_file():
        raise StateFileError(f"{path}: no such file")
    wal = path.with_name(path.name + "-wal")
    params = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    try:
        return sqlite3.connect(f"{path.resolve().as_uri()}?{params}", uri=True)
    except sqlite3.Error as exc:
        raise StateFileError(f"{path}: cannot be opened ({exc})") from exc


def inspect(path: Path, kind: str, profile: str) -> None:
    """Check a state file without changing it: ours, not newer, not damaged, and of the
    expected kind ("state" or "snapshot") and profile. Raises StateFileError."""
    name = str(path)
    conn = read_only(path)
    try:
        version_of(conn, name)
        check_integrity(conn, name)
        meta = dict(conn.execute("SELECT key, value FROM meta"))
    except sqlite3.DatabaseError as exc:
        raise StateFileError(f"{name}: damaged database ({exc})") from exc
    finally:
        conn.close()
    check_meta(meta, name, kind, profile)


META_TYPES: dict[str, tuple[type, ...]] = {
    "id_high": (int,), "fault_next_id": (int,), "clock_now": (int, float, type(None)),
    "created": (int, float),
}


def check_meta(meta: dict[str, object], name: str, kind: str, profile: str) -> None:
    for key, types in META_TYPES.items():
        if key in meta and not isinstance(meta[key], types) or isinstance(meta.get(key), bool):
            raise StateFileError(f"{name}: its {key} is {meta[key]!r}, not a number")
    found = meta.get("kind")
    if found != kind:
        what = {"state": "a data folder's state", "snapshot": "a snapshot"}
        raise StateFileError(f"{name}: is {what.get(str(found), repr(found))}, not {what[kind]}")
    if meta.get("profile") != profile:
        raise StateFileError(
            f"{name}: was made under the profile {meta.get('profile')!r}; this server runs "
            f"the profile {profile!r}"
        )
