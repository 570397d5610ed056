"""The state as SQLite rows and back: one function per kind of row.

Used by the data folder (incremental writes, and the whole state at start) and by
snapshot files (the whole state at once), so both read and write the same shapes.
Holds, pending counts, due-time heaps and result-URL indexes are not stored: they are
rebuilt from the tasks.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict
from functools import partial
from typing import Any

from ..domain.accounts import Accounts, AuthMode, Team
from ..domain.faults import FaultRule
from ..domain.ledger import Account, Entry
from ..domain.packing import shared
from ..domain.policies import OutcomeSequence, parse_outcomes, parse_progression
from ..domain.tasks import Status, Task, TaskBook, VideoSpec
from ..domain.uploads import StoredFile, StoredImage, StoredMedia, Upload
from ..domain.webhooks import Attempt, Delivery
from ..domain.world import World
from ..errors import StoreUnavailable
from ..media.probe import ImageInfo, MediaInfo

Row = tuple[Any, ...]
STATUSES = {int(status): status for status in Status}

ENTRY_INSERT = "INSERT OR REPLACE INTO ledger VALUES (?,?,?,?,?,?,?,?)"
TASK_INSERT = "INSERT OR REPLACE INTO tasks VALUES (?,?,?,?,?,?)"
UPLOAD_INSERT = "INSERT OR REPLACE INTO uploads VALUES (?,?,?,?,?,?,?,?,?,?)"
OFFSET_INSERT = "INSERT OR REPLACE INTO offsets VALUES (?,?)"
FAULT_INSERT = "INSERT INTO faults VALUES (?,?,?)"
META_INSERT = "INSERT OR REPLACE INTO meta VALUES (?,?)"


# -- teams and ledgers -------------------------------------------------------------------
# A team's row is its settings only; its balances follow from its ledger (the last
# entry's balance, the sums of grants and captures, the holds of its running tasks), so
# a create writes its task and one entry, not the team again.

TEAM_INSERT = "INSERT OR REPLACE INTO teams VALUES (?,?,?,?,?,?,?,?,?)"
DELIVERY_INSERT = "INSERT OR REPLACE INTO deliveries VALUES (?,?,?)"
BALANCES = """
SELECT l.team, l.balance, sums.granted, sums.spent, sums.package FROM ledger AS l JOIN (
    SELECT team, max(seq) AS last,
           coalesce(sum(CASE kind WHEN 'grant' THEN amount END), 0) AS granted,
           coalesce(sum(CASE kind WHEN 'capture' THEN amount END), 0) AS spent,
           coalesce(sum(CASE WHEN pool = 'package' THEN CASE kind WHEN 'grant' THEN amount
               WHEN 'hold' THEN -amount WHEN 'release' THEN amount END END), 0) AS package
    FROM ledger GROUP BY team
) AS sums ON l.team = sums.team AND l.seq = sums.last
"""
PACKAGE_HOLDS = "SELECT team, video_id FROM ledger WHERE kind = 'hold' AND pool = 'package'"


def team_row(team: Team) -> Row:
    progression = None if team.progression is None else str(team.progression)
    return (team.id, team.pending_cap, json.dumps(sorted(team.keys)), progression,
            json.dumps(team.outcomes.names()), team.outcomes.taken, int(team.pinned),
            team.webhook_url, team.webhook_secret)


def entry_rows(team_id: str, entries: Iterable[Entry]) -> list[Row]:
    return [(team_id, *entry) for entry in entries]


def read_entries(conn: sqlite3.Connection, team_id: str) -> list[Entry]:
    query = "SELECT seq, time, kind, amount, video_id, balance, pool FROM ledger WHERE team = ?"
    return list(map(Entry._make, conn.execute(query + " ORDER BY seq", (team_id,))))


def read_team(row: Row) -> Team:
    team_id, cap, keys, progression, outcomes, taken, pinned, hook_url, hook_secret = row
    return Team(
        team_id,
        cap,
        set(json.loads(keys)),
        None if progression is None else parse_progression(progression),
        OutcomeSequence(parse_outcomes(json.loads(outcomes)), taken),
        bool(pinned),
        hook_url,
        hook_secret,
    )


# -- webhook deliveries ------------------------------------------------------------------


def delivery_row(delivery: Delivery) -> Row:
    view = delivery.view()
    return (delivery.delivery_id, delivery.team_id, json.dumps(
        {**view, "trace_id": delivery.trace_id}))


def read_delivery(record: str) -> Delivery:
    fields = json.loads(record)
    attempts = [Attempt(**attempt) for attempt in fields["attempts"]]
    return Delivery(fields["id"], fields["team"], fields["video_id"], fields["status"],
                    fields["url"], fields["trace_id"], fields["created"], fields["next_at"],
                    fields["state"], attempts)


def read_balances(conn: sqlite3.Connection) -> dict[str, tuple[int, int, int, int]]:
    """Per team: (available, granted, spent, package), from its ledger."""
    return {team: (available, granted, spent, package)
            for team, available, granted, spent, package in conn.execute(BALANCES)}


# -- tasks -------------------------------------------------------------------------------
# A task is a row of what is looked up (id, team, status, result token, trace id) and a
# JSON array of the rest, so a restart fetches five values a task and parses the rest
# only for the tasks someone asks for (`TaskBook.freeze`).


def task_row(task: Task) -> Row:
    video = task.video
    body = [
        task.route, task.request, task.model, task.quality, task.price, video.width,
        video.height, video.seconds, video.has_audio, video.seed, task.created_at,
        task.due_at, int(task.outcome), task.due_polls, task.progression, task.reads,
        task.modified_at, [(time, int(status), why) for time, status, why in task.timeline],
    ]
    return (task.video_id, task.team_id, int(task.status), task.token, task.trace_id,
            json.dumps(body, separators=(",", ":")))


class DamagedRecord(StoreUnavailable):
    """A stored row that does not read back as what it should be."""


def read_task(row: Row) -> Task:
    try:
        return _task(row)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise DamagedRecord(f"the stored record of task {row[0]} is damaged ({exc!r})",
                            reason="store") from exc


def check_task(row: Row) -> None:
    """What `read_task` needs of a row, checked without building the task (a restore
    checks every frozen row of a snapshot this way)."""
    try:
        (_, _, _, _, _, _, _, _, _, _, _, _, outcome, _, _, _, _, timeline) = json.loads(row[5])
        for status in (row[2], outcome, *(s for _, s, *_ in timeline)):
            STATUSES[status]
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise DamagedRecord(f"the stored record of task {row[0]} is damaged ({exc!r})",
                            reason="store") from exc


def _task(row: Row) -> Task:
    video_id, team, status, token, trace_id, body = row
    (route, request, model, quality, price, width, height, seconds, has_audio, seed,
     created_at, due_at, outcome, due_polls, progression, reads, modified_at,
     timeline) = json.loads(body)
    return Task(
        video_id, team, route, request, trace_id, model, quality, price,
        VideoSpec(width, height, seconds, has_audio, seed), created_at, due_at,
        STATUSES[outcome], due_polls, progression, reads, STATUSES[status], modified_at,
        None, token, [(time, STATUSES[s], _reason(why)) for time, s, *why in timeline],
    )


def _reason(why: list[Any]) -> str:
    """A transition's reason; rows written before reasons were kept have none."""
    return shared(str(why[0])) if why else ""  # few reasons, many tasks


