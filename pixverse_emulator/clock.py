"""Time as an injected value: the only module that reads the wall clock.

Every state change in the emulator is stamped by `Clock.now()`; tests swap in a
`ManualClock` and move time with `advance()` instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal, Protocol

ClockMode = Literal["wall", "manual"]
# One move of a manual clock: a century. Far enough for any test, and far from the
# floats where `now` would stop being a time (1e308 twice made it infinite).
MAX_ADVANCE = 100 * 365.25 * 86_400


def check_advance(seconds: float) -> float:
    """`seconds` if a clock may move by it; else ValueError naming the limit."""
    if not 0 <= seconds <= MAX_ADVANCE:  # also refuses NaN
        raise ValueError(
            f"seconds must be a number from 0 to {MAX_ADVANCE:.0f} (100 years), got {seconds!r}"
        )
    return seconds


class Clock(Protocol):
    """Epoch seconds, as a float; `mode` says whether tests may move it."""

    mode: ClockMode

    def now(self) -> float: ...


class SystemClock:
    """The wall clock."""

    mode: ClockMode = "wall"

    def now(self) -> float:
        return time.time()


class OffsetClock:
    """The wall clock of another machine (a shared store's server: every process on
    every host then reads one time), as this machine's clock plus the difference
    measured when it was made."""

    mode: ClockMode = "wall"

    def __init__(self, reference: Callable[[], float]) -> None:
        before = time.time()
        remote = reference()
        self.offset = remote - (before + time.time()) / 2  # half the round trip each way

    def now(self) -> float:
        return time.time() + self.offset


class ManualClock:
    """A clock that only moves when told to (trio's MockClock, without autojump)."""

    mode: ClockMode = "manual"

    def __init__(self, start: float | None = None) -> None:
        self._now = float(int(time.time())) if start is None else float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by `seconds` (never backwards) and return the new time."""
        check_advance(seconds)
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, now: float) -> None:
        """Put the clock at `now`, backwards too: a restored snapshot's time."""
        with self._lock:
            self._now = float(now)


def make_clock(mode: ClockMode) -> SystemClock | ManualClock:
    return ManualClock() if mode == "manual" else SystemClock()
