"""Ids for tasks and uploads: 15-digit numbers like the real service's, never reused.

Each id is the last one plus a random step, so ids look random to a client yet only
grow: the high-water mark is all it takes to never hand one out twice. A data folder
keeps the mark across restarts, resets and restores (a restored older snapshot cannot
take it back). Without a `seed` setting each fresh run starts somewhere else; with one,
a fresh run is repeatable.
"""

from __future__ import annotations

import random
import secrets

ID_LOW = 10**14  # 15 digits, like the real ones
START_HIGH = 9 * 10**14  # fresh runs start below this: room for ~10^13 more ids
ID_HIGH = 2**53  # every id stays exact in JavaScript
MAX_STEP = 1000


def run_random(seed: int | None) -> random.Random:
    """The emulator's random source: seeded when a run must be repeatable."""
    return random.Random(secrets.randbits(64) if seed is None else seed)


class IdSource:
    def __init__(self, rng: random.Random, high: int | None = None) -> None:
        self._rng = rng
        self.high = rng.randrange(ID_LOW, START_HIGH) if high is None else high

    def next(self) -> int:
        self.high += self._rng.randrange(1, MAX_STEP + 1)  # randint(1, MAX_STEP), a call less
        if self.high >= ID_HIGH:
            raise OverflowError("the id space is used up")
        return self.high

    def keep_above(self, high: int) -> None:
        """After a restore: never go back below ids already handed out."""
        self.high = max(self.high, high)
