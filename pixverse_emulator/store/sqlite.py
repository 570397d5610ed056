"""`SqliteStore`: the state in a data folder, in SQLite (the standard library's
`sqlite3`, WAL mode, `synchronous=NORMAL`).

Every unit of work commits in one transaction before its answer is sent; with WAL and
`synchronous=NORMAL` a committed transaction survives the process being killed at any
moment (a power loss may lose the last few, which the README says). A read that
changes nothing never gets here, so it writes nothing.
"""

from __future__ import annotations

import os
import sqlite3
from functools import partial
from pathlib import Path
from typing import Any

from ..domain.accounts import AuthMode
from ..domain.world import World
from . import rows
from .base import Changes, Saved, StoreError, Unshared
from .checkpoint import Checkpointer
from .files import FileArea
from .folder import STATE_DB, FolderLock
from .schema import StateFileError, create, inspect, migrate, transaction

TEAM_TABLES = ("teams", "ledger", "tasks", "uploads", "offsets", "deliveries")


def connect(path: Path) -> sqlite3.Connection:
    """Autocommit mode (transactions are explicit), usable from any thread: the core
    calls it under its own lock only."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # the Checkpointer's thread does it
    return conn


class SqliteStore(Unshared):
    durable = True
    copies_snapshots = True

    def __init__(self, root: Path, profile: str) -> None:
        self.root = root
        self.profile = profile
        try:
            self._open(root / STATE_DB)
        except (OSError, sqlite3.Error) as exc:  # a folder it may not write, a full disk
            raise StateFileError(f"{root}: cannot be used as a data folder ({exc})") from exc

    def _open(self, db: Path) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if db.exists():
            inspect(db, "state", self.profile)  # before anything in the folder changes
        self._lock = FolderLock(self.root)
        self._lock.acquire()
        try:
            if not db.exists():
                self._create(db)
            self._conn = connect(db)
            migrate(self._conn, str(db))
            self.files = FileArea(self.root)
        except BaseException:
            self._lock.release()
            raise
        self._checkpointer = Checkpointer(db)
        self._persisted_entries: dict[str, int] = {}  # team -> ledger entries written

    def _create(self, db: Path) -> None:
        """A new state.db, laid out under another name and then renamed: a crash during
        the first start leaves no half-made database behind."""
        building = db.with_name(db.name + ".new")
        building.unlink(missing_ok=True)
        conn = sqlite3.connect(building, isolation_level=None)
        try:
            with transaction(conn):
                create(conn)
                rows.write_meta(conn, {"kind": "state", "profile": self.profile})
        finally:
            conn.close()
        os.replace(building, db)

    # -- the Store protocol -------------------------------------------------------------

    def load(self, auth: AuthMode) -> Saved | None:
        meta = rows.read_meta(self._conn)
        if "id_high" not in meta:
            return None  # created, never written: the folder holds no state yet
        try:
            fault_next_id = int(meta.get("fault_next_id", 1))
            world = rows.read_world(self._conn, auth, fault_next_id, lazy=True)
            self._persisted_entries = rows.entry_counts(self._conn)
            # Creates do not write the mark; the largest stored id is at least as high.
            meta["id_high"] = max(int(meta["id_high"]), rows.highest_id(self._conn))
        except (sqlite3.Error, ValueError, TypeError, KeyError, IndexError,
                rows.DamagedRecord) as exc:
            raise StateFileError(f"{self.root / STATE_DB}: damaged state ({exc})") from exc
        return Saved(world, meta)

    def commit(self, world: World, changes: Changes, meta: dict[str, Any]) -> None:
        written: dict[str, int] = {}
        try:
            with transaction(self._conn) as conn:
                self._write(conn, world, changes, meta, written)
        except Exception as exc:  # whatever failed, the transaction was rolled back
            raise StoreError(f"{self.root / STATE_DB}: {exc}") from exc
        self._persisted_entries.update(written)
        self._forget_written(world, written)
        self._checkpointer.committed(self._conn)

    def _forget_written(self, world: World, written: dict[str, int]) -> None:
        """Written entries leave memory: the file has them, and reads fetch them."""
        for team_id, count in written.items():
            if team_id in world.ledger:
                loader = partial(rows.read_entries, self._conn, team_id)
                world.ledger.account(team_id).forget_through(count, loader)

    def _write(
        self,
        conn: sqlite3.Connection,
        world: World,
        changes: Changes,
        meta: dict[str, Any],
        written: dict[str, int],
    ) -> None:
        """One unit's rows. A create is the hot case (its team, entry and task), so
        nothing here runs a statement for a kind of change the unit did not make."""
        for team_id in changes.dropped:
            self._delete_team(conn, team_id)
            written[team_id] = 0
        for video_id in changes.evicted_tasks:
            conn.execute("DELETE FROM tasks WHERE video_id = ?", (video_id,))
        for upload_id in changes.evicted_uploads:
            conn.execute("DELETE FROM uploads WHERE id = ?", (upload_id,))
        for team_id in changes.teams:
            team = world.accounts.get(team_id)
            if team is not None:
                conn.execute(rows.TEAM_INSERT, rows.team_row(team))
        for team_id in changes.ledgers:
            done = 0 if team_id in written else self._persisted_entries.get(team_id, 0)
            written[team_id] = self._write_entries(conn, world, team_id, done)
        for task in changes.tasks.values():
            conn.execute(rows.TASK_INSERT, rows.task_row(task))
        if changes.uploads:
            conn.executemany(rows.UPLOAD_INSERT, map(rows.upload_row, changes.uploads.values()))
        for team_id in changes.offsets:
            self._write_offset(conn, world, team_id)
        if changes.deliveries:
            conn.executemany(rows.DELIVERY_INSERT,
                             map(rows.delivery_row, changes.deliveries.values()))
        if changes.faults:
            rows.write_faults(conn, world)
        if changes.meta:
            rows.write_meta(conn, {key: meta[key] for key in changes.meta})

    def replace(self, world: World, meta: dict[str, Any], source: Path | None = None) -> None:
        """The whole state anew. From a snapshot (`source`), its tasks and ledger entries
        are copied table to table inside SQLite rather than row by row through Python."""
        try:
            if source is not None:
                self._conn.execute("ATTACH DATABASE ? AS snapshot", (str(source),))
            try:
                with transaction(self._conn) as conn:
                    for table in (*TEAM_TABLES, "faults"):
                        conn.execute(f"DELETE FROM {table}")
                    if source is None:
                        rows.write_world(conn, world)
                    else:
                        rows.write_world(conn, world, copied=("tasks", "ledger"))
                        for table in ("tasks", "ledger"):
                            conn.execute(f"INSERT INTO main.{table} SELECT * FROM snapshot.{table}")
                    rows.write_meta(conn, meta)
            finally:
                if source is not None:
                    self._conn.execute("DETACH DATABASE snapshot")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.root / STATE_DB}: {exc}") from exc
        self._persisted_entries = {a.team_id: a.count for a in world.ledger.all()}
        self._forget_written(world, self._persisted_entries)
        self._checkpointer.committed(self._conn, whole_state=True)

    def close(self, deadline: float | None = None) -> None:
        self.files.stop(deadline)
        self._checkpointer.stop()
        self._conn.close()
        self._lock.release()

    @property
    def rows_written(self) -> int:
        """Rows this store has inserted, changed or deleted since it opened: a read that
        changes nothing leaves it where it was."""
        return self._conn.total_changes

    # -- pieces ---------------------------------------------------------------------------

    def _delete_team(self, conn: sqlite3.Connection, team_id: str) -> None:
        conn.execute("DELETE FROM teams WHERE id = ?", (team_id,))
        for table in TEAM_TABLES[1:]:
            conn.execute(f"DELETE FROM {table} WHERE team = ?", (team_id,))

    def _write_entries(
        self, conn: sqlite3.Connection, world: World, team_id: str, done: int
    ) -> int:
        """The team's ledger entries from number `done` on; returns how many it has."""
        if team_id not in world.ledger:
            return 0
        account = world.ledger.account(team_id)
        for entry in account.since(done):
            conn.execute(rows.ENTRY_INSERT, (team_id, *entry))
        return account.count

    def _write_offset(self, conn: sqlite3.Connection, world: World, team_id: str) -> None:
        seconds = world.offsets.get(team_id)
        if seconds is None:
            conn.execute("DELETE FROM offsets WHERE team = ?", (team_id,))
        else:
            conn.execute(rows.OFFSET_INSERT, (team_id, seconds))
