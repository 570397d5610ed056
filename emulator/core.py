"""The Emulator: it owns all state, and has one method per use case.

Every method takes the lock, reads `now` once, settles what has fallen due, then
checks and acts. Nothing inside a method awaits, so no other request can slip in
between a check (pending cap, balance) and its effect. The HTTP API, the admin
API and the pytest plugin all call these methods.
"""

from __future__ import annotations

import random
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from . import references, rules
from .accounts import Accounts, Team
from .clock import Clock, ManualClock, make_clock
from .coverage import Coverage
from .directives import parse_directives
from .downloads import Download
from .errors import Conflict, InvalidField, NotFound, TooManyPending, Unauthorized
from .faults import FaultBook, FaultRule, route_name
from .journal import Journal, matches
from .ledger import Entry, Ledger
from .policies import (
    OutcomeSequence,
    Progression,
    parse_outcomes,
    parse_progression,
)
from .probe import MediaInfo
from .schemas import CreateRequest
from .settings import Settings
from .tasks import Status, Task, TaskBook, VideoSpec
from .uploads import MediaKind, StoredFile, StoredImage, StoredMedia, UploadStore
from .video import render_video

ID_LOW, ID_HIGH = 10**14, 2**53  # 15-digit ids like the real ones, safe in JavaScript


@dataclass(frozen=True)
class Submission:
    task: Task
    replayed: bool  # True: a resend with a known Ai-trace-id, nothing charged


