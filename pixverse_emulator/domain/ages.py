"""`Ages`: task ids in the order they were created, per team and overall, so eviction
can find the oldest finished task of a team (or of everyone) without sorting.

Ids only grow, so creation order is id order. Entries of tasks removed some other way
(a team's reset, an eviction) stay in the queues until they reach the front, where they
are dropped: the queues cost one append per task and amortised O(1) per removal.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

LOOKAHEAD = 256  # oldest tasks an eviction looks through for a finished one


class Ages:
    def __init__(self) -> None:
        self._everyone: deque[int] = deque()
        self._teams: dict[str, deque[int]] = {}
        self.count: Counter[str] = Counter()  # tasks each team has now

    def add(self, team_id: str, video_id: int) -> None:
        self._everyone.append(video_id)
        queue = self._teams.get(team_id)
        if queue is None:  # not setdefault: that makes a deque on every call
            queue = self._teams[team_id] = deque()
        queue.append(video_id)
        self.count[team_id] += 1

    def compact(self, alive: Callable[[int], bool]) -> None:
        """Drop the entries of removed ids once they are half a queue: a long run that
        evicts by team only would otherwise grow the overall queue forever."""
        live = sum(self.count.values())
        if len(self._everyone) > 2 * live + 64:
            self._everyone = deque(i for i in self._everyone if alive(i))
        for team_id, queue in self._teams.items():
            if len(queue) > 2 * self.count[team_id] + 64:
                self._teams[team_id] = deque(i for i in queue if alive(i))

    def rebuild(self, owners: Iterable[tuple[int, str]]) -> None:
        """From (id, team) pairs in any order (a store's load)."""
        self.__init__()  # type: ignore[misc]
        for video_id, team_id in sorted(owners):
            self.add(team_id, video_id)

    def drop_team(self, team_id: str) -> None:
        self._teams.pop(team_id, None)
        self.count.pop(team_id, None)

    def newest(self, team_id: str | None, alive: Callable[[int], bool]) -> Iterator[int]:
        """Ids of `team_id` (None: of anyone), newest first."""
        queue = self._everyone if team_id is None else self._teams.get(team_id, deque())
        return (video_id for video_id in reversed(list(queue)) if alive(video_id))

    def first(self, team_id: str | None, alive: Callable[[int], bool]) -> int | None:
        """The oldest id of `team_id` (None: of anyone) still alive."""
        queue = self._everyone if team_id is None else self._teams.get(team_id)
        while queue:
            video_id = queue[0]
            if alive(video_id):
                return video_id
            queue.popleft()
        return None

    def oldest(
        self, team_id: str | None, alive: Callable[[int], bool], finished: Callable[[int], bool]
    ) -> int | None:
        """The oldest id of `team_id` (None: of anyone) that is alive and finished, among
        the LOOKAHEAD oldest: running tasks ahead of it are few under a pending cap, and
        a huge cap must not make every create scan them all (None: none finished there)."""
        queue = self._everyone if team_id is None else self._teams.get(team_id, deque())
        while queue and not alive(queue[0]):
            queue.popleft()
        for video_id in islice(queue, LOOKAHEAD):
            if alive(video_id) and finished(video_id):
                return video_id
        return None
