"""Prompt directives: a test chooses one task's outcome and progression in its prompt.

| directive                | effect                                                   |
|--------------------------|----------------------------------------------------------|
| `[emulator:success]`     | ends at status 1                                         |
| `[emulator:moderated]`   | ends at status 7 (credits released)                      |
| `[emulator:failed]`      | ends at status 8 (credits released)                      |
| `[emulator:instant]`     | done at once                                             |
| `[emulator:seconds=N]`   | runs N seconds (fractions allowed)                       |
| `[emulator:polls=N]`     | completes on the Nth result read                         |
| `[emulator:manual]`, `[emulator:stuck]` | stays at 5 until the control plane settles it |

A directive beats the task's team policy, which beats the global settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidField
from .policies import OUTCOMES, Progression, parse_progression
from .tasks import Status

DIRECTIVE = re.compile(r"\[emulator:([^\]]*)\]")
NAMES = ("success", "moderated", "failed", "instant", "seconds", "polls", "manual", "stuck")


@dataclass(frozen=True)
class Directives:
    """What a prompt asks for; None where it asks nothing."""

    outcome: Status | None = None
    progression: Progression | None = None
    used: tuple[str, ...] = ()


NONE = Directives()
MARK = "[emulator:"  # every directive starts so: a prompt without it has none


def parse_directives(prompt: str) -> Directives:
    if MARK not in prompt:
        return NONE  # most prompts: a substring test instead of a regex scan
    outcome: Status | None = None
    progression: Progression | None = None
    used: list[str] = []
    for word in (m.strip() for m in DIRECTIVE.findall(prompt)):
        name, _, value = word.partition("=")
        if name in OUTCOMES and not value:
            outcome = OUTCOMES[name]
        elif name in ("instant", "manual", "stuck") and not value:
            progression = Progression("manual" if name == "stuck" else name)
        elif name in ("seconds", "polls"):
            progression = _progression(word, f"{name}:{value}")
        else:
            raise InvalidField(
                f"prompt: unknown directive [emulator:{word}]; known: success, moderated, "
                "failed, instant, seconds=N, polls=N, manual, stuck",
                reason="directive",
            )
        used.append(name)
    return Directives(outcome, progression, tuple(used))


def _progression(word: str, text: str) -> Progression:
    try:
        return parse_progression(text)
    except ValueError as exc:
        message = f"prompt: directive [emulator:{word}]: {exc}"
        raise InvalidField(message, reason="directive") from exc
