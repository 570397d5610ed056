"""A task's request, kept compact: a load test keeps tens of thousands of tasks, and a
dict per request was the largest part of each.

`Packed` is a tuple: first the request's keys (one tuple shared by every request with
the same keys), then their values in that order, strings shared with the tasks before
(`shared`: models, qualities and ratios repeat from task to task, and in a load test
the prompt too). `unpack` gives back the dict that
`model_dump(mode="json", exclude_unset=True)` gave, keys in the same order, a new dict
each time (nested lists and dicts are shared, as they were with the one dict).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from itertools import islice
from typing import Any

from pydantic import BaseModel

Packed = tuple[Any, ...]  # (keys, value, value, ...)
SHARED_MAX = 512  # longer strings are kept as they come: the cache stays small
# Values that `model_dump(mode="json")` returns unchanged (floats are not: inf and nan).
PLAIN = frozenset({str, int, bool, type(None)})


@lru_cache(maxsize=1024)
def _keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The first tuple of these keys seen, for every later request with the same keys
    (requests of one route have few key sets; the cache bounds the rest)."""
    return keys


@lru_cache(maxsize=1024)
def _first(value: str) -> str:
    return value


def shared(value: Any) -> Any:
    """A string as the copy of it seen first, while it is among the 1,024 last seen;
    anything else as it is. Not `sys.intern`: these are clients' strings, and from
    Python 3.12 on an interned string is never freed."""
    return _first(value) if type(value) is str and len(value) <= SHARED_MAX else value


def pack(fields: Mapping[str, Any]) -> Packed:
    return (_keys(tuple(map(shared, fields))), *map(shared, fields.values()))


def pack_model(request: BaseModel) -> Packed:
    """`pack(request.model_dump(mode="json", exclude_unset=True))`, without the dump when
    every value set is a plain JSON scalar (the usual create). A model's `__dict__` holds
    every field, in the order of its fields: the order the dump has."""
    given = request.__pydantic_fields_set__
    keys: list[str] = []
    values: list[Any] = []
    for name, value in request.__dict__.items():
        if name in given:
            kind = type(value)
            if kind is str:
                value = _first(value) if len(value) <= SHARED_MAX else value
            elif kind not in PLAIN:
                return pack(request.model_dump(mode="json", exclude_unset=True))
            keys.append(name)
            values.append(value)
    return (_keys(tuple(keys)), *values)


def unpack(packed: Packed) -> dict[str, Any]:
    return dict(zip(packed[0], islice(packed, 1, None), strict=True))
