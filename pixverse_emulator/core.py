"""The Emulator: one object that owns all state, with one method per use case.

The HTTP API, the control plane and the pytest plugin all call these methods. They are
split by use case along one line of classes: the state, its units of work and shared
rules (`state.State`), where the state comes from and resets (`lifecycle.Lifecycle`),
the control plane (`control.Control`), snapshots (`snapshots.Snapshots`), and here the
public API's: creating and reading video tasks, uploads and downloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel

from .domain import edits, keyframes, masks, references, rules
from .domain.directives import Directives, parse_directives
from .domain.packing import Packed, pack_model
from .domain.policies import (
    checked,
    parse_outcomes,
    parse_progression,
    schedule,
)
from .domain.schemas import CreateRequest, EditRequest, MaskSelection, MultiTransitionCreate
from .domain.task import RUNNING
from .domain.tasks import Status, Task, VideoSpec, video_shape
from .domain.uploads import (
    MediaKind,
    StoredFile,
    StoredImage,
    StoredMedia,
    Upload,
    stored_file,
    upload_id,
    url_size,
)
from .errors import Conflict, NotFound, TooManyPending
from .ids import draw
from .media.probe import ImageInfo, MediaInfo
from .snapshots import Snapshots
from .state import render_args, with_size
from .store.base import storing
from .store.files import Download, Incoming, OpenFile

U = TypeVar("U", StoredImage, StoredMedia)
RUNNING_CODE = int(Status.RUNNING)  # as coverage notes statuses


class Plan(NamedTuple):  # a tuple: a frozen dataclass's init costs a µs on every create
    """What a task will be, worked out by its route's checks before anything is held."""

    model: str
    quality: str
    price: int
    video: VideoSpec  # the shape (`video_shape`), seed 0
    directives: Directives  # the prompt's [emulator:...] choices
    seed: int = 0  # the request's; 0: draw one
    packed: Packed | None = None  # the request as the task keeps it (None: pack it)


class Prepared(NamedTuple):
    """What a create's rules make of the request alone (`Emulator.prepare`): a client
    that sends one body again and again has it worked out once (`http/hot_routes.py`)."""

    route: str
    request: CreateRequest
    packed: Packed
    directives: Directives
    price: int
    plan: Plan | None  # the whole plan; None: referenced resources decide the shape


class Submission(NamedTuple):  # a tuple, as Plan: one is made on every create
    task: Task
    replayed: bool  # True: a resend with a known Ai-trace-id, nothing charged


