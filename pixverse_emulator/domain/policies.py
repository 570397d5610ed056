"""Progression and outcome policies: when a task leaves status 5, and how.

| progression  | the task completes ...                                   |
|--------------|----------------------------------------------------------|
| `instant`    | at once (the create already answers a finished task)     |
| `seconds:N`  | N seconds after it was created, by the emulator clock    |
| `polls:N`    | on the Nth result read                                   |
| `manual`     | only when settled through the control plane              |

An outcome is `success`, `moderated` or `failed`; a sequence such as
`["failed", "success"]` gives each new task the next one, and the last one repeats.
Set globally (settings), per team (control plane) or per task (control plane,
prompt directive); the most specific wins.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, TypeVar

from ..errors import InvalidField
from .tasks import Status, Task

ProgressionKind = Literal["instant", "seconds", "polls", "manual"]
OUTCOMES: dict[str, Status] = {
    "success": Status.SUCCEEDED,
    "moderated": Status.MODERATED,
    "failed": Status.FAILED,
}


@dataclass(frozen=True)
class Progression:
    kind: ProgressionKind
    amount: float = 0.0

    def __str__(self) -> str:
        return self.label

    @cached_property
    def label(self) -> str:
        """Made once: every task scheduled by this progression shares the string."""
        if self.kind in ("seconds", "polls"):
            return f"{self.kind}:{self.amount:g}"
        return self.kind


def parse_progression(text: str) -> Progression:
    """`instant`, `manual`, `seconds:N` (N >= 0, fractions allowed) or `polls:N` (N >= 1)."""
    kind, _, amount = text.strip().partition(":")
    if kind in ("instant", "manual") and not amount:
        return Progression(kind)  # type: ignore[arg-type]
    if kind == "seconds":
        return Progression("seconds", _number(text, amount, minimum=0.0))
    if kind == "polls":
        value = _number(text, amount, minimum=1.0)
        if value != int(value):
            raise ValueError(f"progression {text!r}: polls:N needs a whole number")
        return Progression("polls", value)
    raise ValueError(
        f"progression {text!r} is not one of instant, seconds:N, polls:N, manual"
    )


def _number(text: str, amount: str, minimum: float) -> float:
    try:
        value = float(amount)
    except ValueError:
        value = math.nan
    if not (minimum <= value < math.inf):
        raise ValueError(f"progression {text!r}: N must be a number >= {minimum:g}")
    return value


def parse_outcomes(values: str | Sequence[str]) -> tuple[Status, ...]:
    """A comma-separated string or a list of `success`, `moderated`, `failed`."""
    names = values.split(",") if isinstance(values, str) else list(values)
    cleaned = [name.strip() for name in names if name.strip()]
    unknown = [name for name in cleaned if name not in OUTCOMES]
    if unknown or not cleaned:
        raise ValueError(
            f"outcomes: {unknown[0] if unknown else 'empty'!r} is not one of "
            "success, moderated, failed"
        )
    return tuple(OUTCOMES[name] for name in cleaned)


def outcome_name(status: Status) -> str:
    return next(name for name, value in OUTCOMES.items() if value is status)


class OutcomeSequence:
    """Hands out outcomes in order; the last one repeats."""

    def __init__(self, outcomes: Sequence[Status], taken: int = 0) -> None:
        self.outcomes = tuple(outcomes)
        self.taken = min(taken, len(self.outcomes) - 1)  # the next one's index: state

    def next(self) -> Status:
        """The next outcome. `taken` stops at the last one, which repeats: once there it
        no longer changes, so handing out outcomes is no longer a change to store."""
        taken = self.taken
        if taken < len(self.outcomes) - 1:
            self.taken = taken + 1
        return self.outcomes[taken]

    def names(self) -> list[str]:
        return [outcome_name(o) for o in self.outcomes]


def schedule(task: Task, progression: Progression) -> None:
    """Set when a task completes: by its team's clock, or by its reads."""
    task.progression = progression.label
    task.due_at, task.due_polls = None, None
    kind = progression.kind
    if kind == "seconds":
        task.due_at = task.created_at + progression.amount
    elif kind == "instant":
        task.due_at = task.created_at
    elif kind == "polls":
        task.due_polls = int(progression.amount)


T = TypeVar("T")


def checked(parse: Callable[[Any], T], value: Any, field: str) -> T | None:
    """Parse a policy value from the control plane; a bad one is 400013 naming it."""
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        raise InvalidField(f"{field}: {exc}", reason="policy") from exc
