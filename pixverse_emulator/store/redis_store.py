"""`RedisStore`: one state shared by any number of emulator processes, in Redis.

Each process keeps the whole world in memory, as with the other stores, and Redis
holds the state they share:

- **One writer at a time.** A unit of work starts by taking the lease (a key set only if
  absent, with a time to live: a process killed while holding it loses it after
  `LEASE_TTL`), and catches up with what other processes committed since it last looked
  (the same Lua script, one round trip). Every per-team rule (pending cap, balance,
  trace-id resends) is so checked against the latest state, and its effect written
  before anyone else checks again.
- **Commits.** The unit's changes go to Redis as one list of operations (`replay.py`),
  run by one Lua script that first checks that nobody committed since this process
  caught up (a version counter), then appends the list to a log and gives the lease
  back. Other processes apply the logged lists to their worlds, so nobody reads the
  whole state again unless it was replaced or they fell `LOG_KEPT` units behind.
- **Failures.** Any Redis error is a `StoreError` (the 503 envelope); a process whose
  commit failed reloads the state at its next unit, so it never serves changes Redis
  did not take.

Uploaded files live in a folder every process reads (`root`): on one machine the
default temp folder named after the Redis URL, across machines a shared volume given as
`data_dir`.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable
from functools import partial
from hashlib import sha256
from pathlib import Path
from typing import Any

from ..domain.accounts import AuthMode
from ..domain.coverage import Coverage
from ..domain.journal import Journal
from ..domain.ledger import Entry
from ..domain.world import World
from . import redis_scripts
from .base import Changes, Saved, StoreConflict, StoreError, Update
from .files import FileArea
from .redis_link import Link
from .redis_load import pairs, read_world
from .replay import Applied, Op, ops_of, ops_of_world
from .schema import StateFileError
from .shared_run import SharedCoverage, SharedJournal, SharedRun

PREFIX = "pxe:"
LEASE_TTL = 5.0  # seconds a process that died holding the lease keeps others waiting
LEASE_WAIT = 10.0  # seconds a unit waits for the lease before answering 503
LOG_KEPT = 10_000  # units kept on the log: a process further behind reloads the state
TIMEOUT = 2.0  # seconds for any Redis command, and to connect
PAUSES = (0.0002, 0.005)  # the first and the longest pause between tries for the lease
STATE_KEYS = ("meta", "teams", "tasks", "uploads", "offsets", "deliveries", "faults", "ledgers")


def redacted_url(url: str) -> str:
    """The URL without a password, for messages."""
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}://{'***@' if at else ''}{host if at else rest}"


def shared_folder(url: str) -> Path:
    """The default folder for uploaded files: the same for every process on this
    machine that uses this Redis."""
    import tempfile

    name = sha256(url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"pixverse-emulator-shared-{name}"


class RedisStore:
    durable = True
    shared = True
    copies_snapshots = False  # the world holds everything: snapshots are read whole

    def __init__(self, url: str, root: Path | None, profile: str) -> None:
        try:
            import redis
        except ImportError as exc:  # pragma: no cover - the extra is part of the test install
            raise StateFileError("store = redis:// needs the Redis client: "
                                 "install the package with its redis extra ('.[redis]')") from exc
        self.name, self.profile = redacted_url(url), profile
        self.root = root if root is not None else shared_folder(url)
        self.errors: tuple[type[Exception], ...] = (redis.RedisError,)
        try:
            self._client = redis.Redis.from_url(url, decode_responses=True,
                                                socket_timeout=TIMEOUT,
                                                socket_connect_timeout=TIMEOUT)
        except ValueError as exc:  # a port or database that is no number, ...
            raise StateFileError(f"store = {self.name}: not a Redis URL ({exc})") from exc
        self._scripts = {name: self._client.register_script(getattr(redis_scripts, name))
                         for name in ("CATCH_UP", "ACQUIRE", "RELEASE", "COMMIT", "LOAD")}
        self._link = Link(self._client, redis)
        self._log_keys = [PREFIX + k for k in ("lease", "version", "log", "log_start", "head")]
        self.version: int | None = None  # the last unit this process has applied
        self.head = ""  # that unit's id
        self.stale = False  # a commit failed: reload before the next unit
        self._token: str | None = None
        self._published: dict[str, int] = {}  # ledger entries Redis has, per team
        self._books: SharedRun | None = None  # the journal and coverage (run_books)
        self._before = 0  # journal entries waiting when the current unit began
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.files = FileArea(self.root)
        except OSError as exc:
            raise StateFileError(f"{self.root}: no folder for uploaded files ({exc})") from exc

    # -- talking to Redis ----------------------------------------------------------------

    def _run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        try:
            return self._link.run(self._scripts[script], keys, args, script != "COMMIT")
        except self.errors as exc:
            raise StoreError(f"the store {self.name} did not answer ({exc})") from exc

    def wait_until_up(self, seconds: float) -> None:
        """At start: Redis may come up after this process (a compose stack)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self._client.ping()
                return
            except self.errors as exc:
                if time.monotonic() > deadline:
                    raise StateFileError(f"the store {self.name} cannot be reached ({exc})") \
                        from exc
                time.sleep(0.2)

    def time(self) -> float:
        """Redis's clock (every process on every host reads the same one)."""
        try:
            seconds, micros = self._client.time()
        except self.errors as exc:
            raise StateFileError(f"the store {self.name} cannot be reached ({exc})") from exc
        return seconds + micros / 1e6

    # -- the Store protocol -------------------------------------------------------------

    def load(self, auth: AuthMode) -> Saved | None:
        keys = [PREFIX + "version", *(PREFIX + k for k in STATE_KEYS), PREFIX + "head"]
        found = self._run("LOAD", keys, [PREFIX])
        version = int(found[0])
        meta = {k: json.loads(v) for k, v in pairs(found[1])}
        self.version, self.head, self.stale = version, found[9], False
        if "id_high" not in meta:
            return None
        if meta.get("profile", self.profile) != self.profile:
            raise StateFileError(f"the store {self.name} holds the state of the "
                                 f"{meta['profile']!r} profile, not {self.profile!r}")
        world = read_world(found, auth, int(meta.get("fault_next_id", 1)))
        self._published = {a.team_id: a.count for a in world.ledger.all()}
        self._forget_entries(world, list(self._published))
        return Saved(world, meta)

    def refresh(self, team_id: str | None) -> Update | None:
        """Take the lease, and what this process lacks."""
        token = secrets.token_hex(8)
        deadline = time.monotonic() + LEASE_WAIT
        pause = PAUSES[0]
        mine = -1 if self.version is None or self.stale else self.version
        while True:
            found = self._run("ACQUIRE", self._log_keys,
                              [token, int(LEASE_TTL * 1000), mine, self.head])
            if found[0] != -1:
                self._token = token
                # The journal's entries from before this unit, kept if its commit fails.
                self._before = 0 if self._books is None else len(self._books.entries)
                return None if self.version is None else _update(found, self.stale)
            if time.monotonic() > deadline:
                raise StoreError(f"the store {self.name} stayed locked by another process "
                                 f"for {LEASE_WAIT:.0f} s")
            time.sleep(pause)  # another process is in a unit of work: its turn
            pause = min(pause * 2, PAUSES[1])

    def catch_up(self) -> Update | None:
        """What this process lacks, without the lease (before a request reads)."""
        if self.version is None:
            return None
        mine = -1 if self.stale else self.version
        return _update(self._run("CATCH_UP", self._log_keys, [mine, self.head]), self.stale)

    def applied(self, world: World, applied: Applied, update: Update) -> None:
        """This process's world now holds the units up to `update`'s version."""
        self.version, self.head = update.version, update.head
        for team in applied.dropped:
            self._published.pop(team, None)
        for team in applied.ledgers:
            self._published[team] = world.ledger.account(team).count
        self._forget_entries(world, list(applied.ledgers))

    def release(self) -> None:
        """The end of a unit that changed nothing (with the journal's waiting entries)."""
        token, self._token = self._token, None
        if token is not None:
            packed = self._books.take() if self._books is not None else ""
            try:
                self._run("RELEASE", self._log_keys[:1], [token, PREFIX, packed])
            except StoreError:
                if self._books is not None:
                    self._books.put_back()
                raise

    def commit(self, world: World, changes: Changes, meta: dict[str, Any]) -> None:
        published = dict(self._published)
        ops = ops_of(world, changes, {"id_high": meta["id_high"], **{
            k: meta[k] for k in changes.meta}}, published)
        self._commit(ops)
        self._published = published
        self._forget_entries(world, list(changes.ledgers))

    def replace(self, world: World, meta: dict[str, Any], source: Path | None = None) -> None:
        self._commit(ops_of_world(world, meta))
        self._published = {a.team_id: a.count for a in world.ledger.all()}
        self._forget_entries(world, list(self._published))

    def _commit(self, ops: list[Op]) -> None:
        token, self._token = self._token, None
        packed = self._books.take() if self._books is not None else ""
        unit = secrets.token_hex(8)
        try:
            found = self._run("COMMIT", self._log_keys, [
                token or "", self.version if self.version is not None else 0, LOG_KEPT,
                json.dumps(ops, separators=(",", ":")), PREFIX, packed, unit])
        except StoreError:
            self._failed()  # it may or may not have run: read the state again
            raise
        if found[0] == -1:
            self._failed()
            raise StoreConflict(f"another process wrote the store {self.name} first")
        self.version, self.head = int(found[0]), unit

    def _failed(self) -> None:
        """A commit that did not take: the state is read again before the next unit, and
        the journal keeps only what was waiting before it (the unit's own entries
        describe what did not happen; its request is answered 503)."""
        self.stale = True
        if self._books is not None:
            self._books.put_back(self._before)

    def close(self, deadline: float | None = None) -> None:
        self.files.stop(deadline)
        try:
            self.release()
        except StoreError:
            pass  # its time to live frees it
        self._link.close()
        self._client.close()

    def run_books(self, size: int, routes: Iterable[str], err_codes: Iterable[int]
                  ) -> tuple[Journal, Coverage]:
        """The journal and coverage every process of this store shares."""
        run = self._books = SharedRun(self._client, PREFIX, self.name, self.errors, size)
        return SharedJournal(run), SharedCoverage(run, routes, err_codes)

    # -- ledger entries ------------------------------------------------------------------

    def _forget_entries(self, world: World, teams: list[str]) -> None:
        """Entries Redis has leave memory; reading a team's history fetches them."""
        for team in teams:
            if team in world.ledger:
                count = self._published.get(team, 0)
                world.ledger.account(team).forget_through(count, partial(
                    self._entries, team, count))

    def _entries(self, team: str, count: int) -> list[Entry]:
        try:
            found = self._client.lrange(f"{PREFIX}ledger:{team}", 0, count - 1)
        except self.errors as exc:
            raise StoreError(f"the store {self.name} did not answer ({exc})") from exc
        return [Entry._make(json.loads(entry)) for entry in found]


def _update(found: list[Any], stale: bool) -> Update | None:
    version = int(found[0])
    if len(found) == 1 and not stale:
        return None
    if stale or found[1] == "reload":
        return Update(version, reload=True)
    units = [unit.partition(" ") for unit in found[1]]  # "<id> <operations>"
    return Update(version, [json.loads(ops) for _, _, ops in units], head=units[-1][0])