def load_tasks(world: World, stored: list[Row]) -> None:
    """Stored tasks into the world: running ones whole (their holds, heaps and pending
    counts need them), finished ones frozen until someone asks. Comprehensions, not a
    call per row: this is most of a restart's time."""
    running = Status.RUNNING
    for row in stored:
        if row[2] == running:
            task = read_task(row)
            world.add_task(task)
            account = world.ledger.account(task.team_id)
            account.holds[task.video_id] = task.price
            account.held += task.price
    world.tasks.freeze_all({row[0]: (row[1], row[3], row[2], row) for row in stored
                            if row[2] != running})
    world.video_tokens.update({row[3]: row[0] for row in stored if row[2] == Status.SUCCEEDED})
    world.trace_ids.add_all((row[1], row[4], row[0]) for row in stored if row[4])


# -- uploads -----------------------------------------------------------------------------


def upload_row(upload: Upload) -> Row:
    if isinstance(upload, StoredImage):
        head: Row = (upload.img_id, upload.team_id, "image")
    else:
        head = (upload.media_id, upload.team_id, upload.media_type)
    stored = upload.file
    file: Row = (None,) * 4 if stored is None else (
        stored.token, stored.name, stored.content_type, stored.size
    )
    info = None if upload.info is None else json.dumps(asdict(upload.info))
    return (*head, upload.created_at, upload.source_url, *file, info)


