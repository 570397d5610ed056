"""`store/lease.py` against a real redis-server: one holder at a time across processes,
only the holder gives it up, and a holder that dies loses it when its time runs out."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis_server import RedisServer

from pixverse_emulator.store.lease import Lease

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    running = RedisServer(tmp_path / "redis").start()
    yield running
    running.stop()


def client(server: RedisServer) -> redis.Redis:
    return redis.Redis.from_url(server.url)


def test_one_holder_at_a_time_and_only_the_holder_releases(server: RedisServer) -> None:
    first, second = Lease(client(server), "l", 30), Lease(client(server), "l", 30)
    assert first.acquire(wait=0) and first.held
    assert not second.acquire(wait=0.05)
    second.release()  # not the holder: nothing happens
    assert not second.acquire(wait=0)
    first.release()
    assert second.acquire(wait=0) and not first.held


def test_a_lease_that_ran_out_is_someone_else_s(server: RedisServer) -> None:
    first, second = Lease(client(server), "l", 0.05), Lease(client(server), "l", 30)
    assert first.acquire(wait=0)
    assert second.acquire(wait=5)  # waits (inside acquire) until the first one's time is up
    assert not first.renew() and not first.held
    first.release()  # too late: the second holder keeps it
    assert not Lease(client(server), "l", 30).acquire(wait=0)


def test_a_holder_killed_mid_work_loses_it_by_its_time_to_live(server: RedisServer) -> None:
    code = ("import sys, redis; from pixverse_emulator.store.lease import Lease; "
            "l = Lease(redis.Redis.from_url(sys.argv[1]), 'l', 0.3); "
            "assert l.acquire(wait=0); print('held', flush=True); sys.stdin.read()")
    with subprocess.Popen([sys.executable, "-c", code, server.url], cwd=ROOT,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        holder.kill()
        holder.wait(30)
    assert Lease(client(server), "l", 30).acquire(wait=10)


WORKER = """
import sys, redis
from pixverse_emulator.store.lease import Lease
r = redis.Redis.from_url(sys.argv[1])
lease = Lease(r, "counter-lease", 10)
for _ in range(int(sys.argv[2])):
    assert lease.acquire(wait=30)
    value = int(r.get("counter") or 0)  # read, then write: wrong without the lease
    r.set("counter", value + 1)
    lease.release()
"""


def test_processes_taking_turns_lose_no_update(server: RedisServer) -> None:
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, server.url, "150"], cwd=ROOT)
               for _ in range(3)]
    assert [w.wait(120) for w in workers] == [0, 0, 0]
    assert int(client(server).get("counter") or 0) == 450
