"""API keys -> teams. `open` auth: any non-empty key works (an unlisted key belongs to
the team whose id equals the key, unless that team has keys of its own); `strict`
auth: only configured keys.

Keys are kept as hashes (`key_hash`), never in clear: a team shows, stores and exports
only the hashes of its keys, and a key presented on a request is hashed to find its
team. The hash is unsalted on purpose: a snapshot restored on another server must
still recognise its keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from ..errors import Conflict
from .policies import OutcomeSequence, Progression
from .tasks import Status

AuthMode = Literal["open", "strict"]
HASH_PREFIX = "sha256:"


KEY_MEMO_MAX = 256  # longer keys are hashed each time: the memo stays small


def key_hash(key: str) -> str:
    """What is kept of a key: enough to recognise it, nothing to present as it.
    Memoised for the keys presented lately (a client sends its key on every request):
    held in this process only, never shown, stored or exported."""
    return _memo_hash(key) if len(key) <= KEY_MEMO_MAX else _hash(key)


def _hash(key: str) -> str:
    return HASH_PREFIX + hashlib.sha256(b"pixverse-emulator key\0" + key.encode()).hexdigest()


_memo_hash = lru_cache(maxsize=256)(_hash)


@dataclass
class Team:
    id: str
    pending_cap: int
    keys: set[str] = field(default_factory=set)  # key hashes
    progression: Progression | None = None  # None: the global setting
    outcomes: OutcomeSequence = field(
        default_factory=lambda: OutcomeSequence([Status.SUCCEEDED])
    )
    pinned: bool = False  # never evicted by max_teams
    webhook_url: str | None = None  # hears of each task's final status (webhooks.py)
    webhook_secret: str | None = None  # signs those deliveries


class Accounts:
    def __init__(self, mode: AuthMode) -> None:
        self.mode = mode
        self._teams: dict[str, Team] = {}
        self._owner_of_hash: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._teams)

    def get(self, team_id: str) -> Team | None:
        return self._teams.get(team_id)

    def add(self, team: Team) -> Team:
        """A team whose `keys` are hashes already (new teams get them from set_keys)."""
        self._claim(team.id, team.keys)
        self._teams[team.id] = team
        for hashed in team.keys:
            self._owner_of_hash[hashed] = team.id
        return team

    def remove(self, team_id: str) -> None:
        team = self._teams.pop(team_id, None)
        for hashed in team.keys if team else ():
            self._owner_of_hash.pop(hashed, None)

    def team_id_for(self, key: str) -> str | None:
        """The team a key belongs to, or None when the key is refused."""
        if not key:
            return None
        owner = self._owner_of_hash.get(key_hash(key))
        if owner is not None or self.mode == "strict":
            return owner
        named = self._teams.get(key)
        if named is not None and named.keys:
            return None  # a team's id is no key to it once it has keys of its own
        return key

    def set_keys(self, team_id: str, keys: Iterable[str]) -> None:
        """Give a team exactly these keys (in clear; kept as hashes)."""
        team = self._teams[team_id]
        wanted = {key_hash(key) for key in keys}
        self._claim(team_id, wanted)
        for hashed in team.keys - wanted:
            self._owner_of_hash.pop(hashed, None)
        for hashed in wanted:
            self._owner_of_hash[hashed] = team_id
        team.keys = wanted

    def check_keys(self, team_id: str, keys: Iterable[str]) -> None:
        """Raise Conflict if another team holds one of these keys (in clear)."""
        self._claim(team_id, {key_hash(key) for key in keys})

    def _claim(self, team_id: str, hashes: Iterable[str]) -> None:
        for hashed in hashes:
            owner = self._owner_of_hash.get(hashed)
            if owner is not None and owner != team_id:
                raise Conflict(f"one of the keys given for team {team_id!r} already belongs "
                               f"to team {owner!r}", reason="keys")

    def all(self) -> list[Team]:
        return list(self._teams.values())
