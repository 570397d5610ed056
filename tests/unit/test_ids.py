"""Ids: 15 digits, always growing, repeatable with a seed, different without one."""

from __future__ import annotations

import random

import pytest

from pixverse_emulator.ids import ID_HIGH, ID_LOW, MAX_STEP, IdSource, run_random


def test_ids_have_15_digits_and_always_grow() -> None:
    source = IdSource(random.Random(1))
    ids = [source.next() for _ in range(2000)]
    assert all(ID_LOW <= i < 10**15 for i in ids) and ID_HIGH > 10**15
    assert all(0 < b - a <= MAX_STEP for a, b in zip(ids, ids[1:], strict=False))
    assert ids[-1] == source.high


def test_a_seed_makes_a_fresh_run_repeatable_and_none_makes_it_differ() -> None:
    def first_ids(seed: int | None) -> list[int]:
        source = IdSource(run_random(seed))
        return [source.next() for _ in range(5)]

    assert first_ids(42) == first_ids(42)
    assert first_ids(None) != first_ids(None)


def test_the_mark_never_goes_back() -> None:
    source = IdSource(random.Random(2), high=5 * 10**14)
    issued = source.next()
    source.keep_above(ID_LOW)  # an older snapshot's mark: ignored
    assert source.next() > issued
    source.keep_above(8 * 10**14)
    assert source.next() > 8 * 10**14


def test_a_step_is_the_draw_randint_makes() -> None:
    """The ids of a seeded run stay what they were when steps came from randint."""
    from pixverse_emulator.ids import MAX_STEP, IdSource

    source, rng = IdSource(random.Random(5)), random.Random(5)
    high = rng.randrange(10**14, 9 * 10**14)
    expected = [high := high + rng.randint(1, MAX_STEP) for _ in range(50)]
    assert [source.next() for _ in range(50)] == expected


@pytest.mark.parametrize(("low", "high"), [(1, 1000), (1, 2_147_483_647), (5, 5), (0, 1), (1, 3)])
def test_draw_is_randint(low: int, high: int) -> None:
    from pixverse_emulator.ids import draw

    ours, theirs = random.Random(11), random.Random(11)
    assert [draw(ours, low, high) for _ in range(300)] == [
        theirs.randint(low, high) for _ in range(300)]
