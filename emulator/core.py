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
from typing import Any, BinaryIO

from . import references, rules
from .accounts import Accounts, Team
from .clock import Clock, ManualClock, make_clock
from .directives import plan_for
from .downloads import Download
from .errors import Conflict, NotFound, TooManyPending, Unauthorized
from .journal import Journal
from .ledger import Entry, Ledger
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
        self._build()

    # -- lifecycle -----------------------------------------------------------

    def _build(self) -> None:
        self._rng = random.Random(self.settings.seed)
        self.accounts = Accounts(self.settings.auth)
        self.ledger = Ledger()
        self.tasks = TaskBook()
        self.uploads.clear()
        self._trace_ids: dict[tuple[str, str], int] = {}
        self._video_tokens: dict[str, int] = {}
        now = self.clock.now()
        for team in self.settings.teams:
            self._open_team(team.id, now, team.credits, team.pending_cap, team.keys)

    def reset(self) -> None:
        """Back to the configured teams, with no tasks, uploads or journal entries."""
        with self._lock:
            self._build()
            self.journal.clear()

    def close(self) -> None:
        """Remove the uploaded files (the whole folder when the emulator made it)."""
        with self._lock:
            self.uploads.clear()
            if self._owns_root:
                shutil.rmtree(self._root, ignore_errors=True)

    # -- time ------------------------------------------------------------------

    def _settle(self) -> float:
        """Apply every transition that has fallen due, each at its own due time."""
        now = self.clock.now()
        for task in self.tasks.due(now):
            assert task.due_at is not None
            self._move(task, task.outcome, task.due_at)
        return now

    def advance(self, seconds: float) -> float:
        if not isinstance(self.clock, ManualClock):
            raise Conflict("the clock is the wall clock; start with clock=manual to move it")
        with self._lock:
            try:
                now = self.clock.advance(seconds)
            except ValueError as exc:
                raise Conflict(str(exc)) from exc
            self._settle()
            return now

    def clock_info(self) -> dict[str, Any]:
        return {"now": self.clock.now(), "mode": self.clock.mode}

    # -- teams and keys --------------------------------------------------------

    def _open_team(
        self,
        team_id: str,
        at: float,
        credits: int | None = None,
        pending_cap: int | None = None,
        keys: Iterable[str] = (),
    ) -> Team:
        cap = self.settings.default_pending_cap if pending_cap is None else pending_cap
        team = self.accounts.add(Team(team_id, cap, set(keys)))
        start = self.settings.default_credits if credits is None else credits
        self.ledger.open(team_id, start, at)
        return team

    def _team(self, team_id: str, at: float) -> Team:
        return self.accounts.get(team_id) or self._open_team(team_id, at)

    def authenticate(self, key: str | None) -> str:
        """The team id for an API key; in open mode an unlisted key opens its own team."""
        with self._lock:
            team_id = self.accounts.team_id_for(key or "")
            if team_id is None:
                raise Unauthorized(_auth_message(key), reason="auth")
            self._team(team_id, self.clock.now())
            return team_id

    def team(self, team_id: str) -> dict[str, Any]:
        with self._lock:
            self._settle()
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
            }

    def put_team(
        self,
        team_id: str,
        *,
        credits: int | None = None,
        pending_cap: int | None = None,
        keys: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            now = self._settle()
            team = self._team(team_id, now)
            if keys is not None:
                self.accounts.set_keys(team_id, keys)
            if pending_cap is not None:
                team.pending_cap = pending_cap
            if credits is not None:
                self.ledger.set_available(team_id, credits, now)
            return self.team(team_id)

    def ledger_entries(self, team_id: str) -> list[Entry]:
        with self._lock:
            self._settle()
            if team_id not in self.ledger:
                raise NotFound(f"no team {team_id!r}")
            return list(self.ledger.account(team_id).entries)

    # -- video tasks -----------------------------------------------------------

    def submit(
        self, team_id: str, route: str, request: CreateRequest, trace_id: str | None = None
    ) -> Submission:
        """Create a task: rules, referenced resources, pending cap, balance, in that order."""
        with self._lock:
            now = self._settle()
            team = self._team(team_id, now)
            if trace_id is not None and (team_id, trace_id) in self._trace_ids:
                original = self.tasks.get(self._trace_ids[team_id, trace_id])
                if original is not None:
                    return Submission(original, replayed=True)
            references.check_request(route, request)
            plan = plan_for(request.prompt, self.settings.run_seconds)
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
                due_at=None if plan.seconds is None else now + plan.seconds,
                outcome=plan.outcome,
            )
            self.tasks.add(task)
            if trace_id is not None:
                self._trace_ids[team_id, trace_id] = video_id
            self._settle()  # a zero-second run is done before the create answers
            return Submission(task, replayed=False)

    def result(self, team_id: str, video_id: int) -> Task:
        with self._lock:
            self._settle()
            task = self.tasks.get(video_id)
            if task is None:
                raise NotFound(f"video_id {video_id} not found", reason="unknown_video")
            references.check_owner(task.team_id, team_id, f"video {video_id}")
            return _with_size(task)

    def task(self, video_id: int) -> Task:
        """Any team's task, for the control plane."""
        with self._lock:
            self._settle()
            task = self.tasks.get(video_id)
            if task is None:
                raise NotFound(f"video_id {video_id} not found")
            return _with_size(task)

    def set_status(self, video_id: int, status: int) -> Task:
        """Force a transition (5 -> 1/6/7/8, 1 -> 6) through the same edge as a due one."""
        with self._lock:
            now = self._settle()
            task = self.task(video_id)
            target = Status(status) if status in Status._value2member_map_ else None
            if target is None or not task.can_move_to(target):
                raise Conflict(
                    f"video {video_id} is at status {int(task.status)}; cannot move it to "
                    f"{status} (allowed: 5 -> 1, 6, 7, 8 and 1 -> 6)"
                )
            self._move(task, target, now)
            return _with_size(task)

    def _move(self, task: Task, status: Status, at: float) -> None:
        """The one edge function: ledger and media side effects happen here, once."""
        previous = task.status
        task.move(status, at)
        self.tasks.moved(task, previous)
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
            now = self._settle()
            self._team(team_id, now)
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
            now = self._settle()
            self._team(team_id, now)
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
            self._settle()
            stored = self.uploads.files.get(token)
            if stored is not None:
                etag = f'"{token}-{stored.size:x}"'
                return Download(stored.content_type, stored.size, etag, path=stored.path)
            task = self.tasks.get(self._video_tokens.get(token, -1))
            if task is None or task.status is not Status.SUCCEEDED:
                raise NotFound("no file at this URL", reason="unknown_file")
            video = task.video
        data = render_video(*_render_args(video))
        return Download("video/mp4", len(data), f'"{token}-{len(data):x}"', data=data)

    # -- journal ---------------------------------------------------------------

    def record_request(self, **fields: Any) -> None:
        with self._lock:
            self.journal.record(time=self.clock.now(), **fields)

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [entry.as_dict() for entry in self.journal.entries()]

    def clear_requests(self) -> None:
        with self._lock:
            self.journal.clear()


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
