"""The emulator's state, its units of work and the rules every use case shares.

`State` owns everything: settings, clock, random source and ids, the `World` (teams,
ledgers, tasks, uploads, faults), the store that keeps it, the journal and coverage.
Every use case is one unit of work: `with self._unit(team):` takes the lock, the use case
settles what has fallen due for the team it concerns, checks and acts, noting what it
changed in `self._changes`; when the outermost unit ends, the store commits those
changes in one transaction, before the answer goes out. Nothing inside awaits, so no
other request can slip in between a check (pending cap, balance) and its effect.
`_move` is the one edge function of a task's life.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any

from .clock import Clock, ManualClock, OffsetClock, check_advance, make_clock
from .domain.accounts import Accounts, Team
from .domain.coverage import Coverage
from .domain.faults import FaultBook
from .domain.journal import Journal
from .domain.ledger import Ledger
from .domain.policies import OutcomeSequence, parse_outcomes, parse_progression
from .domain.task import DELETED, RUNNING, SUCCEEDED
from .domain.tasks import Status, Task, TaskBook, VideoSpec
from .domain.uploads import UploadStore
from .domain.webhooks import Delivery
from .domain.world import World
from .errors import Conflict, InvalidField, MissingKey, StoreUnavailable, Unauthorized
from .evictions import Evictor
from .ids import IdSource, run_random
from .profiles import Profile, profile_named
from .settings import Settings
from .store import replay
from .store.base import NO_CHANGES, Changes, Saved, Store, StoreError, Update
from .store.files import FileArea
from .store.memory import MemoryStore
from .store.snapshots import Shelf
from .store.spill import FileSpill
from .store.sqlite import SqliteStore
from .tokens import Tokens


class _Unit:
    """`with state._unit(team):` one unit of work for `team` (None: no one team).

    Re-entrant; the outermost unit asks the store to bring the team up to date before it
    starts (a no-op for a store nobody else writes) and commits when it ends. Calling
    it takes the lock, so the team it records is this thread's."""

    __slots__ = ("_state", "_team")

    def __init__(self, state: State) -> None:
        self._state = state
        self._team: str | None = None

    def __call__(self, team_id: str | None) -> _Unit:
        self._state._lock.acquire()
        self._team = team_id
        return self

    def __enter__(self) -> None:
        state = self._state
        state._depth += 1
        if state._depth == 1:
            try:
                if (update := state.store.refresh(self._team)) is not None:
                    state._apply_update(update)  # None checked here: the memory store's path
            except BaseException as exc:
                state._depth -= 1
                state._release_store()
                state._lock.release()
                if isinstance(exc, StoreError):
                    raise StoreUnavailable(f"the state could not be read: {exc}") from exc
                raise

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        state = self._state
        try:
            state._depth -= 1
            if state._depth == 0 and state._changes:
                state._flush()  # also after an error: what was settled before it stays
            elif state._shared and state._depth == 0:
                state._release_store()
        finally:
            state._lock.release()


def open_store(settings: Settings) -> Store:
    kind = settings.store_kind
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        assert settings.data_dir is not None
        return SqliteStore(Path(settings.data_dir), settings.profile)
    from .store.redis_store import RedisStore  # here: only a shared store needs redis

    folder = None if settings.data_dir is None else Path(settings.data_dir)
    store = RedisStore(str(settings.store), folder, settings.profile)
    store.wait_until_up(settings.store_wait)
    return store


EVICTION = "eviction"  # the timeline reason of a task the limits let go of


def evicting(task: Task) -> bool:
    """A task leaving by eviction is not news: it is about to be forgotten."""
    return task.last_reason == EVICTION


