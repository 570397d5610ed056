"""`MemoryStore`: the state lives only in the world object; uploaded files in a temp
folder that goes at exit. Nothing to load, nothing to commit.

The temp folder holds a lock (as a data folder does) for as long as its process runs.
A process killed with SIGKILL cannot remove its folder, so each new one removes the
folders of its kind whose lock nobody holds any more: their process is gone. A folder
whose process still runs keeps its lock and is left alone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from ..domain.accounts import AuthMode
from ..domain.world import World
from .base import Changes, Saved, Unshared
from .files import FileArea
from .folder import FolderInUse, FolderLock
from .schema import StateFileError

PREFIX = "pixverse-emulator-"


def remove_orphans(parent: Path) -> list[Path]:
    """Remove the temp folders of emulators that died without cleaning up."""
    removed = []
    for folder in parent.glob(PREFIX + "*"):
        try:
            if _orphaned(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except OSError:
            continue  # its owner is removing it right now
    return removed


def _orphaned(folder: Path) -> bool:
    lock_file = folder / "emulator.lock"
    if not lock_file.is_file() or not lock_file.read_text().strip():
        return False  # no lock yet, or not yet its PID: a process is still setting it up
    lock = FolderLock(folder)
    try:
        lock.acquire()
    except FolderInUse:
        return False  # its process still runs
    lock.release()
    return True


class MemoryStore(Unshared):
    durable = False
    copies_snapshots = False  # the world holds everything: read snapshots whole

    def __init__(self) -> None:
        parent = Path(tempfile.gettempdir())
        try:
            remove_orphans(parent)
            self.root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent))
            self._lock = FolderLock(self.root)
            self._lock.acquire()
            self.files = FileArea(self.root)
        except OSError as exc:
            raise StateFileError(f"{parent}: no temporary folder for uploads ({exc})") from exc

    def load(self, auth: AuthMode) -> Saved | None:
        return None

    def commit(self, world: World, changes: Changes, meta: dict[str, Any]) -> None:
        return None

    def replace(self, world: World, meta: dict[str, Any], source: Path | None = None) -> None:
        return None

    def close(self, deadline: float | None = None) -> None:
        """Remove the temp folder, its lock file last. Past `deadline` the rest stays,
        its lock free: the next start's orphan sweep removes it."""
        self.files.stop(deadline)
        emptied = remove_contents(self.root, self._lock.path, deadline)
        self._lock.release()
        if emptied:
            shutil.rmtree(self.root, ignore_errors=True)


def remove_contents(root: Path, keep: Path, deadline: float | None) -> bool:
    """Remove everything under `root` but `keep`, deepest first; False when `deadline`
    (a monotonic time) came first."""
    for folder, dirs, files in os.walk(root, topdown=False):
        for name in files:
            path = Path(folder, name)
            if deadline is not None and time.monotonic() > deadline:
                return False
            if path != keep:
                path.unlink(missing_ok=True)
        for name in dirs:
            with contextlib.suppress(OSError):
                Path(folder, name).rmdir()
    return True