def read_upload(row: Row) -> Upload:
    upload_id, team, kind, created_at, source_url, token, name, content_type, size, info = row
    stored = None if token is None else StoredFile(token, name, content_type, size)
    fields = None if info is None else json.loads(info)
    if kind == "image":
        image_info = None if fields is None else ImageInfo(**fields)
        return StoredImage(upload_id, team, created_at, stored, source_url, image_info)
    media_info = None if fields is None else MediaInfo(**fields)
    return StoredMedia(upload_id, team, created_at, kind, stored, source_url, media_info)


# -- the whole world ---------------------------------------------------------------------


def write_world(
    conn: sqlite3.Connection, world: World, copied: tuple[str, ...] = ()
) -> None:
    """Every row of `world` into empty tables (the caller holds the transaction), but
    those of the `copied` tables ("tasks", "ledger"), which the caller copies itself."""
    for team in world.accounts.all():
        conn.execute(TEAM_INSERT, team_row(team))
        if "ledger" not in copied:
            entries = world.ledger.account(team.id).entries
            conn.executemany(ENTRY_INSERT, entry_rows(team.id, entries))
    if "tasks" not in copied:
        conn.executemany(TASK_INSERT, map(task_row, world.tasks.thawed()))
        conn.executemany(TASK_INSERT, world.tasks.frozen())
    conn.executemany(UPLOAD_INSERT, map(upload_row, world.uploads.all()))
    conn.executemany(OFFSET_INSERT, world.offsets.items())
    conn.executemany(DELIVERY_INSERT, map(delivery_row, world.deliveries.all()))
    write_faults(conn, world)


def write_faults(conn: sqlite3.Connection, world: World) -> None:
    """All fault rules (a handful at most): the table is rewritten whole."""
    conn.execute("DELETE FROM faults")
    rows = [(r.id, r.model_dump_json(), world.faults.draws.get(r.id, 0))
            for r in world.faults.rules()]
    conn.executemany(FAULT_INSERT, rows)


def read_world(
    conn: sqlite3.Connection, auth: AuthMode, fault_next_id: int = 1, lazy: bool = False
) -> World:
    """The world a file holds. `lazy`: ledger entries stay in the file until a team's
    are needed (the connection must then stay open); finished tasks are always frozen."""
    world = World(Accounts(auth), tasks=TaskBook(read_task))
    balances = read_balances(conn)
    counts = entry_counts(conn)
    for team in map(read_team, conn.execute("SELECT * FROM teams")):
        available, granted, spent, package = balances.get(team.id, (0, 0, 0, 0))
        account = Account(team.id, available, 0, spent, granted, count=counts.get(team.id, 0),
                          package=package)
        if lazy:
            account.older = partial(read_entries, conn, team.id)
        else:
            account.recent = read_entries(conn, team.id)
        world.accounts.add(team)
        world.ledger.restore(account)
    load_tasks(world, conn.execute("SELECT * FROM tasks").fetchall())
    for team_id, video_id in conn.execute(PACKAGE_HOLDS):  # running ones drew on package
        if team_id in world.ledger and video_id in world.ledger.account(team_id).holds:
            world.ledger.account(team_id).hold_pools[video_id] = "package"
    for upload in map(read_upload, conn.execute("SELECT * FROM uploads ORDER BY id")):
        world.uploads.add(upload)
    world.offsets.update(conn.execute("SELECT * FROM offsets"))
    for (record,) in conn.execute("SELECT record FROM deliveries ORDER BY id"):
        world.deliveries.add(read_delivery(record))
    world.faults.next_id = fault_next_id
    for _, rule, draws in conn.execute("SELECT * FROM faults ORDER BY id"):
        world.faults.restore(FaultRule.model_validate_json(rule), draws)
    return world


def highest_id(conn: sqlite3.Connection) -> int:
    """The largest task or upload id stored (0 when none is)."""
    query = "SELECT max(coalesce((SELECT max(video_id) FROM tasks), 0), " \
            "coalesce((SELECT max(id) FROM uploads), 0))"
    return int(conn.execute(query).fetchone()[0])


def entry_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT team, COUNT(*) FROM ledger GROUP BY team"))


def read_meta(conn: sqlite3.Connection) -> dict[str, Any]:
    return dict(conn.execute("SELECT key, value FROM meta"))


def write_meta(conn: sqlite3.Connection, values: dict[str, Any]) -> None:
    conn.executemany(META_INSERT, values.items())
