"""What a test run has exercised: routes, ErrCodes, task statuses and prompt directives,
against everything there is. It outlives resets: it describes the whole run."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import CATALOGUE
from .directives import NAMES as DIRECTIVES
from .faults import ROUTES
from .tasks import Status

GATEWAY_CODES = tuple(error.err_code for error in CATALOGUE)


class Coverage:
    def __init__(self, routes: Iterable[str] = ROUTES,
                 err_codes: Iterable[int] = GATEWAY_CODES) -> None:
        """`routes` and `err_codes`: those of the API the emulator plays (its profile)."""
        self.universe: dict[str, list[Any]] = {
            "routes": list(routes),
            "err_codes": [0, *err_codes],
            "statuses": sorted(int(s) for s in Status),
            "directives": list(DIRECTIVES),
        }
        self.clear()

    def clear(self) -> None:
        self.seen: dict[str, set[Any]] = {name: set() for name in self.universe}

    def note(self, kind: str, value: Any) -> None:
        if value is not None:
            self.seen[kind].add(value)

    def report(self) -> dict[str, dict[str, list[Any]]]:
        """Per kind: what was exercised (including values outside the universe, such as
        an upstream ErrCode from a fault) and what was not."""
        return {
            kind: {
                "exercised": sorted(self.seen[kind], key=str),
                "missing": [v for v in everything if v not in self.seen[kind]],
            }
            for kind, everything in self.universe.items()
        }
