"""Unguessable URL tokens (result videos, uploaded files), cheaply.

A token is what `secrets.token_urlsafe(18)` makes: 18 bytes from `os.urandom`, base64url,
24 characters. `Tokens` reads the bytes of 227 tokens at once and encodes them in one go
(18 bytes are a whole number of base64 groups, so each 24 characters of the text are
one token's 18 bytes): one system call and one encoding per 227 tokens instead of one
each, and a load test makes a token on most creates (each settles an older task). The
bytes are as random as before; they only wait in memory until used.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

SIZE = 18  # random bytes per token: a multiple of 3, so base64 pads nothing
LENGTH = SIZE // 3 * 4  # characters per token
PER_READ = 227  # tokens per read: about 4 KiB

# Bumped in a forked child, so that a pool filled before the fork is never used after it
# (parent and child would hand out the same tokens). Process state, as `random` keeps its
# own at-fork reseed: not emulator state.
_forks = [0]
os.register_at_fork(after_in_child=lambda: _forks.__setitem__(0, _forks[0] + 1))


class Tokens:
    """Callable: the next token. Safe across threads without a lock (uploads ask outside
    the emulator's): taking one is `next()` on a list iterator, which the GIL makes
    atomic, so no token goes out twice; two threads that find the pool empty at once
    each fill one from new bytes, and either's tokens are good."""

    def __init__(self) -> None:
        self._generation = _forks[0]
        self._tokens: Iterator[str] = iter(())

    def __call__(self) -> str:
        if self._generation != _forks[0]:
            self._fill()
        token = next(self._tokens, None)
        if token is None:
            self._fill()
            token = next(self._tokens)
        return token

    def _fill(self) -> None:
        self._generation = _forks[0]
        text = base64.urlsafe_b64encode(os.urandom(SIZE * PER_READ)).decode("ascii")
        self._tokens = iter([text[at:at + LENGTH] for at in range(0, len(text), LENGTH)])
