from __future__ import annotations

import pytest

from emulator.directives import Plan, plan_for
from emulator.errors import InvalidField
from emulator.tasks import Status


@pytest.mark.parametrize(
    ("prompt", "plan"),
    [
        ("a cat", Plan(Status.SUCCEEDED, 5.0)),
        ("a cat [emulator:moderated]", Plan(Status.MODERATED, 5.0)),
        ("[emulator:failed] a cat", Plan(Status.FAILED, 5.0)),
        ("[emulator:stuck]", Plan(Status.SUCCEEDED, None)),
        ("[emulator:seconds=2.5]", Plan(Status.SUCCEEDED, 2.5)),
        ("[emulator:seconds=0][emulator:failed]", Plan(Status.FAILED, 0.0)),
        ("[ emulator:failed ]", Plan(Status.SUCCEEDED, 5.0)),  # not a directive
    ],
)
def test_plan(prompt: str, plan: Plan) -> None:
    assert plan_for(prompt, 5.0) == plan


@pytest.mark.parametrize("prompt", ["[emulator:]", "[emulator:fail]", "[emulator:seconds=]",
                                    "[emulator:seconds=nan]", "[emulator:seconds=-0.1]"])
def test_bad_directives(prompt: str) -> None:
    with pytest.raises(InvalidField, match="directive"):
        plan_for(prompt, 5.0)
