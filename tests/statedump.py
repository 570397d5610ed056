"""The whole state of an emulator as plain data, to compare before and after a restart,
a snapshot restore or a crash. Reads the world directly: nothing here settles or writes.

Left out on purpose: the journal and coverage (a run's, not state), a finished video's
byte size (rendered on demand) and the read count of a task that no longer counts its
reads (only a running `polls:N` task's reads are state).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from pixverse_emulator import Emulator
from pixverse_emulator.domain.tasks import Status
from pixverse_emulator.http import views


def dump(emulator: Emulator, *, files: bool = True, clock: bool = True) -> dict[str, Any]:
    world = emulator.world
    state: dict[str, Any] = {
        "teams": {team.id: _team(emulator, team.id) for team in world.accounts.all()},
        "tasks": {task.video_id: _task(task) for task in world.tasks.all()},
        "uploads": {_upload_key(u): _upload(emulator, u, files) for u in world.uploads.all()},
        "trace_ids": dict(world.trace_ids),
        "video_tokens": dict(world.video_tokens),
        "offsets": dict(world.offsets),
        "faults": [(rule.model_dump(), world.faults.draws.get(rule.id, 0))
                   for rule in world.faults.rules()],
        "ids_high": emulator.ids.high,
    }
    if clock:
        state["now"] = emulator.clock.now()
    return state


def _team(emulator: Emulator, team_id: str) -> dict[str, Any]:
    team = emulator.world.accounts.get(team_id)
    account = emulator.world.ledger.account(team_id)
    assert team is not None
    return {
        "pending_cap": team.pending_cap,
        "keys": sorted(team.keys),
        "progression": str(team.progression),
        "outcomes": (team.outcomes.names(), team.outcomes.taken),
        "balances": (account.available, account.held, account.spent, account.granted),
        "holds": dict(account.holds),
        "entries": [tuple(entry) for entry in account.entries],
        "pending": emulator.world.tasks.pending(team_id),
    }


def _task(task: Any) -> dict[str, Any]:
    detail = views.task_detail(task)
    detail["video"].pop("size")
    counts_reads = task.status is Status.RUNNING and task.due_polls is not None
    if not counts_reads:
        detail.pop("reads")
    detail["token"] = task.token
    return detail


def _upload_key(upload: Any) -> int:
    return int(upload.img_id if hasattr(upload, "img_id") else upload.media_id)


def _upload(emulator: Emulator, upload: Any, files: bool) -> dict[str, Any]:
    detail = asdict(upload)
    if files and upload.file is not None:
        data = emulator.files.path(upload.file.token, upload.file.name).read_bytes()
        detail["sha256"] = hashlib.sha256(data).hexdigest()
    return detail


def check_ledgers(emulator: Emulator, caps: bool = True) -> None:
    """The ledger invariants, for every team: nothing negative, available + held + spent
    == granted, the pending cap held, and holds exactly the running tasks' prices."""
    world = emulator.world
    for team in world.accounts.all():
        account = world.ledger.account(team.id)
        tasks = world.tasks.of_team(team.id)
        running = {t.video_id: t.price for t in tasks if t.status is Status.RUNNING}
        assert min(account.available, account.held, account.spent) >= 0, team.id
        assert account.available + account.held + account.spent == account.granted, team.id
        assert account.granted == sum(e.amount for e in account.entries if e.kind == "grant")
        assert world.tasks.pending(team.id) == len(running), team.id
        assert not caps or len(running) <= team.pending_cap, team.id
        assert account.holds == running and account.held == sum(running.values()), team.id
        assert [e.seq for e in account.entries] == list(range(1, len(account.entries) + 1))
        assert account.entries[-1].balance == account.available
