from __future__ import annotations

import pytest

from pixverse_emulator.domain.directives import Directives, parse_directives
from pixverse_emulator.domain.policies import Progression
from pixverse_emulator.domain.tasks import Status
from pixverse_emulator.errors import InvalidField


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a cat", Directives()),
        ("a cat [emulator:moderated]", Directives(Status.MODERATED, None, ("moderated",))),
        ("[emulator:failed] a cat", Directives(Status.FAILED, None, ("failed",))),
        ("[emulator:success]", Directives(Status.SUCCEEDED, None, ("success",))),
        ("[emulator:stuck]", Directives(None, Progression("manual"), ("stuck",))),
        ("[emulator:manual]", Directives(None, Progression("manual"), ("manual",))),
        ("[emulator:instant]", Directives(None, Progression("instant"), ("instant",))),
        ("[emulator:seconds=2.5]", Directives(None, Progression("seconds", 2.5), ("seconds",))),
        ("[emulator:polls=3]", Directives(None, Progression("polls", 3), ("polls",))),
        ("[emulator:seconds=0][emulator:failed]",
         Directives(Status.FAILED, Progression("seconds", 0), ("seconds", "failed"))),
        ("[ emulator:failed ]", Directives()),  # not a directive
    ],
)
def test_parse(prompt: str, expected: Directives) -> None:
    assert parse_directives(prompt) == expected


@pytest.mark.parametrize("prompt", ["[emulator:]", "[emulator:fail]", "[emulator:seconds=]",
                                    "[emulator:seconds=nan]", "[emulator:seconds=-0.1]",
                                    "[emulator:polls=0]", "[emulator:polls=1.5]",
                                    "[emulator:failed=1]"])
def test_bad_directives(prompt: str) -> None:
    with pytest.raises(InvalidField, match="directive"):
        parse_directives(prompt)
