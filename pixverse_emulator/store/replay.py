"""A shared store's writes as a list of operations, and the same list applied to a world.

One unit of work commits as a list of Redis commands over the state's keys (`ops`):
Redis runs them, and appends the same list to the log the other processes read. Each
of those applies it to its own world here, so its world is the one the store holds
without reading it again. The rows are `rows.py`'s, as JSON.

    ["DROPTEAM", team]                         everything of a team (a per-team reset)
    ["HDEL", "tasks" | "uploads", id, ...]     evictions
    ["HSET", "teams", id, row, ...]            a team's settings
    ["RPUSH", "ledger:<team>", entry, ...]     new ledger entries (with SADD "ledgers")
    ["HSET", "tasks" | "uploads" | "deliveries", id, row, ...]
    ["HSET", "offsets", team, seconds] / ["HDEL", "offsets", team]
    ["DEL", "faults"] then ["HSET", "faults", id, [id, rule, draws], ...]
    ["HSET", "meta", key, value, ...]
    ["FLUSHSTATE"]                             the whole state replaced (then: reload)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..domain.faults import FaultRule
from ..domain.ledger import Account, Entry
from ..domain.world import World
from . import rows
from .base import Changes

Op = list[Any]
LEDGER = "ledger:"
DUMP = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


class NeedsReload(Exception):
    """The log asks for the whole state (a replace), or does not follow this world."""


@dataclass
class Applied:
    """What a world cannot take by itself: meta values, and teams gone or new."""

    meta: dict[str, Any] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    ledgers: set[str] = field(default_factory=set)  # teams with entries applied


# -- writing: a unit's changes as operations ------------------------------------------


def ops_of(world: World, changes: Changes, meta: dict[str, Any],
           published: dict[str, int]) -> list[Op]:
    """The operations of one unit. `published`: ledger entries already in the store per
    team (updated here to what these operations leave there)."""
    ops: list[Op] = [["DROPTEAM", team] for team in changes.dropped]
    for team in changes.dropped:
        published[team] = 0
    if changes.evicted_tasks:
        ops.append(["HDEL", "tasks", *map(str, changes.evicted_tasks)])
    if changes.evicted_uploads:
        ops.append(["HDEL", "uploads", *map(str, changes.evicted_uploads)])
    teams = [world.accounts.get(team) for team in changes.teams]
    ops += _hset("teams", [(t.id, rows.team_row(t)) for t in teams if t is not None])
    for team in changes.ledgers:
        if team in world.ledger:
            account = world.ledger.account(team)
            entries = account.since(published.get(team, 0))
            published[team] = account.count
            ops += _rpush(team, entries)
    ops += _hset("tasks", [(t.video_id, rows.task_row(t)) for t in changes.tasks.values()])
    ops += _hset("uploads", [(row[0], row) for row in map(rows.upload_row,
                                                            changes.uploads.values())])
    for team in changes.offsets:
        seconds = world.offsets.get(team)
        ops.append(["HDEL", "offsets", team] if seconds is None
                   else ["HSET", "offsets", team, DUMP(seconds)])
    ops += _hset("deliveries", [(row[0], row) for row in map(rows.delivery_row,
                                                               changes.deliveries.values())])
    if changes.faults:
        ops.append(["DEL", "faults"])
        ops += _hset("faults", [(r.id, (r.id, r.model_dump_json(), world.faults.draws.get(
            r.id, 0))) for r in world.faults.rules()])
    ops += _hset("meta", list(meta.items()))
    return ops


def ops_of_world(world: World, meta: dict[str, Any]) -> list[Op]:
    """The whole state, replacing whatever the store held."""
    ops: list[Op] = [["FLUSHSTATE"]]
    ops += _hset("teams", [(t.id, rows.team_row(t)) for t in world.accounts.all()])
    for account in world.ledger.all():
        ops += _rpush(account.team_id, account.entries)
    ops += _hset("tasks", [(row[0], row) for row in map(rows.task_row, world.tasks.all())])
    ops += _hset("uploads", [(row[0], row) for row in map(rows.upload_row, world.uploads.all())])
    ops += _hset("offsets", list(world.offsets.items()))
    ops += _hset("deliveries", [(row[0], row) for row in map(rows.delivery_row,
                                                               world.deliveries.all())])
    ops += _hset("faults", [(r.id, (r.id, r.model_dump_json(), world.faults.draws.get(r.id, 0)))
                            for r in world.faults.rules()])
    ops += _hset("meta", list(meta.items()))
    return ops


CHUNK = 1000  # values per operation: Lua unpacks at most ~8,000 arguments


def _hset(key: str, items: list[tuple[Any, Any]]) -> list[Op]:
    ops: list[Op] = []
    for first in range(0, len(items), CHUNK):
        op: Op = ["HSET", key]
        for field_name, value in items[first:first + CHUNK]:
            op += (str(field_name), DUMP(value))
        ops.append(op)
    return ops


def _rpush(team: str, entries: list[Entry]) -> list[Op]:
    ops: list[Op] = [["RPUSH", LEDGER + team, *map(DUMP, entries[first:first + CHUNK])]
                     for first in range(0, len(entries), CHUNK)]
    return [*ops, ["SADD", "ledgers", team]] if ops else []


# -- reading: another process's operations applied to this world -----------------------


def apply(world: World, ops: list[Op]) -> Applied:
    """Apply one unit's operations in their order (raises NeedsReload when they cannot
    be: a replace, or a ledger that does not follow this world's)."""
    applied = Applied()
    for op in ops:
        command, key = op[0], (op[1] if len(op) > 1 else "")
        if command == "FLUSHSTATE":
            raise NeedsReload("the whole state was replaced")
        if command == "DROPTEAM":
            world.remove_team(key)
            applied.dropped.append(key)
        elif command == "RPUSH":
            _entries(world, key[len(LEDGER):], op[2:])
            applied.ledgers.add(key[len(LEDGER):])
        elif command == "HSET":
            _put(world, key, dict(zip(op[2::2], map(json.loads, op[3::2]), strict=True)),
                 applied)
        elif command == "HDEL":
            _delete(world, key, op[2:])
        elif command == "DEL" and key == "faults":
            world.faults.replace_all([], 0)
    return applied


