"""Found in review: two emulators on one real redis-server, compared against what one
process answers: a task rewritten with its due time kept, a delivery in flight, Redis
back with less than it had, the first request after a Redis restart, and the journal of
a request whose commit failed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis_server import RedisServer
from webhooks.test_webhooks import Receiver, receiver  # noqa: F401 - the fixture

from pixverse_emulator import Emulator, Settings
from pixverse_emulator.domain.schemas import TextCreate
from pixverse_emulator.notifications import CLAIM_SECONDS

REQUEST = TextCreate(model="pixverse-c1", prompt="a cube", duration=5, quality="540p",
                     aspect_ratio="16:9")
INSTANT = REQUEST.model_copy(update={"prompt": "a cube [emulator:instant]"})


@pytest.fixture
def single() -> Iterator[Emulator]:
    emulator = Emulator(Settings(clock="manual", quiet=True))
    yield emulator
    emulator.close()


def test_an_outcome_change_on_one_replica_does_not_settle_the_task_twice_on_the_other(
        pair: tuple[Emulator, Emulator], single: Emulator) -> None:
    """One process: set_policy(outcome) then the due time passes: the task fails once."""
    video = single.submit("acme", "text", REQUEST).task.video_id
    single.set_policy(video, outcome="failed")
    single.advance(600)
    assert single.task(video).status == 8

    first, second = pair
    video = first.submit("acme", "text", REQUEST).task.video_id
    second.catch_up()  # the second holds the running task (one due-heap entry)
    first.set_policy(video, outcome="failed")  # same due time: a second heap entry there
    second.advance(600)  # was: ValueError "8 -> 8 is not allowed" (a 500)
    assert second.task(video).status == 8


def test_a_delivery_in_flight_is_claimed_for_every_process(
        pair: tuple[Emulator, Emulator], receiver: Receiver) -> None:  # noqa: F811
    """While one process sends a delivery, the store holds it as claimed: another
    process sees it due only when the claim runs out, however long the send takes, so
    its rounds (and its scheduler, which looks at `next_due`) leave it alone."""
    first, second = pair
    first.put_team("hooked", webhook_url=receiver.url)
    first.submit("hooked", "text", INSTANT)
    receiver.release = threading.Event()  # the first's send hangs until released
    sending = threading.Thread(target=first.deliver_due)
    sending.start()
    assert receiver.arrived.wait(30)
    now = second.now()
    assert second.next_due() == now + CLAIM_SECONDS  # not in the past: no busy loop
    second.advance(CLAIM_SECONDS / 2)  # a long send: its claim still holds
    assert second.deliver_due() == 0
    receiver.release.set()
    sending.join(30)
    second.advance(CLAIM_SECONDS)  # past the claim: it was delivered, nothing is due
    assert second.deliver_due() == 0 and first.deliver_due() == 0
    assert len(receiver.received) == 1
    assert [d["state"] for d in second.deliveries("hooked")] == ["delivered"]


def test_a_replica_notices_that_redis_lost_its_data_even_after_others_wrote_past_its_version(
        pair: tuple[Emulator, Emulator], redis_url: str) -> None:
    """Redis restarted empty (no AOF, or an RDB older than the last writes): the version
    counter starts again at 0. A process that reloads and writes as many units as the
    other had seen brings the counter back past that one's version, which then takes
    the new units as following its own (old) world instead of reading the state whole."""
    import redis

    first, second = pair
    for _ in range(3):
        first.submit("ghost", "text", REQUEST)
    second.catch_up()
    assert len(second.list_tasks("ghost")) == 3
    redis.Redis.from_url(redis_url).flushall()  # Redis came back without its data
    for n in range(12):  # the first reloads (an empty state) and writes on
        first.submit(f"fresh{n}", "text", INSTANT)
    second.catch_up()
    assert first.list_tasks("ghost") == []
    assert second.list_tasks("ghost") == []  # was: the three lost tasks, still served


def test_the_first_request_after_a_redis_restart_is_answered(
        pair: tuple[Emulator, Emulator], redis_server: RedisServer) -> None:
    """README: "when Redis is back, the next request works again". The store's own
    connection (`Link`) is still the one Redis closed: the next unit of each process
    fails with 503 (redis-py's client would have retried once on a new connection)."""
    first, second = pair
    first.submit("acme", "text", REQUEST)
    redis_server.stop()
    redis_server.start()  # same port, same AOF: nothing lost
    first.submit("acme", "text", REQUEST)  # was: StoreUnavailable (Connection closed)
    second.submit("acme", "text", REQUEST)
    assert len(first.list_tasks("acme")) == 3


def test_a_hot_request_whose_commit_failed_is_journaled_once_as_the_503_it_got(
        pair: tuple[Emulator, Emulator], monkeypatch: pytest.MonkeyPatch) -> None:
    """The hot lane answers (and journals a 200) inside the request's unit; the commit
    then fails, the client gets the 503 envelope (`HotLane.refused`), but the 200 entry
    was only put back, not dropped: the journal lists a 200 nobody received beside the
    503, under the same trace id."""
    import json

    from pixverse_emulator import create_app
    from pixverse_emulator.http.hot_routes import RawRequest
    from pixverse_emulator.store.base import StoreError

    first, second = pair
    lane = create_app(first).state.hot_lane
    run = first.store._run

    def failing(script, keys, args):  # type: ignore[no-untyped-def]
        if script == "COMMIT":
            raise StoreError("the store did not answer (a test)")
        return run(script, keys, args)

    monkeypatch.setattr(first.store, "_run", failing)
    body = json.dumps({"model": "pixverse-c1", "prompt": "p", "duration": 5,
                       "quality": "540p", "aspect_ratio": "16:9"}).encode()
    headers = [(b"api-key", b"hot"), (b"ai-trace-id", b"trace-1"), (b"host", b"h")]
    answer = lane.serve("text", RawRequest("POST", "/openapi/v2/video/text/generate",
                                           headers, body, "http", None))
    assert answer is not None and answer.status == 503
    monkeypatch.setattr(first.store, "_run", run)
    second.catch_up()
    statuses = [e["status"] for e in second.requests() if e["trace_id"] == "trace-1"]
    assert statuses == [503]  # was [200, 503]


def test_the_scheduler_outlives_an_outage(redis_server: RedisServer, tmp_path: Path) -> None:
    """The scheduler's thread asks `next_due` before anything else on every turn, outside
    any error handling: an outage must not end it (no more webhooks after)."""
    emulator = Emulator(Settings(store=redis_server.url, quiet=True,
                                 data_dir=str(tmp_path / "files")))
    try:
        redis_server.stop()
        assert emulator.next_due() is None  # what this process knows; no exception
        redis_server.start()
        assert emulator.next_due() is None
    finally:
        emulator.close()
