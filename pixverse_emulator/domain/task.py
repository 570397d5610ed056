"""One video task: its status, the transition table, and its record, kept compact.

A task runs at status 5 until its due time (or its Nth result read), then moves to
its planned outcome (1, 7 or 8). Status 6 (deleted) is only ever forced. A load test
keeps tens of thousands of finished tasks, so a task is a slots object whose request
is packed (`packing`), whose video shape is shared with every task alike and whose
timeline is one flat tuple.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import Any

from .packing import Packed, pack, shared, unpack


class Status(IntEnum):
    SUCCEEDED = 1
    RUNNING = 5
    DELETED = 6
    MODERATED = 7
    FAILED = 8


# The members as plain names, for the hot paths: in Python 3.11 reading one off the
# class (`Status.RUNNING`) goes through the enum's metaclass, about 0.1 µs a time.
RUNNING, SUCCEEDED, DELETED = Status.RUNNING, Status.SUCCEEDED, Status.DELETED

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RUNNING: frozenset(
        {Status.SUCCEEDED, Status.DELETED, Status.MODERATED, Status.FAILED}
    ),
    Status.SUCCEEDED: frozenset({Status.DELETED}),
}
NOWHERE: frozenset[Status] = frozenset()  # where a final status other than 1 can go


@dataclass(frozen=True, slots=True)
class VideoSpec:
    """What the finished video will be: enough to render it byte for byte."""

    width: int
    height: int
    seconds: float
    has_audio: bool
    seed: int


@lru_cache(maxsize=1024)
def video_shape(width: int, height: int, seconds: float, has_audio: bool) -> VideoSpec:
    """One `VideoSpec` (seed 0) shared by every task of this shape: tasks alike keep
    only their seed of their own."""
    return VideoSpec(width, height, seconds, has_audio, 0)


def shape_of(video: VideoSpec) -> VideoSpec:
    return video_shape(video.width, video.height, video.seconds, video.has_audio)


Event = tuple[float, Status, str]  # a transition: when, to which status, and why
CREATED = "created"


@dataclass(slots=True, init=False)
class Task:
    """One video task. Compact, since a load test keeps tens of thousands: slots, the
    request packed (`packing`), the video's shape shared with every task alike (only
    `seed` is the task's own) and the timeline as one flat tuple (`events`). `request`,
    `video` and `timeline` read them back as before."""

    video_id: int
    team_id: str
    route: str
    packed: Packed
    trace_id: str
    model: str
    quality: str
    price: int
    shape: VideoSpec  # seed 0: the task's seed is `seed`
    seed: int
    created_at: float
    due_at: float | None  # by the team's clock; None: not by time
    outcome: Status
    due_polls: int | None  # completes on this result read
    progression: str
    reads: int
    status: Status
    modified_at: float
    size: int | None
    token: str
    # each transition: when, to which status, and why (a person reads the reason),
    # flat: (time, status, reason, time, status, reason, ...)
    events: tuple[Any, ...]

    def __init__(
        self,
        video_id: int,
        team_id: str,
        route: str,
        request: Mapping[str, Any] | Packed,
        trace_id: str,
        model: str,
        quality: str,
        price: int,
        video: VideoSpec,
        created_at: float,
        due_at: float | None,
        outcome: Status,
        due_polls: int | None = None,
        progression: str = "",
        reads: int = 0,
        status: Status = Status.RUNNING,
        modified_at: float = 0.0,
        size: int | None = None,
        token: str = "",
        timeline: Iterable[Event] = (),
        *,
        seed: int | None = None,  # given: the seed, and `video` may be a shape
    ) -> None:
        self.video_id = video_id
        self.team_id = shared(team_id)
        self.route = shared(route)
        self.packed = request if isinstance(request, tuple) else pack(request)
        self.trace_id = trace_id
        self.model = shared(model)
        self.quality = shared(quality)
        self.price = price
        self.shape = shape_of(video)
        self.seed = video.seed if seed is None else seed
        self.created_at = created_at
        self.due_at = due_at
        self.outcome = outcome
        self.due_polls = due_polls
        self.progression = progression
        self.reads = reads
        self.status = status
        self.modified_at = modified_at
        self.size = size
        self.token = token
        self.events = tuple(part for event in timeline for part in event)
        if not self.events:  # a new task; a restored one brings its own
            self.modified_at = created_at
            self.events = (created_at, Status.RUNNING, CREATED)

    @classmethod
    def started(cls, video_id: int, team_id: str, route: str, packed: Packed, trace_id: str,
                model: str, quality: str, price: int, shape: VideoSpec, seed: int,
                created_at: float, outcome: Status) -> Task:
        """A new task at status 5, not yet scheduled (`policies.schedule`): a create's
        way in, without the conversions `__init__` makes for a restored one. `shape`
        is a `video_shape` (seed 0) and `route` one of the route table's names."""
        task = cls.__new__(cls)
        task.video_id, task.team_id, task.route = video_id, shared(team_id), route
        task.packed, task.trace_id = packed, trace_id
        task.model, task.quality, task.price = shared(model), shared(quality), price
        task.shape, task.seed, task.created_at = shape, seed, created_at
        task.due_at, task.outcome, task.due_polls, task.progression = None, outcome, None, ""
        task.reads, task.status, task.modified_at = 0, RUNNING, created_at
        task.size, task.token, task.events = None, "", (created_at, RUNNING, CREATED)
        return task

    @property
    def request(self) -> dict[str, Any]:
        """The request as the client sent it (the fields it set), a new dict each time."""
        return unpack(self.packed)

    @property
    def video(self) -> VideoSpec:
        shape = self.shape
        return VideoSpec(shape.width, shape.height, shape.seconds, shape.has_audio, self.seed)

    @property
    def timeline(self) -> list[Event]:
        events = self.events
        return [(events[i], events[i + 1], events[i + 2]) for i in range(0, len(events), 3)]

    @property
    def last_reason(self) -> str:
        return str(self.events[-1])

    def can_move_to(self, status: Status) -> bool:
        return status in TRANSITIONS.get(self.status, NOWHERE)

    def move(self, status: Status, at: float, reason: str) -> None:
        if not self.can_move_to(status):
            raise ValueError(f"task {self.video_id}: {self.status} -> {status} is not allowed")
        self.status = status
        self.modified_at = at
        self.events += (at, status, reason)
