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


def draw(rng: random.Random, low: int, high: int) -> int:
    """`rng.randint(low, high)`: the same number from the same state, drawn as CPython's
    `Random` draws it (getrandbits of the width's bit length until one fits), without
    randint's and randrange's checks of their arguments. A create draws twice."""
    width = high - low + 1
    bits = width.bit_length()
    getrandbits = rng.getrandbits
    found = getrandbits(bits)
    while found >= width:
        found = getrandbits(bits)
    return low + found


def run_random(seed: int | None) -> random.Random:
    """The emulator's random source: seeded when a run must be repeatable."""
    return random.Random(secrets.randbits(64) if seed is None else seed)


class IdSource:
    def __init__(self, rng: random.Random, high: int | None = None) -> None:
        self._rng = rng
        self.high = rng.randrange(ID_LOW, START_HIGH) if high is None else high

    def next(self) -> int:
        self.high += draw(self._rng, 1, MAX_STEP)  # randint(1, MAX_STEP)
        if self.high >= ID_HIGH:
            raise OverflowError("the id space is used up")
        return self.high

    def keep_above(self, high: int) -> None:
        """After a restore: never go back below ids already handed out."""
        self.high = max(self.high, high)
