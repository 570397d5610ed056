"""API keys -> teams. `open` auth: any non-empty key works (an unlisted key belongs to
the team whose id equals the key); `strict` auth: only configured keys."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from ..errors import Conflict
from .policies import OutcomeSequence, Progression
from .tasks import Status

AuthMode = Literal["open", "strict"]


@dataclass
class Team:
    id: str
    pending_cap: int
    keys: set[str] = field(default_factory=set)
    progression: Progression | None = None  # None: the global setting
    outcomes: OutcomeSequence = field(
        default_factory=lambda: OutcomeSequence([Status.SUCCEEDED])
    )


class Accounts:
    def __init__(self, mode: AuthMode) -> None:
        self.mode = mode
        self._teams: dict[str, Team] = {}
        self._owner_of_key: dict[str, str] = {}

    def get(self, team_id: str) -> Team | None:
        return self._teams.get(team_id)

    def add(self, team: Team) -> Team:
        self._teams[team.id] = team
        self.set_keys(team.id, team.keys)
        return team

    def remove(self, team_id: str) -> None:
        team = self._teams.pop(team_id, None)
        for key in team.keys if team else ():
            self._owner_of_key.pop(key, None)

    def team_id_for(self, key: str) -> str | None:
        """The team a key belongs to, or None when the key is refused."""
        if not key:
            return None
        owner = self._owner_of_key.get(key)
        if owner is not None or self.mode == "strict":
            return owner
        return key

    def set_keys(self, team_id: str, keys: Iterable[str]) -> None:
        team = self._teams[team_id]
        wanted = set(keys)
        for key in wanted:
            owner = self._owner_of_key.get(key)
            if owner is not None and owner != team_id:
                raise Conflict(f"key {key!r} already belongs to team {owner!r}", reason="keys")
        for key in team.keys - wanted:
            self._owner_of_key.pop(key, None)
        for key in wanted:
            self._owner_of_key[key] = team_id
        team.keys = wanted

    def all(self) -> list[Team]:
        return list(self._teams.values())
