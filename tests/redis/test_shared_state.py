"""Two emulators on one real redis-server, in one test process (the cross-process claims
are in test_replicas.py): webhook deliveries sent once whoever runs the round, fault
rules and keys made on one in force on the other, a reset and a restore seen by both,
a replica too far behind the log reading the state whole, and a wall clock read from
Redis."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from webhooks.test_webhooks import Receiver, receiver  # noqa: F401 - the fixture

from pixverse_emulator import Emulator, Settings
from pixverse_emulator.domain.faults import FaultRule
from pixverse_emulator.domain.schemas import TextCreate
from pixverse_emulator.errors import TooManyPending
from pixverse_emulator.store import redis_store

REQUEST = TextCreate(model="pixverse-c1", prompt="a cube", duration=5, quality="540p",
                     aspect_ratio="16:9")
INSTANT = REQUEST.model_copy(update={"prompt": "a cube [emulator:instant]"})


def test_a_webhook_delivery_is_sent_once_whichever_replica_runs_the_round(
        pair: tuple[Emulator, Emulator], receiver: Receiver) -> None:  # noqa: F811
    first, second = pair
    first.put_team("hooked", webhook_url=receiver.url)
    videos = {first.submit("hooked", "text", INSTANT).task.video_id,
              second.submit("hooked", "text", INSTANT).task.video_id}
    receiver.release = threading.Event()  # the first round stays on its first send
    sending = threading.Thread(target=first.deliver_due)
    sending.start()
    assert receiver.arrived.wait(30)
    assert second.deliver_due() == 0  # the round is the first's: nothing sent twice
    receiver.release.set()
    sending.join(30)
    assert first.deliver_due() == 0 and second.deliver_due() == 0
    delivered = [r.body for r in receiver.received]
    assert len(delivered) == 2 and all(str(v) in "".join(delivered) for v in videos)
    second.catch_up()
    assert {d["state"] for d in second.deliveries("hooked")} == {"delivered"}


def test_keys_and_fault_rules_made_on_one_replica_hold_on_the_other(
        pair: tuple[Emulator, Emulator]) -> None:
    first, second = pair
    first.put_team("keyed", keys=["keyed-key"], pending_cap=1)
    second.catch_up()
    assert second.authenticate("keyed-key") == "keyed"
    second.submit("keyed", "text", REQUEST)
    with pytest.raises(TooManyPending):
        first.submit("keyed", "text", REQUEST)
    first.put_team("keyed", keys=["new-key"])
    second.catch_up()
    assert second.authenticate("new-key") == "keyed"
    assert second.authenticate("keyed-key") == "keyed-key"  # open auth: a team of its own
    rule = first.add_fault(FaultRule(route="text", error="429", count=1))
    assert second.match_fault("text", "POST", "keyed") is not None
    assert first.match_fault("text", "POST", "keyed") is None  # count 1: fired once, anywhere
    assert rule.id == 1


def test_a_reset_and_a_restore_on_one_replica_are_the_others_state(
        pair: tuple[Emulator, Emulator]) -> None:
    first, second = pair
    kept = first.submit("acme", "text", REQUEST).task.video_id
    first.save_snapshot("before")
    gone = second.submit("acme", "text", REQUEST).task.video_id
    first.reset("acme")
    assert second.list_tasks("acme") == []
    second.restore_snapshot("before")
    assert [t.video_id for t in first.list_tasks("acme")] == [kept]
    assert gone not in first.world.tasks
    assert first.submit("acme", "text", REQUEST).task.video_id > gone  # ids never reused


def test_a_replica_past_the_kept_log_reads_the_state_whole(
        pair: tuple[Emulator, Emulator], monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = pair
    monkeypatch.setattr(redis_store, "LOG_KEPT", 3)
    made = [first.submit("busy", "text", REQUEST).task.video_id for _ in range(6)]
    first.advance(60)
    assert second.team("busy")["spent"] == 6 * 20
    assert [second.task(v).status for v in made] == [1] * 6


def test_a_wall_clock_is_read_from_redis(redis_url: str, tmp_path: Path) -> None:
    emulator = Emulator(Settings(store=redis_url, quiet=True, data_dir=str(tmp_path)))
    try:
        assert emulator.clock.mode == "wall"
        assert abs(emulator.clock.now() - emulator.store.time()) < 0.5
    finally:
        emulator.close()


def test_coverage_cleared_on_one_replica_is_filled_again_by_the_other(
        pair: tuple[Emulator, Emulator]) -> None:
    first, second = pair
    first.record_request(method="POST", path="/openapi/v2/video/text/generate", status=200,
                         err_code=0, team="t", trace_id="one", reason=None)
    assert "text" in second.coverage_report()["routes"]["exercised"]
    second.clear_coverage()
    assert second.coverage_report()["routes"]["exercised"] == []
    first.record_request(method="POST", path="/openapi/v2/video/text/generate", status=200,
                         err_code=0, team="t", trace_id="two", reason=None)
    assert "text" in second.coverage_report()["routes"]["exercised"]
    assert [e["trace_id"] for e in second.requests()] == ["one", "two"]
