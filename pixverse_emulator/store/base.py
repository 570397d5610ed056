"""The storage seam: what the core asks of a store, and the changes it hands over.

The core keeps the working state in memory (`domain.world.World`) and changes it
under one lock, one unit of work per use case. As it goes it notes what it changed
in a `Changes`; when the unit ends, `Store.commit` makes those changes durable in one
transaction, before the answer is sent. A check and its effect so commit together:
under the lock in memory, in one transaction in SQLite.

A store that other processes also write (a shared store, `redis_store.py`) fits the
same seam: `refresh` runs as a unit opens, takes the store's lease and hands back what
other processes committed since (an `Update`, which the core applies to its world), and
`commit` writes the unit's changes atomically if nobody committed in between (a version
checked in the same script), else raises `StoreConflict`: the request is answered 503
and the process reads the state anew before its next unit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..domain.accounts import AuthMode
from ..domain.coverage import Coverage
from ..domain.journal import Journal
from ..domain.tasks import Task
from ..domain.uploads import Upload
from ..domain.webhooks import Delivery
from ..domain.world import World
from ..errors import StoreUnavailable
from .files import FileArea


class StoreError(Exception):
    """The store could not read or write; the unit of work did not happen."""


@contextmanager
def storing(what: str) -> Iterator[None]:
    """What a disk or SQLite can fail with while files are written (a full disk, a
    folder made read-only) as the 503 envelope, naming what was being stored; the
    caller has changed no state yet."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        raise StoreUnavailable(f"{what} could not be stored: {exc}", reason="store") from exc


class StoreConflict(StoreError):
    """Another writer changed the team first: reload it and run the use case again."""


@dataclass
class Saved:
    """A state as a store or a snapshot holds it: the world and its meta values
    (`id_high`, `clock_now`, `offsets` are in the world, `profile`, ...)."""

    world: World
    meta: dict[str, Any] = field(default_factory=dict)
    # A snapshot file of the current schema whose tasks and ledger entries a data folder
    # may copy straight over (the world then holds none of its entries in memory).
    source: Path | None = None


@dataclass
class Update:
    """What a process lacks of a shared store's state: the units other processes
    committed since it last looked (each a list of operations, `replay.py`), or the
    whole state (`reload`)."""

    version: int
    units: list[list[Any]] = field(default_factory=list)
    reload: bool = False
    head: str = ""  # the id of the unit at `version`


class Changes:
    """What one unit of work changed, by entity, for `Store.commit`."""

    def __init__(self) -> None:
        self.teams: set[str] = set()  # the team's settings: cap, keys, policies
        self.ledgers: set[str] = set()  # teams with new ledger entries
        self.tasks: dict[int, Task] = {}
        self.uploads: dict[int, Upload] = {}
        self.offsets: set[str] = set()
        self.dropped: list[str] = []  # teams whose rows go first (a per-team reset)
        self.evicted_tasks: set[int] = set()
        self.evicted_uploads: set[int] = set()
        self.faults = False
        self.meta: set[str] = set()
        self.freed_files: list[str] = []  # tokens whose files go once committed
        self.deliveries: dict[int, Delivery] = {}  # webhook deliveries made or tried

    def __bool__(self) -> bool:
        return bool(
            self.teams or self.ledgers or self.tasks or self.uploads or self.offsets
            or self.dropped or self.faults or self.meta or self.freed_files
            or self.evicted_tasks or self.evicted_uploads or self.deliveries
        )

    def team(self, team_id: str) -> None:
        self.teams.add(team_id)

    def ledger(self, team_id: str) -> None:
        self.ledgers.add(team_id)

    def task(self, task: Task) -> None:
        self.tasks[task.video_id] = task

    def upload(self, upload_id: int, upload: Upload) -> None:
        self.uploads[upload_id] = upload

    def delivery(self, delivery: Delivery) -> None:
        self.deliveries[delivery.delivery_id] = delivery

    def offset(self, team_id: str) -> None:
        self.offsets.add(team_id)

    def drop_team(self, team_id: str, file_tokens: Iterable[str]) -> None:
        """Everything of the team goes before anything else of this unit is written
        (and the id high-water mark with it: its ids may have been the highest)."""
        self.dropped.append(team_id)
        self.meta.add("id_high")
        self.freed_files.extend(file_tokens)
        self.teams.discard(team_id)
        self.ledgers.discard(team_id)
        self.offsets.discard(team_id)
        self.tasks = {k: t for k, t in self.tasks.items() if t.team_id != team_id}
        self.uploads = {k: u for k, u in self.uploads.items() if u.team_id != team_id}
        self.deliveries = {k: d for k, d in self.deliveries.items() if d.team_id != team_id}
        self.faults = True

    def evict_task(self, video_id: int) -> None:
        self.tasks.pop(video_id, None)
        self.evicted_tasks.add(video_id)
        self.meta.add("id_high")  # its id may have been the highest stored

    def evict_upload(self, upload_id: int, token: str | None) -> None:
        self.uploads.pop(upload_id, None)
        self.evicted_uploads.add(upload_id)
        self.meta.add("id_high")
        if token is not None:
            self.freed_files.append(token)

    def fault_rules(self) -> None:
        self.faults = True

    def meta_value(self, key: str) -> None:
        self.meta.add(key)


