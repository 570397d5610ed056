"""A data folder's layout, and the lock that keeps a second server out of it.

```
<data_dir>/
  state.db (+ -wal, -shm)   the state: SQLite, WAL mode
  files/<token>/<name>      uploaded bytes
  snapshots/<name>.snapshot saved snapshots
  baseline.snapshot         the snapshot the state started from, if any (what reset restores)
  emulator.lock             held by the running server (flock), with its PID
```
The lock is an flock on `emulator.lock`: the kernel drops it when the process dies, so
a server killed with SIGKILL never leaves the folder locked.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

STATE_DB = "state.db"
LOCK = "emulator.lock"
BASELINE = "baseline.snapshot"


class FolderInUse(Exception):
    """Another emulator holds the data folder."""


class FolderLock:
    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise FolderInUse(
                f"data folder {self.path.parent} is in use by another pixverse-emulator "
                f"(PID {holder}); stop it or choose another --data-dir"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None