def _entries(world: World, team: str, entries: list[str]) -> None:
    if team not in world.ledger:
        world.ledger.restore(Account(team))
    account = world.ledger.account(team)
    try:
        for entry in entries:
            account.replay(Entry._make(json.loads(entry)))
    except (ValueError, KeyError) as exc:
        raise NeedsReload(str(exc)) from exc


def _put(world: World, key: str, values: dict[str, Any], applied: Applied) -> None:
    if key == "teams":
        for row in values.values():
            team = rows.read_team(tuple(row))
            if world.accounts.get(team.id) is None:
                applied.teams.append(team.id)
            world.accounts.remove(team.id)
            world.accounts.add(team)
    elif key == "tasks":
        for row in values.values():
            world.put_task(rows.read_task(tuple(row)))
    elif key == "uploads":
        for row in values.values():
            upload = rows.read_upload(tuple(row))
            if row[0] not in world.uploads:
                world.uploads.add(upload)
    elif key == "deliveries":
        for row in values.values():
            world.deliveries.put(rows.read_delivery(row[2]))
    elif key == "offsets":
        world.offsets.update({team: float(seconds) for team, seconds in values.items()})
    elif key == "faults":
        rules = [(FaultRule.model_validate_json(rule), draws) for _, rule, draws
                 in values.values()]
        world.faults.replace_all([*((r, world.faults.draws.get(r.id, 0))
                                    for r in world.faults.rules()), *rules], 0)
    elif key == "meta":
        applied.meta.update(values)


def _delete(world: World, key: str, ids: list[str]) -> None:
    if key == "tasks":
        for video_id in ids:
            world.forget_task(int(video_id))
    elif key == "uploads":
        for upload_id in map(int, ids):
            upload = world.uploads.images.get(upload_id) or world.uploads.media.get(upload_id)
            if upload is not None:
                world.uploads.remove(upload)
    elif key == "offsets":
        for team in ids:
            world.offsets.pop(team, None)
