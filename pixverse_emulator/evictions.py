"""Bounded growth: what the emulator lets go of once a limit is reached, oldest first.

| setting                     | beyond it, before the new one goes in ...                 |
|-----------------------------|-----------------------------------------------------------|
| `max_tasks_per_team`        | the team's oldest finished task (status 1, 6, 7 or 8);     |
|                             | if all are running, its oldest running one                 |
| `max_tasks`                 | the oldest finished task of any team (else running one)    |
| `max_upload_bytes_per_team` | the team's oldest uploads, until the new one fits (one by  |
|                             | URL counts its URL's length and 512 bytes)                 |
| `max_teams` (open mode)     | the least recently used team a key opened by itself (no    |
|                             | keys of its own, not configured, not put by the control    |
|                             | plane) with nothing running; if the 16 least recent all    |
|                             | have tasks running, the least recent, tasks and all        |

Tasks past their due time are settled before the oldest finished one is looked for. A
running task that goes is first moved to status 6 (reason "eviction"), which releases
its hold. An evicted task's URL answers 404 from then on; its ledger entries stay. Each
eviction is journaled (`route` "eviction", `reason` the limit). Recency of teams is kept
in memory only: after a restart, every team counts as least recently used.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from itertools import islice

from .domain.accounts import Team
from .domain.journal import Journal, JournalEntry
from .domain.task import RUNNING
from .domain.tasks import Task
from .domain.uploads import upload_id
from .domain.world import World
from .errors import PayloadTooLarge
from .settings import Settings
from .store.base import Changes

EVICTION_ROUTE = "eviction"  # the journal's route name for evictions
IDLE_LOOKAHEAD = 16  # least recent teams max_teams looks through for an idle one


class Evictor:
    """Applies the limits. `settle(team)` applies what has fallen due for a team (tasks
    settle lazily, so one past its due time may still read as running); `stop(task)`
    ends a running task through the one edge function, releasing its hold."""

    def __init__(
        self,
        settings: Settings,
        journal: Journal,
        now: Callable[[], float],
        free_files: Callable[[Iterable[str]], None],
        settle: Callable[[str], object],
        stop: Callable[[Task], None],
    ) -> None:
        self.settings = settings
        self.journal = journal
        self.now = now
        self.free_files = free_files  # memory mode frees at once; a store after commit
        self.settle = settle
        self.stop = stop
        self.configured = frozenset(team.id for team in settings.teams)
        # Teams a key opened by itself, least recently used first: the only ones
        # max_teams may evict. Entries of teams gone or since pinned are skipped (and
        # dropped) when they reach the front.
        self.recency: OrderedDict[str, None] = OrderedDict()

    def evictable(self, team: Team) -> bool:
        return not team.keys and not team.pinned and team.id not in self.configured

    def opened(self, team_id: str) -> None:
        """A key opened this team by itself: the most recently used from now on."""
        self.recency[team_id] = None

    def used(self, team_id: str) -> None:
        """Only teams already tracked move: a key that names no team adds nothing."""
        if team_id in self.recency:
            self.recency.move_to_end(team_id)

    def forget(self, team_id: str) -> None:
        self.recency.pop(team_id, None)

    def rebuild(self, world: World) -> None:
        """For a world loaded or restored: its evictable teams, all least recently used."""
        self.recency = OrderedDict.fromkeys(
            team.id for team in world.accounts.all() if self.evictable(team))

    def room_for_task(self, world: World, changes: Changes, team_id: str) -> None:
        """Room for one more task of `team_id`, whose due tasks the caller settled in
        this unit of work (a create settles its team first); other teams' are settled
        here as their tasks come up."""
        limits, tasks = self.settings, world.tasks
        # Each eviction takes one task (of the team, or of anyone) until one more fits.
        for _ in range(tasks.count(team_id) - limits.max_tasks_per_team + 1):
            if not self._evict_task(world, changes, team_id, "max_tasks_per_team", None):
                break
        for _ in range(len(tasks) - limits.max_tasks + 1):
            if not self._evict_task(world, changes, None, "max_tasks", self.settle):
                break

    def _evict_task(self, world: World, changes: Changes, team_id: str | None, limit: str,
                    settle: Callable[[str], object] | None) -> bool:
        """The oldest finished task goes; when every task left is running (stuck ones
        never finish), the oldest running one is stopped and goes."""
        task = world.tasks.to_evict(team_id, settle)
        if task is None:
            return False
        video_id = task.video_id
        if task.status is RUNNING:
            self.stop(task)
        world.remove_task(task)
        changes.evict_task(video_id)
        self._journal(f"/_emulator/tasks/{video_id}", task.team_id, limit, video_id)
        return True

    def room_for_upload(self, world: World, changes: Changes, team_id: str, size: int) -> None:
        """Evict the team's oldest uploads until `size` more bytes fit; an upload larger
        than the whole allowance is refused."""
        limit = self.settings.max_upload_bytes_per_team
        if size > limit:
            raise PayloadTooLarge(
                f"Upload of {size} bytes is over the team's allowance of {limit} bytes "
                "(max_upload_bytes_per_team)", reason="max_upload_bytes_per_team")
        while world.uploads.bytes[team_id] + size > limit:
            upload = world.uploads.oldest(team_id)
            if upload is None:
                break
            token = world.uploads.remove(upload)
            changes.evict_upload(upload_id(upload), token)
            self.free_files([token] if token else [])
            kind = "images" if hasattr(upload, "img_id") else "media"
            self._journal(f"/_emulator/{kind}/{upload_id(upload)}", team_id,
                          "max_upload_bytes_per_team")

    def room_for_team(self, world: World, changes: Changes) -> None:
        """Before a key opens a new team in open mode: the least recently used team a
        key opened by itself with nothing running goes (its due tasks settled first).
        Only the IDLE_LOOKAHEAD least recent are looked at, so a request costs O(1);
        when every one of those still has a task running (stuck ones never finish),
        the least recently used goes anyway, running tasks and all, so the number of
        teams stays bounded."""
        if world.accounts.mode != "open" or len(world.accounts) < self.settings.max_teams:
            return
        candidates = self._least_recent(world, IDLE_LOOKAHEAD)
        if not candidates:
            return
        idle = [team_id for team_id in candidates if self._idle(world, team_id)]
        victim = idle[0] if idle else candidates[0]
        del self.recency[victim]  # its running tasks and their holds go with its ledger
        tokens = world.remove_team(victim)
        changes.drop_team(victim, tokens)
        self.free_files(tokens)
        self._journal(f"/_emulator/teams/{victim}", victim, "max_teams")

    def _least_recent(self, world: World, count: int) -> list[str]:
        """Up to `count` evictable teams from the front of the recency order; entries of
        teams gone or since pinned are dropped on the way (each leaves once)."""
        found: list[str] = []
        for team_id in list(islice(self.recency, count * 2)):
            team = world.accounts.get(team_id)
            if team is None or not self.evictable(team):
                del self.recency[team_id]
            elif len(found) < count:
                found.append(team_id)
        return found

    def _idle(self, world: World, team_id: str) -> bool:
        self.settle(team_id)
        return world.tasks.pending(team_id) == 0

    def _journal(self, path: str, team_id: str, limit: str, video_id: int | None = None) -> None:
        self.journal.add(JournalEntry(0, self.now(), "EVICT", path, EVICTION_ROUTE, 0, None,
                                      team_id, "", limit, video_id))
