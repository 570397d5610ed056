"""The emulator's state and the rules every use case shares.

`State` owns everything: settings, clock, seeded random ids, teams, ledger, tasks,
uploads, faults, journal and coverage. Every public method takes the lock, settles
what has fallen due for the team it concerns, then checks and acts; nothing inside
awaits, so no other request can slip in between a check (pending cap, balance) and
its effect. `_move` is the one edge function of a task's life.
"""

from __future__ import annotations

import random
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .clock import Clock, ManualClock, make_clock
from .domain.accounts import Accounts, Team
from .domain.coverage import Coverage
from .domain.faults import FaultBook
from .domain.journal import Journal
from .domain.ledger import Ledger
from .domain.policies import (
    OutcomeSequence,
    parse_outcomes,
    parse_progression,
)
from .domain.tasks import Status, Task, TaskBook, VideoSpec
from .domain.uploads import UploadStore
from .errors import Conflict, Unauthorized
from .media.video import render_video
from .settings import Settings

ID_LOW, ID_HIGH = 10**14, 2**53  # 15-digit ids like the real ones, safe in JavaScript


class State:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Clock | None = None,
        token_factory: Callable[[], str] | None = None,
    ) -> None:
        self.settings = settings if settings is not None else Settings()
        self.clock = clock if clock is not None else make_clock(self.settings.clock)
        self._new_token = token_factory or (lambda: secrets.token_urlsafe(18))
        self._lock = threading.RLock()
        self._owns_root = self.settings.data_dir is None
        self._root = Path(self.settings.data_dir or tempfile.mkdtemp(prefix="pixverse-emulator-"))
        self.journal = Journal(self.settings.journal_size)
        self.uploads = UploadStore(self._root)
        self.faults = FaultBook()
        self.coverage = Coverage()
        self._progression = parse_progression(
            self.settings.progression or f"seconds:{self.settings.run_seconds}"
        )
        self._rng = random.Random(self.settings.seed)
        self._build()

    # -- lifecycle -----------------------------------------------------------

    def _build(self) -> None:
        self._rng.seed(self.settings.seed)
        self.accounts = Accounts(self.settings.auth)
        self.ledger = Ledger()
        self.tasks = TaskBook()
        self.uploads.clear()
        self._trace_ids: dict[tuple[str, str], int] = {}
        self._video_tokens: dict[str, int] = {}
        self._offsets: dict[str, float] = {}
        for team in self.settings.teams:
            self._open_configured(team.id)

    def reset(self, team: str | None = None) -> None:
        """Everything back to the configured teams: no tasks, uploads, faults, policies,
        journal entries or clock offsets. With `team`, only that team's share of each,
        so parallel test workers can share one server."""
        with self._lock:
            if team is not None:
                self._reset_team(team)
                return
            self._build()
            self.journal.clear()
            self.faults.clear()

    def _reset_team(self, team_id: str) -> None:
        for task in self.tasks.remove_team(team_id):
            self._video_tokens.pop(task.token, None)
        self.uploads.remove_team(team_id)
        self._trace_ids = {k: v for k, v in self._trace_ids.items() if k[0] != team_id}
        self.journal.clear(team_id)
        self.faults.clear(team_id)
        self._offsets.pop(team_id, None)
        self.accounts.remove(team_id)
        self.ledger.close(team_id)
        if any(team.id == team_id for team in self.settings.teams):
            self._open_configured(team_id)

    def close(self) -> None:
        """Remove the uploaded files (the whole folder when the emulator made it)."""
        with self._lock:
            self.uploads.clear()
            if self._owns_root:
                shutil.rmtree(self._root, ignore_errors=True)

    # -- time ------------------------------------------------------------------

    def now(self, team: str | None = None) -> float:
        """The emulator clock as `team` sees it: each team's clock can run ahead."""
        return self.clock.now() + self._offsets.get(team or "", 0.0)

    def _settle(self, team_id: str) -> float:
        """Apply the team's transitions that have fallen due, each at its own due time.
        Teams share nothing that a transition touches, so settling one is enough."""
        now = self.now(team_id)
        for task in self.tasks.due(team_id, now):
            assert task.due_at is not None
            self._move(task, task.outcome, task.due_at)
        return now

    def _settle_all(self) -> None:
        for team_id in self.tasks.teams_waiting():
            self._settle(team_id)

    def advance(self, seconds: float, team: str | None = None) -> float:
        """Move the manual clock, for everyone or for one team's clock alone."""
        if not isinstance(self.clock, ManualClock):
            raise Conflict("the clock is the wall clock; start with clock=manual to move it")
        if not seconds >= 0:
            raise Conflict(f"seconds must be a non-negative number, got {seconds!r}")
        with self._lock:
            if team is None:
                self.clock.advance(seconds)
                self._settle_all()
            else:
                self._offsets[team] = self._offsets.get(team, 0.0) + seconds
                self._settle(team)
            return self.now(team)

    def clock_info(self, team: str | None = None) -> dict[str, Any]:
        return {"now": self.now(team), "mode": self.clock.mode}

    # -- teams and keys --------------------------------------------------------

    def _open_team(
        self,
        team_id: str,
        credits: int | None = None,
        pending_cap: int | None = None,
        keys: Iterable[str] = (),
    ) -> Team:
        cap = self.settings.default_pending_cap if pending_cap is None else pending_cap
        outcomes = OutcomeSequence(parse_outcomes(self.settings.outcomes))
        team = self.accounts.add(Team(team_id, cap, set(keys), outcomes=outcomes))
        start = self.settings.default_credits if credits is None else credits
        self.ledger.open(team_id, start, self.now(team_id))
        return team

    def _open_configured(self, team_id: str) -> Team:
        config = next(t for t in self.settings.teams if t.id == team_id)
        team = self._open_team(team_id, config.credits, config.pending_cap, config.keys)
        if config.progression is not None:
            team.progression = parse_progression(config.progression)
        if config.outcomes is not None:
            team.outcomes = OutcomeSequence(parse_outcomes(config.outcomes))
        return team

    def _team(self, team_id: str) -> Team:
        return self.accounts.get(team_id) or self._open_team(team_id)

    def authenticate(self, key: str | None) -> str:
        """The team id for an API key; in open mode an unlisted key opens its own team."""
        with self._lock:
            team_id = self.accounts.team_id_for(key or "")
            if team_id is None:
                raise Unauthorized(_auth_message(key), reason="auth")
            self._team(team_id)
            return team_id

    def _move(self, task: Task, status: Status, at: float) -> None:
        """The one edge function: ledger and media side effects happen here, once."""
        previous = task.status
        task.move(status, at)
        self.tasks.moved(task, previous)
        self.coverage.note("statuses", int(status))
        if previous is Status.RUNNING and status is Status.SUCCEEDED:
            self.ledger.capture(task.team_id, task.video_id, at)
            task.token = self._new_token()
            self._video_tokens[task.token] = task.video_id
        elif previous is Status.RUNNING:
            self.ledger.release(task.team_id, task.video_id, at)
        elif status is Status.DELETED:
            self._video_tokens.pop(task.token, None)

    def _new_id(self) -> int:
        while True:
            candidate = self._rng.randrange(ID_LOW, ID_HIGH)
            taken = (self.tasks, self.uploads.images, self.uploads.media)
            if not any(candidate in table for table in taken):
                return candidate


def with_size(task: Task) -> Task:
    """A finished video's byte size, rendered the first time someone asks (most tasks in a
    load test are never read after they finish, so rendering at the edge would be waste)."""
    if task.status is Status.SUCCEEDED and task.size is None:
        task.size = len(render_video(*render_args(task.video)))
    return task


def render_args(video: VideoSpec) -> tuple[int, int, float, bool, int]:
    return video.width, video.height, video.seconds, video.has_audio, video.seed


def _auth_message(key: str | None) -> str:
    if not key:
        return "Missing API key: send 'Authorization: Bearer <key>' or 'API-KEY: <key>'"
    return "Invalid API key: this key belongs to no team"
