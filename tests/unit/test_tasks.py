from __future__ import annotations

import pytest

from pixverse_emulator.domain.tasks import Status, Task, TaskBook, VideoSpec

SPEC = VideoSpec(640, 360, 1.0, False, 7)


def task(video_id: int, due: float | None, team: str = "t", outcome: Status = Status.SUCCEEDED
         ) -> Task:
    return Task(video_id=video_id, team_id=team, route="text", request={}, trace_id="",
                model="pixverse-c1", quality="360p", price=3, video=SPEC, created_at=0.0,
                due_at=due, outcome=outcome)


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (Status.RUNNING, Status.SUCCEEDED, True),
        (Status.RUNNING, Status.DELETED, True),
        (Status.RUNNING, Status.MODERATED, True),
        (Status.RUNNING, Status.FAILED, True),
        (Status.RUNNING, Status.RUNNING, False),
        (Status.SUCCEEDED, Status.DELETED, True),
        (Status.SUCCEEDED, Status.FAILED, False),
        (Status.FAILED, Status.DELETED, False),
        (Status.MODERATED, Status.SUCCEEDED, False),
        (Status.DELETED, Status.SUCCEEDED, False),
    ],
)
def test_transition_table(start: Status, target: Status, allowed: bool) -> None:
    t = task(1, 5.0)
    t.status = start
    assert t.can_move_to(target) is allowed
    if not allowed:
        with pytest.raises(ValueError):
            t.move(target, 1.0, "test")


def test_due_pops_in_due_order_and_only_once() -> None:
    book = TaskBook()
    for video_id, due in [(1, 5.0), (2, 2.0), (3, None), (4, 9.0)]:
        book.add(task(video_id, due))
    assert [t.video_id for t in book.due("t", 5.0)] == [2, 1]
    assert book.due("t", 5.0) == []
    assert [t.video_id for t in book.due("t", 100.0)] == [4]
    assert book.pending("t") == 4  # due() reports; the caller moves


def test_pending_counts_follow_moves() -> None:
    book = TaskBook()
    a, b = task(1, 1.0, team="x"), task(2, 1.0, team="y")
    book.add(a)
    book.add(b)
    a.move(Status.FAILED, 1.0, "test")
    book.moved(a, Status.RUNNING)
    assert (book.pending("x"), book.pending("y")) == (0, 1)


def test_stale_heap_entries_are_skipped() -> None:
    book = TaskBook()
    t = task(1, 5.0)
    book.add(t)
    t.move(Status.SUCCEEDED, 1.0, "test")
    assert book.due("t", 10.0) == []


def test_each_team_has_its_own_heap() -> None:
    book = TaskBook()
    book.add(task(1, 1.0, team="a"))
    book.add(task(2, 1.0, team="b"))
    assert [t.video_id for t in book.due("a", 5.0)] == [1]
    assert book.teams_waiting() == ["b"]
    book.get(2).token = "tok-2"  # type: ignore[union-attr]
    assert book.remove_team("b") == ["tok-2"]
    assert book.teams_waiting() == [] and 2 not in book


def test_frozen_tasks_thaw_on_first_use_and_leave_with_their_team() -> None:
    thawed: list[str] = []

    def thaw(record: str) -> Task:
        thawed.append(record)
        thawed_task = task(int(record[-1]), 1.0, team="a")
        thawed_task.token = f"tok-{record[-1]}"
        return thawed_task

    book = TaskBook(thaw)
    book.freeze_all({3: ("a", "tok-3", 1, "row-3"), 4: ("a", "tok-4", 8, "row-4"),
                     5: ("b", "tok-5", 1, "row-5")})
    assert book.status_counts() == {1: 2, 8: 1}
    assert len(book) == 3 and 3 in book and thawed == []
    assert book.get(3) is book.get(3) and thawed == ["row-3"]  # once, then kept
    assert sorted(book.frozen()) == ["row-4", "row-5"]
    assert sorted(book.remove_team("a")) == ["tok-3", "tok-4"] and thawed == ["row-3"]
    assert 4 not in book and 5 in book and len(book) == 1