class State:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Clock | None = None,
        token_factory: Callable[[], str] | None = None,
    ) -> None:
        self.settings = settings if settings is not None else Settings()
        self.profile = profile_named(self.settings.profile)  # the API this emulator plays
        # Where this emulator is reached, for URLs made without a request (webhooks):
        # `public_url`, else the address it listens on (serving sets the real port).
        self.base_url = self.settings.public_url or (
            f"http://{self.settings.host}:{self.settings.port}")
        self.clock = clock if clock is not None else make_clock(self.settings.clock)
        self._new_token = token_factory or Tokens()
        self._lock = threading.RLock()
        self._depth = 0
        self._unit = _Unit(self)
        self._rng = run_random(self.settings.seed)
        self.journal = Journal(self.settings.journal_size)
        self.coverage = Coverage(self.profile.route_names(), self.profile.err_codes())
        self._progression = parse_progression(
            self.settings.progression or f"seconds:{self.settings.run_seconds}"
        )
        self.store: Store = open_store(self.settings)
        self._shared = self.store.shared  # other processes write it too (Redis)
        if self._shared:
            if clock is None and self.settings.clock == "wall":
                self.clock = OffsetClock(self.store.time)
            self.journal, self.coverage = self.store.run_books(
                self.settings.journal_size, self.profile.route_names(), self.profile.err_codes())
        self.files: FileArea = self.store.files
        self.shelf = Shelf(self.store.root)
        self._changes: Changes = Changes() if self.store.durable else NO_CHANGES
        self.evictor = Evictor(self.settings, self.journal, self.clock.now, self._evicted_files,
                               self._settle, self._evict_running)
        self._closed = False
        self._spill = None if self.store.durable else FileSpill(self.store.root / "ledger")
        self.world = World(Accounts(self.settings.auth))
        self.ids = IdSource(self._rng)
        try:
            self._open()
        except BaseException:
            self.store.close()
            raise

    def _open(self) -> None:
        """Where the state comes from (`lifecycle.Lifecycle`): here, an empty world."""

    @property
    def world(self) -> World:
        return self._world

    @world.setter
    def world(self, world: World) -> None:
        """Every world this state holds spills old ledger entries in memory mode."""
        if self._spill is not None:
            self._spill.clear()  # what the previous world spilled is not this one's
            world.ledger.spill = self._spill
        self._world = world
        self.evictor.rebuild(world)

    # -- the world's parts, for the control plane and tests ----------------------------

    @property
    def accounts(self) -> Accounts:
        return self.world.accounts

    @property
    def ledger(self) -> Ledger:
        return self.world.ledger

    @property
    def tasks(self) -> TaskBook:
        return self.world.tasks

    @property
    def uploads(self) -> UploadStore:
        return self.world.uploads

    @property
    def faults(self) -> FaultBook:
        return self.world.faults

    def faults_in_force(self) -> bool:
        """Whether any fault rule exists. Asked on every request, without the lock (a
        list's length), as the fault injector and the hot lane have always read it."""
        return bool(self._world.faults.in_force)

    # -- storing ------------------------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        manual = isinstance(self.clock, ManualClock)
        return {
            "id_high": self.ids.high,
            "clock_now": self.clock.now() if manual else None,
            "fault_next_id": self.world.faults.next_id,
            "profile": self.settings.profile,
        }

    def _flush(self) -> None:
        changes, self._changes = self._changes, Changes()
        try:
            self.store.commit(self.world, changes, self._meta())
        except StoreError as exc:
            try:
                self._reload()
            except StoreError:
                pass  # a shared store that cannot be read now reloads at its next unit
            raise StoreUnavailable(f"the state could not be saved: {exc}") from exc
        self._free_files(changes.freed_files)

    def _release_store(self) -> None:
        """A shared store's lease goes back at the end of a unit that wrote nothing."""
        if self._shared:
            try:
                self.store.release()
            except StoreError:
                pass  # its time to live frees it

    def request_unit(self) -> _Unit:
        """A whole request as one unit of work (the hot lane's, on a shared store): the
        units of its use cases nest in it, and its journal entry is sent with its
        changes."""
        return self._unit(None)

    def catch_up(self) -> None:
        """Before a request reads anything: what other processes of a shared store
        committed (a no-op for a store only this process writes)."""
        if not self._shared:
            return
        with self._lock:
            try:
                self._apply_update(self.store.catch_up())
            except StoreError as exc:
                raise StoreUnavailable(f"the state could not be read: {exc}") from exc

    def _apply_update(self, update: Update | None) -> None:
        """Another process's units (or the whole state) into this process's world."""
        if update is None:
            return
        if not update.reload:
            try:
                for ops in update.units:
                    self._applied(replay.apply(self.world, ops), update)
                return
            except replay.NeedsReload:
                pass
        if not self._reload():  # Redis lost everything: begin again, as a first start
            self._when_store_empty()

    def _when_store_empty(self) -> None:
        """A shared store found empty (`lifecycle.Lifecycle` starts over)."""
        self.world = World(Accounts(self.settings.auth))

    def _applied(self, applied: replay.Applied, update: Update) -> None:
        self.store.applied(self.world, applied, update)
        meta = applied.meta
        if "id_high" in meta:
            self.ids.keep_above(int(meta["id_high"]))
        if meta.get("clock_now") is not None and isinstance(self.clock, ManualClock):
            self.clock.set(float(meta["clock_now"]))
        if "fault_next_id" in meta:
            self.world.faults.next_id = max(self.world.faults.next_id, int(meta["fault_next_id"]))
        for team_id in applied.dropped:
            self.evictor.forget(team_id)
        for team_id in applied.teams:
            team = self.world.accounts.get(team_id)
            if team is not None and self.evictor.evictable(team):
                self.evictor.opened(team_id)

    def _evicted_files(self, tokens: Iterable[str]) -> None:
        """Memory mode frees an evicted upload's file at once; a store after commit."""
        if not self.store.durable:
            self._free_files(tokens)

    def _free_files(self, tokens: Iterable[str]) -> None:
        """Remove (on the remover thread) the files of `tokens` no upload names any more."""
        self.files.remove_later([t for t in tokens if t not in self.world.uploads.files])

    def _reload(self) -> bool:
        """The world (and a manual clock) back to what the store holds (after a failed
        commit, or another process's replace); False when it holds nothing."""
        saved = self.store.load(self.settings.auth)
        if saved is not None:
            self.world = saved.world
            self.ids.keep_above(int(saved.meta["id_high"]))
            self._set_clock(saved)
        return saved is not None

    def _set_clock(self, saved: Saved) -> None:
        """A saved manual clock's time applies to a manual clock; offsets only there."""
        now = saved.meta.get("clock_now")
        if isinstance(self.clock, ManualClock):
            if now is not None:
                self.clock.set(float(now))
        else:
            saved.world.offsets.clear()


    def close(self, deadline: float | None = None) -> None:
        """Release the store: a data folder keeps everything; memory mode removes its
        temp folder. `deadline` (a monotonic time) bounds what cleanup may take: a
        shutdown leaves what is left to the next start's sweep."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self.store.close(deadline)

    # -- time ------------------------------------------------------------------------------

    def now(self, team: str | None = None) -> float:
        """The emulator clock as `team` sees it: each team's clock can run ahead."""
        return self.clock.now() + self._world.offsets.get(team or "", 0.0)

    def _settle(self, team_id: str) -> float:
        """Apply the team's transitions that have fallen due, each at its own due time.
        Teams share nothing that a transition touches, so settling one is enough."""
        world = self._world  # the attribute, not the property: this runs on every request
        now = self.clock.now() + world.offsets.get(team_id, 0.0)  # `now(team_id)`
        for task in world.tasks.due(team_id, now):
            assert task.due_at is not None
            self._move(task, task.outcome, task.due_at, due_reason(task.progression))
        return now

    def _settle_all(self) -> None:
        for team_id in self.world.tasks.teams_waiting():
            self._settle(team_id)

    def advance(self, seconds: float, team: str | None = None) -> float:
        """Move the manual clock, for everyone or for one team's clock alone."""
        if not isinstance(self.clock, ManualClock):
            raise Conflict("the clock is the wall clock; start with clock=manual to move it")
        try:
            check_advance(seconds)
        except ValueError as exc:
            raise InvalidField(f"Invalid field type or value: {exc}", reason="clock") from exc
        with self._unit(team):
            if team is None:
                self.clock.advance(seconds)
                self._changes.meta_value("clock_now")
                self._settle_all()
            else:
                self.world.offsets[team] = self.world.offsets.get(team, 0.0) + seconds
                self._changes.offset(team)
                self._settle(team)
            return self.now(team)

    def clock_info(self, team: str | None = None) -> dict[str, Any]:
        return {"now": self.now(team), "mode": self.clock.mode}

    # -- teams and keys ----------------------------------------------------------------------

    def _open_team(
        self,
        team_id: str,
        credits: int | None = None,
        pending_cap: int | None = None,
        keys: Iterable[str] = (),
    ) -> Team:
        cap = self.settings.default_pending_cap if pending_cap is None else pending_cap
        outcomes = OutcomeSequence(parse_outcomes(self.settings.outcomes))
        team = self.world.accounts.add(Team(team_id, cap, outcomes=outcomes))
        self.world.accounts.set_keys(team_id, keys)
        start = self.settings.default_credits if credits is None else credits
        self.world.ledger.open(team_id, start, self.now(team_id))
        self._changes.team(team_id)
        self._changes.ledger(team_id)
        return team

    def _open_configured(self, team_id: str) -> Team:
        config = next(t for t in self.settings.teams if t.id == team_id)
        team = self._open_team(team_id, config.credits, config.pending_cap, config.keys)
        if config.progression is not None:
            team.progression = parse_progression(config.progression)
        if config.outcomes is not None:
            team.outcomes = OutcomeSequence(parse_outcomes(config.outcomes))
        return team

    def _team(self, team_id: str) -> Team:
        """The team, opened (in open mode, by its key) the first time it keeps state."""
        team = self._world.accounts.get(team_id)
        if team is None:
            self.evictor.room_for_team(self.world, self._changes)
            team = self._open_team(team_id)
            self.evictor.opened(team_id)
        return team

    def authenticate(self, key: str | None) -> str:
        """The team id for an API key (in open mode an unlisted key names its own team).
        Nothing is created here: a team opens when a request first keeps state for it."""
        with self._lock:
            team_id = self._world.accounts.team_id_for(key or "")
            if team_id is None:
                kind = Unauthorized if key else MissingKey
                raise kind(_auth_message(key, self.profile), reason="auth")
            self.evictor.used(team_id)  # a team not opened yet is not tracked
            return team_id

    def _move(self, task: Task, status: Status, at: float, reason: str) -> None:
        """The one edge function: ledger and media side effects happen here, once."""
        previous = task.status
        task.move(status, at, reason)
        world = self._world
        world.tasks.moved(task, previous)
        self._changes.task(task)
        self.coverage.note("statuses", int(status))
        if previous is RUNNING and status is SUCCEEDED:
            world.ledger.capture(task.team_id, task.video_id, at)
            task.token = self._new_token()
            world.video_tokens[task.token] = task.video_id
            self._changes.ledger(task.team_id)
        elif previous is RUNNING:
            world.ledger.release(task.team_id, task.video_id, at)
            self._changes.ledger(task.team_id)
        elif status is DELETED:
            world.video_tokens.pop(task.token, None)
        self._announce(task, status)

    def _announce(self, task: Task, status: Status) -> None:
        """A final status is news for the team's webhook, if it has one: a delivery due
        now, sent outside the lock by `notifications.Notifications.deliver_due`."""
        team = self._world.accounts.get(task.team_id)
        if team is None or team.webhook_url is None or evicting(task):
            return
        now = self.clock.now()
        delivery = Delivery(self._new_id(), team.id, task.video_id, int(status),
                            team.webhook_url, task.trace_id, created_at=now, next_at=now)
        self.world.deliveries.add(delivery)
        self._changes.delivery(delivery)
        self.wake()

    def wake(self, at: float | None = None) -> None:
        """Something new is due (at `at`): the scheduler, when one runs, looks again."""

    def _evict_running(self, task: Task) -> None:
        """A running task about to be evicted ends first, so its hold is released."""
        self._move(task, DELETED, self.now(task.team_id), EVICTION)

    def _next_outcome(self, team: Team) -> Status:
        """The team's next outcome; its place in the sequence is state while it moves."""
        before = team.outcomes.taken
        outcome = team.outcomes.next()
        if team.outcomes.taken != before:
            self._changes.team(team.id)
        return outcome

    def _new_id(self) -> int:
        """The next id. Its high-water mark is not written with every create: a store
        keeps it whenever rows go (a reset) and takes the largest stored id on load."""
        return self.ids.next()


@lru_cache(maxsize=256)
def due_reason(progression: str) -> str:
    """The timeline reason of a task that fell due: one string per progression, shared
    by every task that had it (a load test keeps tens of thousands)."""
    return f"due ({progression})"


def with_size(task: Task) -> Task:
    """A finished video's byte size, rendered the first time someone asks (most tasks in a
    load test are never read after they finish, so rendering at the edge would be waste)."""
    if task.status is Status.SUCCEEDED and task.size is None:
        # Here, not at the top: the video writer is a dozen modules no start needs.
        from .media.video import render_video

        task.size = len(render_video(*render_args(task.video)))
    return task


def render_args(video: VideoSpec) -> tuple[int, int, float, bool, int]:
    return video.width, video.height, video.seconds, video.has_audio, video.seed


def _auth_message(key: str | None, profile: Profile) -> str:
    if not key:
        if not profile.bearer_keys:
            return "Missing API key: send 'API-KEY: <key>'"
        return "Missing API key: send 'Authorization: Bearer <key>' or 'API-KEY: <key>'"
    return "Invalid API key: this key belongs to no team"
