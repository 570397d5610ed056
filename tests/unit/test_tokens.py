"""URL tokens: the shape `secrets.token_urlsafe(18)` gave, never repeated, across pool
refills and threads, and never shared by a forked child with its parent."""

from __future__ import annotations

import re
import threading

from pixverse_emulator import tokens
from pixverse_emulator.tokens import Tokens

SHAPE = re.compile(r"[A-Za-z0-9_-]{24}")


def test_tokens_look_as_before_and_never_repeat() -> None:
    made = Tokens()
    seen = [made() for _ in range(3 * tokens.PER_READ + 1)]  # four pools
    assert all(SHAPE.fullmatch(token) for token in seen)
    assert len(set(seen)) == len(seen)


def test_threads_never_get_the_same_token() -> None:
    made = Tokens()
    seen: list[str] = []

    def take() -> None:
        seen.extend(made() for _ in range(500))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == len(seen) == 2000


def test_a_forked_child_refills_its_pool() -> None:
    made = Tokens()
    made()
    pool = made._tokens
    tokens._forks[0] += 1  # what a fork does, in the child
    made()
    assert made._tokens is not pool and len(list(made._tokens)) == tokens.PER_READ - 1
