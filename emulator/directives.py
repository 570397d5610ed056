"""Prompt directives: a test chooses a task's outcome and run time in its prompt.

| directive                | effect                                            |
|--------------------------|---------------------------------------------------|
| `[emulator:moderated]`   | ends at status 7 (credits released)               |
| `[emulator:failed]`      | ends at status 8 (credits released)               |
| `[emulator:stuck]`       | stays at 5 until the admin API settles it         |
| `[emulator:seconds=N]`   | runs N seconds (fractions allowed) instead of `run_seconds` |
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .errors import InvalidField
from .tasks import Status

DIRECTIVE = re.compile(r"\[emulator:([^\]]*)\]")
OUTCOMES = {"moderated": Status.MODERATED, "failed": Status.FAILED}


@dataclass(frozen=True)
class Plan:
    """How a task will run: its outcome, and its run time (None: until settled by hand)."""

    outcome: Status
    seconds: float | None


def plan_for(prompt: str, run_seconds: float) -> Plan:
    outcome, seconds, stuck = Status.SUCCEEDED, run_seconds, False
    for word in (m.strip() for m in DIRECTIVE.findall(prompt)):
        if word in OUTCOMES:
            outcome = OUTCOMES[word]
        elif word == "stuck":
            stuck = True
        elif word.startswith("seconds="):
            seconds = _seconds(word.removeprefix("seconds="))
        else:
            raise InvalidField(
                f"prompt: unknown directive [emulator:{word}]; known: moderated, failed, "
                "stuck, seconds=N",
                reason="directive",
            )
    return Plan(outcome, None if stuck else seconds)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 <= value < math.inf):
        raise InvalidField(
            f"prompt: directive [emulator:seconds=N] needs a non-negative number, got {text!r}",
            reason="directive",
        )
    return value
