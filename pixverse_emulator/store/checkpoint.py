"""Moving the WAL into the database file away from the requests.

SQLite's automatic checkpoint runs inside whichever commit crosses 1,000 WAL pages, so
one create in a few hundred paid for copying the whole WAL into the database (the
benchmark's create p99 went from 6 to 10 ms, and polls queued behind it). The store's
connection turns that off. Instead, every `COMMITS_PER_CHECKPOINT` commits (and after a
unit that rewrote the whole state) this thread runs a PASSIVE checkpoint on a
connection of its own, which never blocks the writer. While it copies, commits go on
adding frames, so it cannot finish the WAL by itself; the writer's next commit copies
those few frames (`catch_up`), after which the commit after it starts the WAL over from
its beginning: the file stays bounded.

Only committed pages are copied: nothing of the state changes, and a crash at any moment
leaves a WAL that the next open recovers, as before.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

COMMITS_PER_CHECKPOINT = 1000  # a create commits about 3 pages: ~12 MiB of WAL
CATCH_UP_COMMITS = 32  # commits since a pass the writer still copies itself


class Checkpointer:
    def __init__(self, db: Path) -> None:
        self._db = db
        self._commits = 0
        self._wanted = threading.Event()
        self.passed = threading.Event()  # a pass ended: the writer catches up
        self.ran = threading.Event()  # set after each catch-up (tests wait on it)
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def committed(self, writer: sqlite3.Connection, whole_state: bool = False) -> None:
        """After each commit, on the writer's connection and thread: catch up right
        after a pass (a few frames); long after one, or after a unit that rewrote the
        whole state, ask the thread for another pass instead."""
        self._commits += 1
        if self.passed.is_set():
            self.passed.clear()
            if self._commits <= CATCH_UP_COMMITS and not whole_state:
                self._catch_up(writer)
            else:
                self._wanted.set()
        if whole_state or self._commits >= COMMITS_PER_CHECKPOINT:
            self._commits = 0
            self._wanted.set()

    def _catch_up(self, writer: sqlite3.Connection) -> None:
        """Copy the frames committed while the thread's pass ran: a few pages."""
        try:
            writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            pass  # a reader in the way: the next pass tries again
        self.ran.set()

    def _run(self) -> None:
        conn = sqlite3.connect(self._db, isolation_level=None, check_same_thread=False)
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._stopping:
                    return
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    pass  # busy or failing disk: a later commit asks again
                self._commits = 0  # the writer counts commits since this pass
                self.passed.set()
        finally:
            conn.close()

    def stop(self) -> None:
        """Before the store's own connection closes (the last to close checkpoints the
        rest and removes the WAL)."""
        self._stopping = True
        self._wanted.set()
        self._thread.join(timeout=30)
