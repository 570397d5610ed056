from __future__ import annotations

import pytest

from pixverse_emulator.domain.policies import (
    OutcomeSequence,
    Progression,
    parse_outcomes,
    parse_progression,
)
from pixverse_emulator.domain.tasks import Status


@pytest.mark.parametrize(
    ("text", "expected"),
    [("instant", Progression("instant")), ("manual", Progression("manual")),
     ("seconds:2.5", Progression("seconds", 2.5)), ("seconds:0", Progression("seconds", 0)),
     ("polls:3", Progression("polls", 3)), (" polls:1 ", Progression("polls", 1))],
)
def test_parse_progression(text: str, expected: Progression) -> None:
    assert parse_progression(text) == expected
    assert parse_progression(str(expected)) == expected


@pytest.mark.parametrize("text", ["", "soon", "seconds", "seconds:x", "seconds:-1",
                                  "polls:0", "polls:2.5", "instant:1", "seconds:inf"])
def test_bad_progressions(text: str) -> None:
    with pytest.raises(ValueError, match="progression"):
        parse_progression(text)


def test_outcome_sequence_repeats_the_last() -> None:
    sequence = OutcomeSequence(parse_outcomes("failed, moderated,success"))
    taken = [sequence.next() for _ in range(5)]
    assert taken == [Status.FAILED, Status.MODERATED, Status.SUCCEEDED, Status.SUCCEEDED,
                     Status.SUCCEEDED]
    assert sequence.names() == ["failed", "moderated", "success"]


@pytest.mark.parametrize("values", ["", "great", ["success", "nope"], []])
def test_bad_outcomes(values: str | list[str]) -> None:
    with pytest.raises(ValueError, match="outcomes"):
        parse_outcomes(values)
