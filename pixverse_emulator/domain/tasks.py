"""Video tasks: which fall due when, and the indexes over them.

Nothing moves in the background: `TaskBook.due(team, now)` hands back what has fallen
due for one team, in due order. Each team has its own heap because each team can have
its own clock. A task itself (`Task`, `Status`, `VideoSpec`) is in `task.py`.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from .ages import Ages
from .task import (
    RUNNING,
    TRANSITIONS,
    Event,
    Status,
    Task,
    VideoSpec,
    shape_of,
    video_shape,
)

__all__ = ["TRANSITIONS", "Event", "Frozen", "Status", "Task", "TaskBook", "VideoSpec",
           "shape_of", "video_shape"]


Frozen = tuple[str, str, int, Any]  # (team, result token, status, record)
COMPACT_EVERY = 1024  # removals between two looks for stale index entries


class TaskBook:
    """All tasks by id, a due-time heap of the running ones, pending counts per team.

    A store that loads many finished tasks at start may hand them in frozen (`freeze_all`):
    an opaque record and the function that thaws it, so a restart reads a hundred
    thousand tasks without building one object each; a frozen task thaws the first time
    anything asks for it. Running tasks are always thawed: the heaps need them.
    """

    def __init__(self, thaw: Callable[[Any], Task] | None = None) -> None:
        self._tasks: dict[int, Task] = {}
        self._frozen: dict[int, Frozen] = {}  # id -> (team, token, status, record)
        self._thaw = thaw
        self._heaps: dict[str, list[tuple[float, int]]] = {}
        self._pending: Counter[str] = Counter()
        self._ages = Ages()
        self._removed = 0

    def __contains__(self, video_id: int) -> bool:
        return video_id in self._tasks or video_id in self._frozen

    def __len__(self) -> int:
        return len(self._tasks) + len(self._frozen)

    def get(self, video_id: int) -> Task | None:
        task = self._tasks.get(video_id)
        if task is None and video_id in self._frozen:
            task = self._thawed(video_id)
        return task

    def _thawed(self, video_id: int) -> Task:
        assert self._thaw is not None
        task = self._tasks[video_id] = self._thaw(self._frozen.pop(video_id)[3])
        return task

    def add(self, task: Task) -> None:
        """A new task, or a restored one at whatever status it had."""
        self._tasks[task.video_id] = task
        self._ages.add(task.team_id, task.video_id)
        if task.status is RUNNING:
            self._pending[task.team_id] += 1
            self.schedule(task)

    def freeze_all(self, frozen: dict[int, Frozen]) -> None:
        """Finished tasks as a store read them, by id: (team, result token, status,
        record), each thawed on first use. Their age order is rebuilt once all are in."""
        self._frozen.update(frozen)
        owners = [(i, t.team_id) for i, t in self._tasks.items()]
        self._ages.rebuild([*owners, *((i, f[0]) for i, f in self._frozen.items())])

    def newest(self, team_id: str | None = None) -> Iterator[Task]:
        """Tasks (of `team_id`, or of anyone) newest first, thawed as they come."""
        for video_id in self._ages.newest(team_id, self.__contains__):
            task = self.get(video_id)
            if task is not None:
                yield task

    def count(self, team_id: str) -> int:
        return self._ages.count[team_id]

    def oldest_finished(
        self, team_id: str | None = None, settle: Callable[[str], object] | None = None
    ) -> int | None:
        """The oldest task (of `team_id`, or of anyone) that is no longer running.
        `settle(team)` first applies what has fallen due for a running task's team:
        settling is lazy, so a task past its due time may not have moved yet."""

        if team_id is not None:
            if settle is not None:
                settle(team_id)
            if self._pending[team_id] >= self._ages.count[team_id]:
                return None  # all still running: nothing to find, so no scan at all
        return self._scan_finished(team_id, settle)

    def _scan_finished(self, team_id: str | None, settle: Callable[[str], object] | None
                       ) -> int | None:
        """`oldest_finished`'s scan. Apart: the closure's cells would cost every call."""
        settled = {team_id} if team_id is not None and settle is not None else set()

        def finished(video_id: int) -> bool:
            task = self._tasks.get(video_id)
            if (task is not None and task.status is RUNNING and settle is not None
                    and task.team_id not in settled):
                settled.add(task.team_id)  # once a scan: settling twice changes nothing
                settle(task.team_id)
            return task is None or task.status is not RUNNING  # frozen ones are done

        return self._ages.oldest(team_id, self.__contains__, finished)

    def to_evict(self, team_id: str | None, settle: Callable[[str], object] | None
                 ) -> Task | None:
        """The task an eviction takes: the oldest finished one (`oldest_finished`), else
        the oldest (of `team_id`, or of anyone) whatever its status; None: no task."""
        video_id = self.oldest_finished(team_id, settle)
        if video_id is None:
            # Without frozen tasks, the dict's own test (no Python call per id).
            alive = self.__contains__ if self._frozen else self._tasks.__contains__
            video_id = self._ages.first(team_id, alive)
        return None if video_id is None else self.get(video_id)

    def replace(self, task: Task) -> Task:
        """Put `task` in place of the one with its id (a shared store's newer copy);
        returns the one it replaced."""
        old = self.get(task.video_id)
        assert old is not None
        self._tasks[task.video_id] = task
        was, running = old.status is RUNNING, task.status is RUNNING
        self._pending[task.team_id] += running - was
        if running and (old.status is not RUNNING or old.due_at != task.due_at):
            self.schedule(task)  # the old entry (another time) goes stale
        return old

    def remove(self, video_id: int) -> str:
        """Forget one task (finished, unless a shared store's replica drops what another
        process evicted); returns its result URL token."""
        task = self._tasks.pop(video_id, None)
        if task is not None:
            team_id, token = task.team_id, task.token
            if task.status is RUNNING:
                self._pending[team_id] -= 1
        else:
            team_id, token, _, _ = self._frozen.pop(video_id)
        self._ages.count[team_id] -= 1
        self._now_and_then_compact(1)
        return token

    def _now_and_then_compact(self, removed: int) -> None:
        """Every COMPACT_EVERY removals, not on each one."""
        before, self._removed = self._removed, self._removed + removed
        if before // COMPACT_EVERY != self._removed // COMPACT_EVERY:
            self._compact()

    def _compact(self) -> None:
        self._ages.compact(self.__contains__)
        self._compact_heaps()

    def _compact_heaps(self) -> None:
        """Drop the due-heap entries of tasks gone or no longer waiting once they are
        most of a heap: under a task limit every create evicts one, and each entry would
        otherwise stay until its due time, deepening every push and pop until then."""
        tasks = self._tasks
        for team_id, heap in self._heaps.items():
            if len(heap) > 2 * self._pending[team_id] + 64:
                # Inline, not a call per entry: a heap holds as many as the team's tasks.
                heap[:] = [(due, video_id) for due, video_id in heap
                           if (task := tasks.get(video_id)) is not None
                           and task.status is RUNNING and task.due_at == due]
                heapq.heapify(heap)

    def all(self) -> list[Task]:
        for video_id in list(self._frozen):
            self._thawed(video_id)
        return list(self._tasks.values())

    def status_counts(self) -> Counter[int]:
        """How many tasks are at each status (frozen ones counted without thawing)."""
        counts: Counter[int] = Counter(int(t.status) for t in self._tasks.values())
        counts.update(status for _, _, status, _ in self._frozen.values())
        return counts

    def drop_all(self) -> tuple[dict[int, Task], dict[int, Frozen]]:
        """Hand over every task (to be let go of elsewhere); this book is empty after."""
        dropped = self._tasks, self._frozen
        self._tasks, self._frozen = {}, {}
        return dropped

    def thawed(self) -> list[Task]:
        return list(self._tasks.values())

    def frozen(self) -> list[Any]:
        """The records of the tasks nobody has asked for since they were frozen."""
        return [record for _, _, _, record in self._frozen.values()]

    def schedule(self, task: Task) -> None:
        if task.due_at is not None:
            heap = self._heaps.get(task.team_id)
            if heap is None:  # not setdefault: that makes a list on every call
                heap = self._heaps[task.team_id] = []
            heapq.heappush(heap, (task.due_at, task.video_id))

    def pending(self, team_id: str) -> int:
        return self._pending[team_id]

    def moved(self, task: Task, previous: Status) -> None:
        """Keep the pending count right after `task` left `previous`."""
        if previous is RUNNING:
            self._pending[task.team_id] -= 1

    def next_due(self) -> list[tuple[str, float]]:
        """Each waiting team's earliest due time (by its own clock)."""
        return [(team, heap[0][0]) for team, heap in self._heaps.items() if heap]

    def teams_waiting(self) -> list[str]:
        """Teams with a task due by time."""
        return [team for team, heap in self._heaps.items() if heap]

    def due(self, team_id: str, now: float) -> list[Task]:
        """Pop the team's running tasks due at or before `now`, earliest first."""
        ready: list[Task] = []
        heap = self._heaps.get(team_id, [])
        while heap and heap[0][0] <= now:
            due_at, video_id = heapq.heappop(heap)
            task = self._tasks.get(video_id)
            # Entries go stale when a task is settled by hand or rescheduled; one
            # rescheduled to the time it had is in the heap twice, and due once.
            if (task and task.status is RUNNING and task.due_at == due_at
                    and not (ready and ready[-1] is task)):
                ready.append(task)
        return ready

    def of_team(self, team_id: str) -> list[Task]:
        for video_id in [i for i, (team, _, _, _) in self._frozen.items() if team == team_id]:
            self._thawed(video_id)
        return [t for t in self._tasks.values() if t.team_id == team_id]

    def remove_team(self, team_id: str) -> list[str]:
        """Forget the team's tasks; returns their result URL tokens."""
        tokens = [token for team, token, _, _ in self._frozen.values() if team == team_id]
        self._frozen = {i: f for i, f in self._frozen.items() if f[0] != team_id}
        removed = [t for t in self._tasks.values() if t.team_id == team_id]
        for task in removed:
            del self._tasks[task.video_id]
            tokens.append(task.token)
        self._pending.pop(team_id, None)
        self._heaps.pop(team_id, None)
        self._ages.drop_team(team_id)
        self._now_and_then_compact(len(tokens))
        return tokens