def test_the_age_queues_stay_bounded_while_teams_come_and_go() -> None:
    book = TaskBook()
    for n in range(5_000):
        book.add(task(n, 1.0, team=f"t{n}", ))
        book.get(n).status = Status.SUCCEEDED  # type: ignore[union-attr]
        book.moved(book.get(n), Status.RUNNING)  # type: ignore[arg-type]
        book.remove_team(f"t{n}")
    assert len(book) == 0 and len(book._ages._everyone) <= 1_100
    assert book.oldest_finished() is None


def test_looking_for_a_finished_task_among_many_running_ones_settles_once_and_stops() -> None:
    """A huge pending cap lets a team run thousands of tasks: finding the oldest finished
    one must not settle or scan them all on every create."""
    book = TaskBook()
    for video_id in range(1, 5001):
        book.add(task(video_id, due=10_000.0))
    settled: list[str] = []
    assert book.oldest_finished("t", settled.append) is None
    assert book.oldest_finished(None, settled.append) is None  # 256 looked at, at most
    assert settled == ["t", "t"]  # once a search, not once a running task
    done = book.get(3)
    assert done is not None
    done.move(Status.SUCCEEDED, 1.0, "test")
    book.moved(done, Status.RUNNING)
    assert book.oldest_finished("t", settled.append) == 3


def test_a_task_is_compact_and_reads_back_whole() -> None:
    """Slots (no dict per task), the shape shared with tasks alike: a load test keeps tens
    of thousands of tasks. `request`, `video` and `timeline` read as they were given."""
    first, second = task(1, 5.0), task(2, 5.0)
    assert not hasattr(first, "__dict__")
    assert first.shape is second.shape and first.video == SPEC
    restored = Task(3, "t", "text", {"prompt": "p", "duration": 5}, "", "pixverse-c1", "360p",
                    3, SPEC, 0.0, 5.0, Status.SUCCEEDED, status=Status.SUCCEEDED,
                    modified_at=5.0, timeline=[(0.0, Status.RUNNING, ""),
                                               (5.0, Status.SUCCEEDED, "due")])
    assert restored.request == {"prompt": "p", "duration": 5}
    assert restored.timeline == [(0.0, Status.RUNNING, ""), (5.0, Status.SUCCEEDED, "due")]
    first.move(Status.FAILED, 6.0, "why")
    assert first.timeline == [(0.0, Status.RUNNING, "created"), (6.0, Status.FAILED, "why")]
    assert (first.modified_at, first.last_reason) == (6.0, "why")


def test_due_heaps_shed_entries_of_evicted_tasks() -> None:
    """Under a task limit each create evicts a running task; its due entry goes with
    the next compaction instead of staying until its due time."""
    from pixverse_emulator import Emulator, ManualClock, Settings
    from pixverse_emulator.domain.schemas import TextCreate

    emulator = Emulator(Settings(clock="manual", max_tasks_per_team=100,
                                 default_pending_cap=10**6, default_credits=10**9,
                                 quiet=True), clock=ManualClock(0))
    request = TextCreate(model="pixverse-c1", prompt="p", duration=1, quality="360p",
                         aspect_ratio="16:9")
    team = emulator.authenticate("heavy")
    for _ in range(3000):
        emulator.submit(team, "text", request)
    book = emulator.world.tasks
    assert len(book._heaps[team]) <= 2 * book.pending(team) + 64 + 1024
    emulator.advance(3600)  # what is left still settles: all 100 succeed
    assert sorted(t.status for t in book.of_team(team)) == [Status.SUCCEEDED] * 100
    emulator.close()


def test_a_started_task_is_the_one_the_full_constructor_makes() -> None:
    from pixverse_emulator.domain.packing import pack
    from pixverse_emulator.domain.tasks import video_shape

    shape = video_shape(640, 360, 1.0, False)
    made = Task(video_id=9, team_id="t", route="text", request={"prompt": "p"}, trace_id="x",
                model="pixverse-c1", quality="360p", price=3, video=shape, created_at=2.5,
                due_at=None, outcome=Status.FAILED, seed=11)
    started = Task.started(9, "t", "text", pack({"prompt": "p"}), "x", "pixverse-c1", "360p",
                           3, shape, 11, 2.5, Status.FAILED)
    assert [getattr(started, f) for f in Task.__slots__] == [
        getattr(made, f) for f in Task.__slots__]
