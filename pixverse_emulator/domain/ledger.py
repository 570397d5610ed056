"""The credit ledger: append-only entries per team, and balances that never go negative.

A create holds its price (available -> held); success captures it (held -> spent,
the billing record); deletion, moderation and failure release it (held -> available).
Invariant per team: available + held + spent == granted, every term >= 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Literal, NamedTuple, Protocol

from ..errors import InsufficientCredits

EntryKind = Literal["grant", "hold", "capture", "release"]
Pool = Literal["monthly", "package"]


class Entry(NamedTuple):  # a tuple: a data folder loads hundreds of thousands at start
    seq: int
    time: float
    kind: EntryKind
    amount: int
    video_id: int | None
    balance: int  # available credits after this entry (both pools)
    pool: Pool = "monthly"  # which credits it moved (PixVerse's monthly or package ones)


class Spill(Protocol):
    """Where a team's older ledger entries go while it runs (memory mode: a file in its
    temp folder): RAM holds only the newest ones, so endless creates stay flat."""

    def append(self, team_id: str, entries: list[Entry]) -> None: ...

    def read(self, team_id: str) -> list[Entry]: ...

    def forget(self, team_id: str) -> None: ...


RECENT_MAX = 1024  # entries a team keeps in RAM before the older half spills


@dataclass
class Account:
    """One team's balances and entries. `recent` are the newest entries in memory;
    `older` (when set) reads the ones before them from wherever they went: a store's
    file, or a spill. A restart so reads balances, not every entry ever written, and a
    long run keeps only the newest entries in RAM."""

    team_id: str
    available: int = 0
    held: int = 0
    spent: int = 0
    granted: int = 0
    holds: dict[int, int] = field(default_factory=dict)
    package: int = 0  # the part of `available` that is package credits
    hold_pools: dict[int, Pool] = field(default_factory=dict)  # holds drawn from package
    recent: list[Entry] = field(default_factory=list)
    count: int = 0  # entries in all: the last one's seq
    older: Callable[[], list[Entry]] | None = None

    @property
    def entries(self) -> list[Entry]:
        """Every entry, oldest first."""
        return [*(self.older() if self.older else ()), *self.recent]

    def since(self, seq: int) -> list[Entry]:
        """The entries after number `seq` (those are always in `recent`)."""
        first = self.count - len(self.recent) + 1
        assert seq + 1 >= first, "asked for entries that left memory"
        return self.recent[seq + 1 - first:]

    def forget_through(self, seq: int, older: Callable[[], list[Entry]]) -> None:
        """Entries up to `seq` are kept elsewhere now (`older` reads them)."""
        first = self.count - len(self.recent) + 1
        self.recent = self.recent[max(0, seq + 1 - first):]
        self.older = older

    @property
    def monthly(self) -> int:
        return self.available - self.package

    def _append(self, time: float, kind: EntryKind, amount: int, video_id: int | None,
                pool: Pool = "monthly") -> int:
        """Add an entry; returns how many are in memory now."""
        self.count = count = self.count + 1
        recent = self.recent
        # tuple.__new__, not Entry(...): NamedTuple's keyword-ready __new__ costs more
        recent.append(tuple.__new__(Entry, (count, time, kind, amount, video_id,
                                            self.available, pool)))
        return len(recent)

    def replay(self, entry: Entry) -> None:
        """Apply an entry another process wrote (a shared store): the same moves as the
        `Ledger` method that made it, read off the entry itself."""
        kind, amount, video_id, package = entry.kind, entry.amount, entry.video_id, \
            entry.pool == "package"
        if kind == "grant":
            self.available += amount
            self.granted += amount
            self.package += amount if package else 0
        elif kind == "hold":
            assert video_id is not None
            self.available -= amount
            self.held += amount
            self.holds[video_id] = amount
            if package:
                self.package -= amount
                self.hold_pools[video_id] = "package"
        else:  # capture or release: the hold ends
            self.holds.pop(video_id or 0, None)
            self.hold_pools.pop(video_id or 0, None)
            self.held -= amount
            if kind == "capture":
                self.spent += amount
            else:
                self.available += amount
                self.package += amount if package else 0
        if entry.balance != self.available or entry.seq != self.count + 1:
            raise ValueError(f"ledger of {self.team_id}: entry {entry.seq} does not follow "
                             f"entry {self.count} (balance {self.available})")
        self.count = entry.seq
        self.recent.append(entry)

    def pool_for(self, amount: int) -> Pool | None:
        """Where a hold of `amount` comes from: monthly credits first, else package
        credits; one pool pays the whole price (None: neither can)."""
        if amount <= self.available - self.package:  # the monthly credits
            return "monthly"
        if amount <= self.package:
            return "package"
        return None


class Ledger:
    def __init__(self, spill: Spill | None = None) -> None:
        self._accounts: dict[str, Account] = {}
        self.spill = spill

    def _spill_if_long(self, account: Account, in_memory: int) -> None:
        """`in_memory`: `account`'s entries in memory (what `Account._append` returns)."""
        if in_memory <= RECENT_MAX or self.spill is None:
            return
        half = len(account.recent) // 2
        self.spill.append(account.team_id, account.recent[:half])
        account.recent = account.recent[half:]
        account.older = partial(self.spill.read, account.team_id)

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
        if self.spill is not None:
            self.spill.forget(team_id)

    def restore(self, account: Account) -> None:
        """Put back an account as it was saved (its holds come from its running tasks)."""
        self._accounts[account.team_id] = account

    def all(self) -> list[Account]:
        return list(self._accounts.values())

    def set_available(self, team_id: str, credits: int, at: float) -> None:
        """Set the monthly balance (all that is available, without package credits),
        recorded as a grant of the difference."""
        if credits < 0:
            raise ValueError("credits must be >= 0")
        account = self._accounts[team_id]
        delta = credits - account.monthly
        account.available += delta
        account.granted += delta
        self._spill_if_long(account, account._append(at, "grant", delta, None))

    def set_package(self, team_id: str, credits: int, at: float) -> None:
        """Set the package balance, recorded as a package grant of the difference."""
        if credits < 0:
            raise ValueError("credits must be >= 0")
        account = self._accounts[team_id]
        delta = credits - account.package
        account.package = credits
        account.available += delta
        account.granted += delta
        self._spill_if_long(account, account._append(at, "grant", delta, None, "package"))

    def check_hold(self, team_id: str, amount: int) -> None:
        """Raise InsufficientCredits unless the team can pay `amount` now."""
        account = self._accounts[team_id]
        if account.pool_for(amount) is None:
            raise _insufficient(account, amount)

    def hold(self, team_id: str, video_id: int, amount: int, at: float) -> None:
        account = self._accounts[team_id]
        pool = account.pool_for(amount)
        if pool is None:
            raise _insufficient(account, amount)
        account.available -= amount
        if pool == "package":
            account.package -= amount
            account.hold_pools[video_id] = pool
        account.held += amount
        account.holds[video_id] = amount
        self._spill_if_long(account, account._append(at, "hold", amount, video_id, pool))

    def capture(self, team_id: str, video_id: int, at: float) -> None:
        account = self._accounts[team_id]
        amount = account.holds.pop(video_id)
        pool = account.hold_pools.pop(video_id, "monthly")
        account.held -= amount
        account.spent += amount
        self._spill_if_long(account, account._append(at, "capture", amount, video_id, pool))

    def release(self, team_id: str, video_id: int, at: float) -> None:
        account = self._accounts[team_id]
        amount = account.holds.pop(video_id)
        pool = account.hold_pools.pop(video_id, "monthly")
        account.held -= amount
        account.available += amount
        if pool == "package":
            account.package += amount
        self._spill_if_long(account, account._append(at, "release", amount, video_id, pool))


def _insufficient(account: Account, amount: int) -> InsufficientCredits:
    held = (f"{account.available} available" if not account.package else
            f"{account.monthly} monthly and {account.package} package credits, "
            "and one of them must cover it")
    return InsufficientCredits(
        f"Insufficient balance: this task costs {amount} credits and the team has {held}",
        reason="balance",
    )