class Emulator:
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

    def team(self, team_id: str) -> dict[str, Any]:
        with self._lock:
            self._settle(team_id)
            team = self.accounts.get(team_id)
            if team is None:
                raise NotFound(f"no team {team_id!r}")
            account = self.ledger.account(team_id)
            return {
                "id": team.id,
                "credits": account.available,
                "held": account.held,
                "spent": account.spent,
                "pending": self.tasks.pending(team_id),
                "pending_cap": team.pending_cap,
                "keys": sorted(team.keys),
                "progression": str(team.progression or self._progression),
                "outcomes": team.outcomes.names(),
                "now": self.now(team_id),
            }

    def put_team(
        self,
        team_id: str,
        *,
        credits: int | None = None,
        pending_cap: int | None = None,
        keys: Iterable[str] | None = None,
        progression: str | None = None,
        outcomes: str | list[str] | None = None,
    ) -> dict[str, Any]:
        """Create or change a team. Policies are checked before anything changes."""
        new_progression = _checked(parse_progression, progression, "progression")
        new_outcomes = _checked(parse_outcomes, outcomes, "outcomes")
        with self._lock:
            now = self._settle(team_id)
            team = self._team(team_id)
            if keys is not None:
                self.accounts.set_keys(team_id, keys)
            if pending_cap is not None:
                team.pending_cap = pending_cap
            if credits is not None:
                self.ledger.set_available(team_id, credits, now)
            if new_progression is not None:
                team.progression = new_progression
            if new_outcomes is not None:
                team.outcomes = OutcomeSequence(new_outcomes)
            return self.team(team_id)

    def ledger_entries(self, team_id: str) -> list[Entry]:
        with self._lock:
            self._settle(team_id)
            if team_id not in self.ledger:
                raise NotFound(f"no team {team_id!r}")
            return list(self.ledger.account(team_id).entries)

    # -- video tasks -----------------------------------------------------------

    def submit(
        self, team_id: str, route: str, request: CreateRequest, trace_id: str | None = None
    ) -> Submission:
        """Create a task: rules, referenced resources, pending cap, balance, in that order."""
        with self._lock:
            now = self._settle(team_id)
            team = self._team(team_id)
            if trace_id is not None and (team_id, trace_id) in self._trace_ids:
                original = self.tasks.get(self._trace_ids[team_id, trace_id])
                if original is not None:
                    return Submission(original, replayed=True)
            references.check_request(route, request)
            directives = parse_directives(request.prompt)
            shape = references.resolve(self.uploads, self.tasks, team_id, request)
            if self.tasks.pending(team_id) >= team.pending_cap:
                raise TooManyPending(
                    f"Too many pending tasks: the team has {self.tasks.pending(team_id)} "
                    f"running and its pending cap is {team.pending_cap}",
                    reason="pending_cap",
                )
            audio = request.generate_audio_switch
            price = rules.price(request.model, request.quality, request.duration, audio)
            video_id = self._new_id()
            self.ledger.hold(team_id, video_id, price, now)
            seed = request.seed or self._rng.randint(1, rules.SEED_MAX)
            progression = directives.progression or team.progression or self._progression
            task = Task(
                video_id=video_id,
                team_id=team_id,
                route=route,
                request=request.model_dump(mode="json", exclude_unset=True),
                trace_id=trace_id or "",
                model=request.model,
                quality=request.quality,
                price=price,
                video=VideoSpec(shape.width, shape.height, shape.seconds, audio, seed),
                created_at=now,
                due_at=None,
                outcome=directives.outcome or team.outcomes.next(),
            )
            _plan(task, progression)
            self.tasks.add(task)
            if trace_id is not None:
                self._trace_ids[team_id, trace_id] = video_id
            for name in directives.used:
                self.coverage.note("directives", name)
            self.coverage.note("statuses", int(Status.RUNNING))
            self._settle(team_id)  # an instant task is done before the create answers
            return Submission(task, replayed=False)

    def result(self, team_id: str, video_id: int) -> Task:
        """A result read by its owner; a `polls:N` task completes on its Nth read."""
        with self._lock:
            now = self._settle(team_id)
            task = self.tasks.get(video_id)
            if task is None:
                raise NotFound(f"video_id {video_id} not found", reason="unknown_video")
            references.check_owner(task.team_id, team_id, f"video {video_id}")
            task.reads += 1
            if task.status is Status.RUNNING and task.due_polls is not None:
                if task.reads >= task.due_polls:
                    self._move(task, task.outcome, now)
            return _with_size(task)

    def task(self, video_id: int) -> Task:
        """Any team's task, for the control plane."""
        with self._lock:
            task = self.tasks.get(video_id)
            if task is not None:
                self._settle(task.team_id)
            if task is None:
                raise NotFound(f"video_id {video_id} not found")
            return _with_size(task)

    def set_status(self, video_id: int, status: int) -> Task:
        """Force a transition (5 -> 1/6/7/8, 1 -> 6) through the same edge as a due one."""
        with self._lock:
            task = self.task(video_id)
            now = self.now(task.team_id)
            target = Status(status) if status in Status._value2member_map_ else None
            if target is None or not task.can_move_to(target):
                raise Conflict(
                    f"video {video_id} is at status {int(task.status)}; cannot move it to "
                    f"{status} (allowed: 5 -> 1, 6, 7, 8 and 1 -> 6)"
                )
            self._move(task, target, now)
            return _with_size(task)

    def set_policy(
        self, video_id: int, progression: str | None = None, outcome: str | None = None
    ) -> Task:
        """Change a running task's progression (counted from its creation) or outcome."""
        new_progression = _checked(parse_progression, progression, "progression")
        new_outcome = _checked(parse_outcomes, outcome, "outcome")
        with self._lock:
            task = self.task(video_id)
            if task.status is not Status.RUNNING:
                raise Conflict(f"video {video_id} is no longer running (status {task.status})")
            if new_outcome is not None:
                task.outcome = new_outcome[0]
            if new_progression is not None:
                _plan(task, new_progression)
                self.tasks.schedule(task)
            self._settle(task.team_id)
            if task.due_polls is not None and task.reads >= task.due_polls:
                self._move(task, task.outcome, self.now(task.team_id))  # its Nth read is past
            return _with_size(task)

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

    # -- uploads -------------------------------------------------------------

    def store_file(self, source: BinaryIO, kind: str, fmt: str) -> StoredFile:
        """Copy an upload into the store (outside the lock: it is slow and touches no state)."""
        from .uploads import file_name, save

        return save(source, self._root, self._new_token(), file_name(kind, fmt), fmt)

    def add_image(
        self, team_id: str, file: StoredFile | None, url: str | None, info: Any
    ) -> StoredImage:
        with self._lock:
            now = self._settle(team_id)
            self._team(team_id)
            image = StoredImage(self._new_id(), team_id, now, file, url, info)
            self.uploads.add_image(image)
            return image

    def add_media(
        self,
        team_id: str,
        media_type: str,
        file: StoredFile | None,
        url: str | None,
        info: MediaInfo | None,
    ) -> StoredMedia:
        with self._lock:
            now = self._settle(team_id)
            self._team(team_id)
            kind: MediaKind = "video" if media_type == "video" else "audio"
            media = StoredMedia(self._new_id(), team_id, now, kind, file, url, info)
            self.uploads.add_media(media)
            return media

    def image(self, img_id: int) -> StoredImage:
        """Any team's uploaded image, for the control plane."""
        with self._lock:
            image = self.uploads.images.get(img_id)
            if image is None:
                raise NotFound(f"img_id {img_id} not found")
            return image

    def media(self, media_id: int) -> StoredMedia:
        """Any team's uploaded media, for the control plane."""
        with self._lock:
            media = self.uploads.media.get(media_id)
            if media is None:
                raise NotFound(f"media_id {media_id} not found")
            return media

    def download(self, token: str) -> Download:
        """The file behind a returned URL; unknown and deleted ones are 404."""
        with self._lock:
            stored = self.uploads.files.get(token)
            if stored is not None:
                etag = f'"{token}-{stored.size:x}"'
                return Download(stored.content_type, stored.size, etag, path=stored.path)
            task = self.tasks.get(self._video_tokens.get(token, -1))
            if task is not None:
                self._settle(task.team_id)
            if task is None or task.status is not Status.SUCCEEDED:
                raise NotFound("no file at this URL", reason="unknown_file")
            video = task.video
        data = render_video(*_render_args(video))
        return Download("video/mp4", len(data), f'"{token}-{len(data):x}"', data=data)

    # -- faults ------------------------------------------------------------------

    def add_fault(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            return self.faults.add(rule)

    def list_faults(self, team: str | None = None) -> list[FaultRule]:
        with self._lock:
            return [rule.model_copy() for rule in self.faults.rules(team)]

    def remove_fault(self, fault_id: int) -> None:
        with self._lock:
            if not self.faults.remove(fault_id):
                raise NotFound(f"no fault rule {fault_id}")

    def clear_faults(self, team: str | None = None) -> None:
        with self._lock:
            self.faults.clear(team)

    def match_fault(self, route: str, method: str, team: str | None) -> FaultRule | None:
        """The fault to apply to this request, if a rule fires (read-only on teams)."""
        with self._lock:
            return self.faults.match(route, method, team)

    def team_for_key(self, key: str | None) -> str | None:
        """Which team a key belongs to, without opening a team for it."""
        with self._lock:
            return self.accounts.team_id_for(key or "")

    def owner_of_file(self, token: str) -> str | None:
        """The team that uploaded a file or created a result video, for download faults."""
        with self._lock:
            stored = self.uploads.owner_of_token(token)
            if stored is not None:
                return stored
            task = self.tasks.get(self._video_tokens.get(token, -1))
            return task.team_id if task else None

    # -- journal ---------------------------------------------------------------

    def record_request(self, *, method: str, path: str, **fields: Any) -> None:
        route = route_name(method, path)
        with self._lock:
            entry = self.journal.record(
                time=self.clock.now(), method=method, path=path, route=route, **fields
            )
            self.coverage.note("routes", route)
            self.coverage.note("err_codes", entry.err_code)

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """The journal, oldest first, filtered by team, route, status, err_code, trace_id."""
        with self._lock:
            return [e.as_dict() for e in self.journal.entries() if matches(e, filters)]

    def clear_requests(self, team: str | None = None) -> None:
        with self._lock:
            self.journal.clear(team)

    def coverage_report(self) -> dict[str, Any]:
        with self._lock:
            return self.coverage.report()

    def clear_coverage(self) -> None:
        with self._lock:
            self.coverage.clear()


def _plan(task: Task, progression: Progression) -> None:
    """Set when a task completes: by its team's clock, or by its reads."""
    task.progression = str(progression)
    task.due_at, task.due_polls = None, None
    if progression.kind == "instant":
        task.due_at = task.created_at
    elif progression.kind == "seconds":
        task.due_at = task.created_at + progression.amount
    elif progression.kind == "polls":
        task.due_polls = int(progression.amount)


T = TypeVar("T")


def _checked(parse: Callable[[Any], T], value: Any, field: str) -> T | None:
    """Parse a policy value from the control plane; a bad one is 400013 naming it."""
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        raise InvalidField(f"{field}: {exc}", reason="policy") from exc


def _with_size(task: Task) -> Task:
    """A finished video's byte size, rendered the first time someone asks (most tasks in a
    load test are never read after they finish, so rendering at the edge would be waste)."""
    if task.status is Status.SUCCEEDED and task.size is None:
        task.size = len(render_video(*_render_args(task.video)))
    return task


def _render_args(video: VideoSpec) -> tuple[int, int, float, bool, int]:
    return video.width, video.height, video.seconds, video.has_audio, video.seed


def _auth_message(key: str | None) -> str:
    if not key:
        return "Missing API key: send 'Authorization: Bearer <key>' or 'API-KEY: <key>'"
    return "Invalid API key: this key belongs to no team"
