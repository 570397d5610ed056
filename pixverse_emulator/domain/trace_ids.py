"""`TraceIds`: (team, `Ai-trace-id`) -> the video id that trace id created.

A mapping keyed by (team, trace id) pairs, kept as one dict per team: every task with a
trace id has an entry here for as long as it is kept, and a pair per entry (a tuple, and
over HTTP the team's name as each request spelled it) was a sixth of what a task cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping

Key = tuple[str, str]  # (team, trace id)


class TraceIds(MutableMapping[Key, int]):
    def __init__(self) -> None:
        self._teams: dict[str, dict[str, int]] = {}

    def find(self, team_id: str, trace_id: str) -> int | None:
        traces = self._teams.get(team_id)
        return None if traces is None else traces.get(trace_id)

    def add_all(self, found: Iterable[tuple[str, str, int]]) -> None:
        """(team, trace id, video id) triples: a store's load."""
        teams = self._teams
        for team_id, trace_id, video_id in found:
            traces = teams.get(team_id)
            if traces is None:
                traces = teams[team_id] = {}
            traces[trace_id] = video_id

    def of_team(self, team_id: str) -> dict[str, int]:
        return dict(self._teams.get(team_id, {}))

    def drop_team(self, team_id: str) -> None:
        self._teams.pop(team_id, None)

    def parts(self) -> list[dict[str, int]]:
        """The per-team dicts, for letting go of a replaced world in small steps."""
        return list(self._teams.values())

    def __getitem__(self, key: Key) -> int:
        team_id, trace_id = key
        return self._teams[team_id][trace_id]

    def __setitem__(self, key: Key, video_id: int) -> None:
        team_id, trace_id = key
        traces = self._teams.get(team_id)
        if traces is None:
            traces = self._teams[team_id] = {}
        traces[trace_id] = video_id

    def __delitem__(self, key: Key) -> None:
        team_id, trace_id = key
        traces = self._teams[team_id]
        del traces[trace_id]
        if not traces:
            del self._teams[team_id]

    def __iter__(self) -> Iterator[Key]:
        for team_id, traces in self._teams.items():
            for trace_id in traces:
                yield team_id, trace_id

    def __len__(self) -> int:
        return sum(map(len, self._teams.values()))

    def __repr__(self) -> str:
        return f"TraceIds({dict(self)!r})"
