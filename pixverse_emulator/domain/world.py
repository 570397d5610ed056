"""`World`: everything the emulator knows that a store keeps.

Teams and their keys, ledgers, tasks, uploads, `Ai-trace-id`s, per-team clock offsets
and fault rules, with the indexes built from them. Plain data: the core's use cases
change it under one lock, and a store (`store/`) writes what they changed. The request
journal and coverage are not part of it: they describe a run, not the state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .accounts import Accounts, AuthMode
from .faults import FaultBook
from .ledger import Ledger
from .task import RUNNING
from .tasks import Status, Task, TaskBook
from .trace_ids import TraceIds
from .uploads import Upload, UploadStore
from .webhooks import DeliveryBook


def dismantle(stopping: Callable[[], bool], *containers: dict[Any, Any]) -> Callable[[], None]:
    def job() -> None:
        for container in containers:
            while container and not stopping():  # a stopping process frees all at exit
                for _ in range(min(1000, len(container))):
                    container.popitem()

    return job


@dataclass
class World:
    accounts: Accounts
    ledger: Ledger = field(default_factory=Ledger)
    tasks: TaskBook = field(default_factory=TaskBook)
    uploads: UploadStore = field(default_factory=UploadStore)
    faults: FaultBook = field(default_factory=FaultBook)
    trace_ids: TraceIds = field(default_factory=TraceIds)
    video_tokens: dict[str, int] = field(default_factory=dict)  # result URL token -> task
    offsets: dict[str, float] = field(default_factory=dict)  # team -> seconds ahead
    deliveries: DeliveryBook = field(default_factory=DeliveryBook)  # webhook deliveries

    @classmethod
    def empty(cls, auth: AuthMode) -> World:
        return cls(Accounts(auth))

    def add_task(self, task: Task) -> None:
        """A new or restored task, with its result URL indexed once it has one."""
        self.tasks.add(task)
        if task.status is Status.SUCCEEDED and task.token:
            self.video_tokens[task.token] = task.video_id

    def put_task(self, task: Task) -> None:
        """A task as another process of a shared store wrote it: new, or in place of
        this world's older copy (its result URL and trace id follow it)."""
        if task.video_id not in self.tasks:
            self.add_task(task)
        else:
            old = self.tasks.replace(task)
            if old.token and (old.token != task.token or task.status is Status.DELETED):
                self.video_tokens.pop(old.token, None)
            if task.status is Status.SUCCEEDED and task.token:
                self.video_tokens[task.token] = task.video_id
        if task.trace_id:
            self.trace_ids[task.team_id, task.trace_id] = task.video_id

    def remove_task(self, task: Task) -> None:
        """Forget one finished task (an eviction): its result URL and trace id go with
        it; its ledger entries stay, they are the team's history."""
        assert task.status is not RUNNING
        self._drop(task)

    def forget_task(self, video_id: int) -> None:
        """`remove_task` whatever the status: another process of a shared store
        evicted it (a running one moved to 6 there, a move this world never saw)."""
        task = self.tasks.get(video_id)
        if task is not None:
            self._drop(task)

    def _drop(self, task: Task) -> None:
        video_id = task.video_id
        self.video_tokens.pop(self.tasks.remove(video_id), None)
        if self.trace_ids.find(task.team_id, task.trace_id) == video_id:
            del self.trace_ids[task.team_id, task.trace_id]

    def dismantle(self, stopping: Callable[[], bool]) -> Callable[[], None]:
        """A job that lets go of this (replaced) world in small steps: dropping tens of
        thousands of tasks at once would hold up the request that replaced it."""
        tasks, uploads = self.tasks, self.uploads
        return dismantle(stopping, *tasks.drop_all(), uploads.images, uploads.media, uploads.files,
                         *self.trace_ids.parts(), self.video_tokens)

    def team_ids(self) -> list[str]:
        return [team.id for team in self.accounts.all()]

    def remove_team(self, team_id: str) -> list[str]:
        """Forget everything of one team; returns the tokens of its uploaded files."""
        for token in self.tasks.remove_team(team_id):
            self.video_tokens.pop(token, None)
        tokens = self.uploads.remove_team(team_id)
        self.trace_ids.drop_team(team_id)
        self.faults.clear(team_id)
        self.deliveries.remove_team(team_id)
        self.offsets.pop(team_id, None)
        self.accounts.remove(team_id)
        self.ledger.close(team_id)
        return tokens

    def adopt_team(self, source: World, team_id: str) -> list[Upload]:
        """Copy one team's share of `source` in (after `remove_team`); returns the
        uploads whose files must be copied along."""
        team = source.accounts.get(team_id)
        if team is None:
            return []
        self.accounts.add(team)
        self.ledger.restore(source.ledger.account(team_id))
        for task in source.tasks.of_team(team_id):
            self.add_task(task)
        uploads = source.uploads.of_team(team_id)
        for upload in uploads:
            self.uploads.add(upload)
        self.trace_ids.add_all((team_id, trace_id, video_id) for trace_id, video_id
                               in source.trace_ids.of_team(team_id).items())
        if team_id in source.offsets:
            self.offsets[team_id] = source.offsets[team_id]
        for rule in source.faults.rules(team_id):
            renumbered = rule.model_copy(update={"id": self.faults.next_id})
            self.faults.restore(renumbered, source.faults.draws.get(rule.id, 0))
        self.faults.version += 1
        return uploads