class _NoChanges(Changes):
    """For the memory store, which keeps nothing beyond the world: noting changes would
    be waste, so every note is dropped and there is never anything to commit."""

    def __bool__(self) -> bool:
        return False

    def team(self, team_id: str) -> None:
        return None

    def ledger(self, team_id: str) -> None:
        return None

    def task(self, task: Task) -> None:
        return None

    def upload(self, upload_id: int, upload: Upload) -> None:
        return None

    def delivery(self, delivery: Delivery) -> None:
        self.deliveries[delivery.delivery_id] = delivery

    def offset(self, team_id: str) -> None:
        return None

    def drop_team(self, team_id: str, file_tokens: Iterable[str]) -> None:
        return None

    def fault_rules(self) -> None:
        return None

    def evict_task(self, video_id: int) -> None:
        return None

    def evict_upload(self, upload_id: int, token: str | None) -> None:
        return None

    def meta_value(self, key: str) -> None:
        return None


NO_CHANGES = _NoChanges()


class Store(Protocol):
    """Where the state lives. `MemoryStore` keeps nothing beyond the world itself;
    `SqliteStore` keeps everything in a data folder."""

    durable: bool
    shared: bool  # other processes write it too: units take a lease and catch up
    root: Path  # the folder for uploaded files and snapshots
    copies_snapshots: bool  # replace() takes a snapshot file's rows as they are
    files: FileArea

    def load(self, auth: AuthMode) -> Saved | None:
        """The state as last committed; None when there is none yet."""
        ...

    def refresh(self, team_id: str | None) -> Update | None:
        """Before a unit of work for a team (None: any): a shared store takes its lease
        and says what this process lacks; the others have nothing to say."""
        ...

    def catch_up(self) -> Update | None:
        """What this process lacks, without a lease (a shared store only)."""
        ...

    def applied(self, world: World, applied: Any, update: Update) -> None:
        """This process applied another's units, up to `update`'s version (a shared
        store only)."""
        ...

    def release(self) -> None:
        """The end of a unit that wrote nothing (a shared store gives its lease back)."""
        ...

    def time(self) -> float:
        """The store's clock, for a wall clock every process shares (shared only)."""
        ...

    def run_books(self, size: int, routes: Iterable[str], err_codes: Iterable[int]
                  ) -> tuple[Journal, Coverage]:
        """The request journal and coverage every process of the store shares (shared
        only: the others keep them in the process)."""
        ...

    def commit(self, world: World, changes: Changes, meta: dict[str, Any]) -> None:
        """Write one unit of work's changes atomically (`meta`: the current values)."""
        ...

    def replace(self, world: World, meta: dict[str, Any], source: Path | None = None) -> None:
        """Replace the whole stored state (a global reset, a restore; `source`: the
        snapshot the world was read from, which holds its tasks and ledger entries)."""
        ...

    def close(self, deadline: float | None = None) -> None:
        """Release everything; cleanup stops at `deadline` (a monotonic time)."""
        ...


class Unshared:
    """What the Store protocol asks only of a shared store, for the stores no other
    process writes: nothing to take, lack or give back."""

    shared = False

    def refresh(self, team_id: str | None) -> Update | None:
        return None

    def catch_up(self) -> Update | None:
        return None

    def applied(self, world: World, applied: Any, update: Update) -> None:
        return None

    def release(self) -> None:
        return None

    def time(self) -> float:
        raise NotImplementedError("only a shared store keeps a clock")

    def run_books(self, size: int, routes: Iterable[str], err_codes: Iterable[int]
                  ) -> tuple[Journal, Coverage]:
        raise NotImplementedError("only a shared store shares its journal")
