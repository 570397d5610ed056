"""The whole state as the Redis store's LOAD script returns it, read into a `World`."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ..domain.accounts import AuthMode
from ..domain.world import World
from . import rows
from .schema import create


def pairs(flat: list[str]) -> list[tuple[str, str]]:
    return list(zip(flat[0::2], flat[1::2], strict=True))


def read_world(found: list[Any], auth: AuthMode, fault_next_id: int) -> World:
    """The world of a LOAD: its rows into an in-memory SQLite database of the data
    folder's schema, read back by `rows.read_world`, the data folder's own reader."""
    conn = sqlite3.connect(":memory:")
    try:
        create(conn)
        tables = {"teams": found[2], "tasks": found[3], "uploads": found[4],
                  "deliveries": found[6], "faults": found[7]}
        for table, flat in tables.items():
            records = [tuple(json.loads(value)) for _, value in pairs(flat)]
            if records:
                marks = ",".join("?" * len(records[0]))
                conn.executemany(f"INSERT INTO {table} VALUES ({marks})", records)
        conn.executemany(rows.OFFSET_INSERT, [(team, float(json.loads(seconds)))
                                              for team, seconds in pairs(found[5])])
        ledgers = found[8]
        for team, entries in zip(ledgers[0::2], ledgers[1::2], strict=True):
            conn.executemany(rows.ENTRY_INSERT, [(team, *json.loads(e)) for e in entries])
        return rows.read_world(conn, auth, fault_next_id, lazy=False)
    finally:
        conn.close()
