"""The credit ledger: append-only entries per team, and balances that never go negative.

A create holds its price (available -> held); success captures it (held -> spent,
the billing record); deletion, moderation and failure release it (held -> available).
Invariant per team: available + held + spent == granted, every term >= 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from ..errors import InsufficientCredits

EntryKind = Literal["grant", "hold", "capture", "release"]


class Entry(NamedTuple):  # a tuple: a data folder loads hundreds of thousands at start
    seq: int
    time: float
    kind: EntryKind
    amount: int
    video_id: int | None
    balance: int  # available credits after this entry


@dataclass
class Account:
    """One team's balances and entries. A store may leave the entries where they are
    (`loaded` None, `load` to fetch them) until something reads or appends one: a
    restart then reads balances, not every entry ever written."""

    team_id: str
    available: int = 0
    held: int = 0
    spent: int = 0
    granted: int = 0
    holds: dict[int, int] = field(default_factory=dict)
    loaded: list[Entry] | None = field(default_factory=list)
    load: Callable[[], list[Entry]] | None = None

    @property
    def entries(self) -> list[Entry]:
        if self.loaded is None:
            assert self.load is not None
            self.loaded, self.load = self.load(), None
        return self.loaded

    def _append(self, time: float, kind: EntryKind, amount: int, video_id: int | None) -> None:
        seq = len(self.entries) + 1
        self.entries.append(Entry(seq, time, kind, amount, video_id, self.available))


class Ledger:
    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}

    def account(self, team_id: str) -> Account:
        return self._accounts[team_id]

    def __contains__(self, team_id: str) -> bool:
        return team_id in self._accounts

    def open(self, team_id: str, credits: int, at: float) -> Account:
        account = self._accounts[team_id] = Account(team_id)
        self.set_available(team_id, credits, at)
        return account

    def close(self, team_id: str) -> None:
        self._accounts.pop(team_id, None)

    def restore(self, account: Account) -> None:
        """Put back an account as it was saved (its holds come from its running tasks)."""
        self._accounts[account.team_id] = account

    def all(self) -> list[Account]:
        return list(self._accounts.values())

    def set_available(self, team_id: str, credits: int, at: float) -> None:
        """Set the available balance, recorded as a grant of the difference."""
        if credits < 0:
            raise ValueError("credits must be >= 0")
        account = self._accounts[team_id]
        delta = credits - account.available
        account.available = credits
        account.granted += delta
        account._append(at, "grant", delta, None)

    def check_hold(self, team_id: str, amount: int) -> None:
        """Raise InsufficientCredits unless the team can pay `amount` now."""
        account = self._accounts[team_id]
        if amount > account.available:
            raise InsufficientCredits(
                f"Insufficient balance: this task costs {amount} credits and the team has "
                f"{account.available} available",
                reason="balance",
            )

    def hold(self, team_id: str, video_id: int, amount: int, at: float) -> None:
        self.check_hold(team_id, amount)
        account = self._accounts[team_id]
        account.available -= amount
        account.held += amount
        account.holds[video_id] = amount
        account._append(at, "hold", amount, video_id)

    def capture(self, team_id: str, video_id: int, at: float) -> None:
        account = self._accounts[team_id]
        amount = account.holds.pop(video_id)
        account.held -= amount
        account.spent += amount
        account._append(at, "capture", amount, video_id)

    def release(self, team_id: str, video_id: int, at: float) -> None:
        account = self._accounts[team_id]
        amount = account.holds.pop(video_id)
        account.held -= amount
        account.available += amount
        account._append(at, "release", amount, video_id)