class Emulator(Snapshots):
    # -- video tasks -----------------------------------------------------------

    def prepare(self, route: str, request: CreateRequest) -> Prepared:
        """A create's checks of the request alone, in the order `submit` makes them:
        the profile's rules, the route's, the prompt's directives, then the price."""
        self.profile.check(route, request)
        references.check_request(route, request)
        directives = parse_directives(request.prompt)  # body rules before resources
        shape = references.own_shape(request)
        audio = request.generate_audio_switch
        price = self.profile.price(request.model, request.quality, request.duration, audio,
                                   request.motion_mode)
        packed = pack_model(request)
        plan = None if shape is None else Plan(
            request.model, request.quality, price,
            video_shape(shape.width, shape.height, shape.seconds, audio), directives,
            request.seed or 0, packed)
        return Prepared(route, request, packed, directives, price, plan)

    def submit(
        self, team_id: str, route: str, request: CreateRequest | Prepared,
        trace_id: str | None = None,
    ) -> Submission:
        """Create a task: rules, referenced resources, pending cap, balance, in that order.
        `request` may come prepared (`prepare`, for this route)."""
        if isinstance(request, Prepared):
            assert request.route == route, "prepared for another route"
            ready: Prepared | None = request
            request = request.request
        else:
            ready = None
        if ready is not None and ready.plan is not None:  # nothing left to check
            return self._create(team_id, route, request, trace_id, ready.plan)
        body = request

        def planned() -> Plan:
            found = ready if ready is not None else self.prepare(route, body)
            if found.plan is not None:
                return found.plan
            # The shape is the referenced resources': check them.
            shape = references.resolve(self.world.uploads, self.world.tasks, team_id, body)
            video = video_shape(shape.width, shape.height, shape.seconds,
                                body.generate_audio_switch)
            return Plan(body.model, body.quality, found.price, video, found.directives,
                        body.seed or 0, found.packed)

        return self._create(team_id, route, request, trace_id, planned)

    def submit_edit(
        self, team_id: str, route: str, request: EditRequest, trace_id: str | None = None
    ) -> Submission:
        """Create a task from a video (lip sync, sound effect): the same lifecycle,
        ledger, caps and policies as a create; the result keeps the source's picture
        and length, with sound."""
        pricing = self.profile.edit_pricing
        assert pricing is not None, "the route exists only where the profile prices it"

        def planned() -> Plan:
            speakers = [speaker_id for speaker_id, _ in self.profile.speakers]
            restyles = [restyle_id for restyle_id, _, _ in self.profile.restyles]
            found = edits.plan(route, request, self.world.uploads, self.world.tasks, team_id,
                               pricing, speakers, restyles)
            source = found.source
            seed = getattr(request, "seed", None) or 0
            return Plan("", found.quality, found.price,
                        video_shape(source.width, source.height, source.seconds,
                                    found.has_audio),
                        parse_directives(getattr(request, "restyle_prompt", None) or ""), seed)

        return self._create(team_id, route, request, trace_id, planned)

    def select_masks(self, team_id: str, request: MaskSelection, base_url: str
                     ) -> dict[str, Any]:
        """Mask selection: answered at once (no task), charged at once."""
        pricing = self.profile.edit_pricing
        assert pricing is not None, "the route exists only where the profile prices it"
        with self._unit(team_id):
            now = self._settle(team_id)
            references.check_one_source("mask_selection", request)
            source = references.video_source(self.world.uploads, self.world.tasks, team_id,
                                             "mask_selection", request)
            masks.check_keyframe("keyframe_id", request.keyframe_id, source)
            self._team(team_id)
            ledger = self.world.ledger
            ledger.check_hold(team_id, pricing.mask_selection)
            charge_id = self._new_id()
            ledger.hold(team_id, charge_id, pricing.mask_selection, now)
            ledger.capture(team_id, charge_id, now)
            self._changes.ledger(team_id)
            size = f"{source.width}x{source.height}"
            key = masks.source_key(request.source_video_id, request.video_media_id)
            found = masks.masks(team_id, key, request.keyframe_id)
            return {"keyframe_id": request.keyframe_id,
                    "keyframe_url": f"{base_url}/covers/frame/{size}/{request.keyframe_id}.png",
                    "credits": pricing.mask_selection,
                    "mask_info": [{"mask_id": m.mask_id, "mask_name": m.mask_name,
                                   "mask_url": f"{base_url}/covers/mask/{size}/{m.mask_name}.png"}
                                  for m in found]}

    def submit_multi_transition(
        self, team_id: str, request: MultiTransitionCreate, trace_id: str | None = None
    ) -> Submission:
        """A video through 2 to 7 uploaded images (`domain/keyframes.py`)."""
        pricing = self.profile.edit_pricing
        assert pricing is not None, "the route exists only where the profile prices it"
        route = "multi_transition"

        def planned() -> Plan:
            self.profile.check_model(route, request.model)
            directives = parse_directives(keyframes.prompts(request))
            shape = keyframes.plan(request, self.world.uploads, team_id)
            price = pricing.multi_transition(request.quality, int(shape.seconds))
            return Plan(request.model, request.quality, price,
                        video_shape(shape.width, shape.height, shape.seconds, False),
                        directives, request.seed or 0)

        return self._create(team_id, route, request, trace_id, planned)

    def _create(self, team_id: str, route: str, request: BaseModel, trace_id: str | None,
                planned: Callable[[], Plan] | Plan) -> Submission:
        """The one way a task starts: a replayed trace id answers as before; else the
        route's checks (`planned`, or the plan they already made), the pending cap and
        the balance, then the hold."""
        with self._unit(team_id):
            now = self._settle(team_id)
            world = self.world
            known = None if trace_id is None else world.trace_ids.find(team_id, trace_id)
            if known is not None:
                original = world.tasks.get(known)
                if original is not None:
                    return Submission(original, replayed=True)
            plan = planned if isinstance(planned, Plan) else planned()
            directives = plan.directives
            team = self._team(team_id)
            if world.tasks.pending(team_id) >= team.pending_cap:
                raise TooManyPending(
                    f"Too many pending tasks: the team has {world.tasks.pending(team_id)} "
                    f"running and its pending cap is {team.pending_cap}",
                    reason="pending_cap",
                )
            # Before drawing an id: a refusal writes nothing.
            world.ledger.check_hold(team_id, plan.price)
            self.evictor.room_for_task(world, self._changes, team_id)
            video_id = self._new_id()
            world.ledger.hold(team_id, video_id, plan.price, now)
            self._changes.ledger(team_id)
            seed = plan.seed or draw(self._rng, 1, rules.SEED_MAX)
            progression = directives.progression or team.progression or self._progression
            task = Task.started(video_id, team_id, route, plan.packed or pack_model(request),
                                trace_id or "", plan.model, plan.quality, plan.price, plan.video,
                                seed, now, directives.outcome or self._next_outcome(team))
            schedule(task, progression)
            world.tasks.add(task)
            if task.due_at is not None and team.webhook_url is not None:
                self.wake(task.due_at - world.offsets.get(team_id, 0.0))
            self._changes.task(task)
            if trace_id is not None:
                world.trace_ids[task.team_id, trace_id] = video_id  # kept with the task's row
            for name in directives.used:
                self.coverage.note("directives", name)
            self.coverage.note("statuses", RUNNING_CODE)
            if task.due_at is not None and task.due_at <= now:
                self._settle(team_id)  # an instant task is done before the create answers
            return Submission(task, False)  # not replayed

    def result(self, team_id: str, video_id: int) -> Task:
        """A result read by its owner; a `polls:N` task completes on its Nth read (its
        read count is state; other reads are counted in memory only, so a poll that
        changes nothing writes nothing)."""
        with self._unit(team_id):
            now = self._settle(team_id)
            task = self.world.tasks.get(video_id)
            if task is None:
                raise NotFound(f"video_id {video_id} not found", reason="unknown_video")
            references.check_owner(task.team_id, team_id, f"video {video_id}")
            task.reads += 1
            if task.status is RUNNING and task.due_polls is not None:
                self._changes.task(task)
                if task.reads >= task.due_polls:
                    self._move(task, task.outcome, now,
                               f"result read {task.reads} ({task.progression})")
            return with_size(task)

    def task(self, video_id: int) -> Task:
        """Any team's task, for the control plane."""
        with self._unit(None):
            task = self.world.tasks.get(video_id)
            if task is not None:
                self._settle(task.team_id)
            if task is None:
                raise NotFound(f"video_id {video_id} not found")
            return with_size(task)

    def set_status(self, video_id: int, status: int, reason: str = "set through the control plane"
                   ) -> Task:
        """Force a transition (5 -> 1/6/7/8, 1 -> 6) through the same edge as a due one."""
        with self._unit(None):
            task = self.task(video_id)
            now = self.now(task.team_id)
            target = Status(status) if status in Status._value2member_map_ else None
            if target is None or not task.can_move_to(target):
                raise Conflict(
                    f"video {video_id} is at status {int(task.status)}; cannot move it to "
                    f"{status} (allowed: 5 -> 1, 6, 7, 8 and 1 -> 6)"
                )
            self._move(task, target, now, reason)
            return with_size(task)

    def set_policy(
        self, video_id: int, progression: str | None = None, outcome: str | None = None
    ) -> Task:
        """Change a running task's progression (`seconds:N` counted from its creation,
        `polls:N` from this change) or outcome."""
        new_progression = checked(parse_progression, progression, "progression")
        new_outcome = checked(parse_outcomes, outcome, "outcome")
        with self._unit(None):
            task = self.task(video_id)
            if task.status is not Status.RUNNING:
                raise Conflict(f"video {video_id} is no longer running (status {task.status})")
            self._changes.task(task)
            if new_outcome is not None:
                task.outcome = new_outcome[0]
            if new_progression is not None:
                schedule(task, new_progression)
                task.reads = 0  # polls:N counts the reads from this change on
                self.world.tasks.schedule(task)
            self._settle(task.team_id)
            return with_size(task)

    # -- uploads -------------------------------------------------------------

    def receive_file(self) -> Incoming:
        """A new file in the store for an upload's bytes, written as they arrive (once:
        accepting it later only renames it)."""
        with storing("the upload"):
            return self.files.receive(self._new_token())

    def write_file(self, incoming: Incoming, data: bytes) -> None:
        with storing("the upload"):
            incoming.write(data)

    def discard_file(self, incoming: Incoming) -> None:
        incoming.file.close()
        self.files.discard(incoming.token)

    def add_image(
        self, team_id: str, incoming: Incoming | None, url: str | None, info: ImageInfo | None
    ) -> StoredImage:
        stored = self._keep(incoming, "image", info.format if info else None)
        return self._record(team_id, incoming, stored.size if stored else url_size(url),
                            lambda id_, now: StoredImage(id_, team_id, now, stored, url, info))

    def add_media(
        self,
        team_id: str,
        media_type: str,
        incoming: Incoming | None,
        url: str | None,
        info: MediaInfo | None,
    ) -> StoredMedia:
        stored = self._keep(incoming, "media", info.container if info else None)
        kind: MediaKind = "video" if media_type == "video" else "audio"
        return self._record(
            team_id, incoming, stored.size if stored else url_size(url),
            lambda id_, now: StoredMedia(id_, team_id, now, kind, stored, url, info))

    def _keep(self, incoming: Incoming | None, kind: str, fmt: str | None) -> StoredFile | None:
        """A received file under its name (a rename, outside the lock)."""
        if incoming is None or fmt is None:
            return None
        stored = stored_file(incoming.token, kind, fmt, incoming.size)
        with storing("the upload"):
            self.files.keep(incoming, stored.name)
        return stored

    def _record(
        self,
        team_id: str,
        incoming: Incoming | None,
        size: int,
        make: Callable[[int, float], U],
    ) -> U:
        """An upload into the team's records, making room for its `size` first (an
        upload by URL counts a nominal size, so it can be evicted too)."""
        with self._unit(team_id):
            now = self._settle(team_id)
            self._team(team_id)
            self.evictor.room_for_upload(self.world, self._changes, team_id, size)
            upload = make(self._new_id(), now)
            self._add_upload(upload)
        if incoming is not None:  # recorded: the file is the record's, no longer in flight
            self.files.settled(incoming.token)
        return upload

    def _add_upload(self, upload: Upload) -> None:
        self.world.uploads.add(upload)
        self._changes.upload(upload_id(upload), upload)

    def image(self, img_id: int) -> StoredImage:
        """Any team's uploaded image, for the control plane."""
        with self._lock:
            image = self.world.uploads.images.get(img_id)
            if image is None:
                raise NotFound(f"img_id {img_id} not found")
            return image

    def media(self, media_id: int) -> StoredMedia:
        """Any team's uploaded media, for the control plane."""
        with self._lock:
            media = self.world.uploads.media.get(media_id)
            if media is None:
                raise NotFound(f"media_id {media_id} not found")
            return media

    def download(self, token: str) -> Download:
        """The file behind a returned URL; unknown and deleted ones are 404."""
        with self._unit(None):
            stored = self.world.uploads.files.get(token)
            if stored is not None:
                etag = f'"{token}-{stored.size:x}"'
                with storing("the download"):
                    opened = OpenFile(self.files.path(token, stored.name))
                return Download(stored.content_type, stored.size, etag, file=opened)
            task = self.world.tasks.get(self.world.video_tokens.get(token, -1))
            if task is not None:
                self._settle(task.team_id)
            if task is None or task.status is not Status.SUCCEEDED:
                raise NotFound("no file at this URL", reason="unknown_file")
            video, video_id = task.video, task.video_id
        # Here, not at the top: the video writer is a dozen modules no start needs.
        from .media.video import render_video

        data = render_video(*render_args(video))
        etag = f'"{token}-{len(data):x}"'
        return Download("video/mp4", len(data), etag, data=data, video_id=video_id)
