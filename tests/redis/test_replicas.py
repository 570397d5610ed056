"""Several emulator processes on one real redis-server behave as one emulator: the
pending cap and the balance hold exactly under concurrent creates spread over them, a
manual clock moved on one is everyone's, a replica killed with SIGKILL mid-load loses
nothing it acknowledged, and Redis stopped and started again means 503 envelopes, then
service as before."""

from __future__ import annotations

import itertools
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from processes import started
from redis_server import RedisServer

CREATE = "/openapi/v2/video/text/generate"
BODY = {"model": "pixverse-c1", "prompt": "a cube", "duration": 5, "quality": "540p",
        "aspect_ratio": "16:9"}
PRICE = 20  # pixverse-c1, 5 s, 540p, on the worldrouter profile
ADMIN = {"Authorization": "Bearer shared-admin-token"}


def replicas(stack: ExitStack, server: RedisServer, count: int, tmp_path: Path,
             **env: str) -> list[str]:
    """`count` emulator processes sharing the server; their base URLs."""
    settings = {"PIXVERSE_EMULATOR_STORE": server.url, "PIXVERSE_EMULATOR_CLOCK": "manual",
                "PIXVERSE_EMULATOR_QUIET": "true", "PIXVERSE_EMULATOR_ADMIN_TOKEN":
                "shared-admin-token", "PIXVERSE_EMULATOR_DATA_DIR": str(tmp_path / "files"),
                **env}
    return [stack.enter_context(started(env=settings))[1] for _ in range(count)]


def create(base: str, key: str, trace: str | None = None) -> dict[str, Any]:
    headers = {"API-KEY": key, **({"Ai-trace-id": trace} if trace else {})}
    answer: dict[str, Any] = httpx.post(base + CREATE, json=BODY, headers=headers,
                                        timeout=60).json()
    return answer


def spread(bases: list[str], key: str, count: int) -> list[dict[str, Any]]:
    """`count` creates at once, round robin over the replicas."""
    targets = list(itertools.islice(itertools.cycle(bases), count))
    with ThreadPoolExecutor(max_workers=min(count, 40)) as pool:
        return list(pool.map(lambda base: create(base, key), targets))


def team(base: str, team_id: str) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"{base}/_emulator/teams/{team_id}", headers=ADMIN,
                                      timeout=30).json()
    return found


@pytest.mark.parametrize("creates", [40, 200])
def test_the_pending_cap_holds_exactly_across_three_replicas(
        redis_server: RedisServer, tmp_path: Path, creates: int) -> None:
    with ExitStack() as stack:
        bases = replicas(stack, redis_server, 3, tmp_path)
        answers = spread(bases, "capped", creates)
        accepted = [a for a in answers if a["ErrCode"] == 0]
        assert len(accepted) == 10
        assert {a["ErrCode"] for a in answers if a["ErrCode"] != 0} == {429001}
        assert len({a["Resp"]["video_id"] for a in accepted}) == 10  # no id handed out twice
        for base in bases:
            seen = team(base, "capped")
            assert (seen["pending"], seen["held"]) == (10, 10 * PRICE)


def test_credits_for_n_tasks_buy_exactly_n_of_3n_concurrent_creates(
        redis_server: RedisServer, tmp_path: Path) -> None:
    n = 12
    with ExitStack() as stack:
        bases = replicas(stack, redis_server, 3, tmp_path)
        put = httpx.put(f"{bases[0]}/_emulator/teams/buyer", headers=ADMIN, timeout=30,
                        json={"credits": n * PRICE, "pending_cap": 1000, "keys": ["buyer-key"]})
        assert put.status_code == 200, put.text
        answers = spread(bases, "buyer-key", 3 * n)
        assert sum(a["ErrCode"] == 0 for a in answers) == n
        assert {a["ErrCode"] for a in answers if a["ErrCode"] != 0} == {402001}
        seen = team(bases[2], "buyer")
        assert (seen["credits"], seen["held"], seen["pending"]) == (0, n * PRICE, n)


def test_a_clock_moved_on_one_replica_completes_tasks_polled_on_another(
        redis_server: RedisServer, tmp_path: Path) -> None:
    with ExitStack() as stack:
        first, second, third = replicas(stack, redis_server, 3, tmp_path)
        video_id = create(first, "clocked")["Resp"]["video_id"]
        other = create(first, "late")["Resp"]["video_id"]
        poll = f"/openapi/v2/video/result/{video_id}"
        assert httpx.get(third + poll, headers={"API-KEY": "clocked"}).json()["Resp"][
            "status"] == 5
        moved = httpx.post(f"{second}/_emulator/clock/advance", headers=ADMIN,
                           json={"seconds": 60})
        assert moved.status_code == 200, moved.text
        assert httpx.get(third + poll, headers={"API-KEY": "clocked"}).json()["Resp"][
            "status"] == 1
        # A team's own clock too: moved on the third, read on the first.
        later = create(second, "late")["Resp"]["video_id"]
        httpx.post(f"{third}/_emulator/clock/advance", headers=ADMIN,
                   json={"seconds": 60, "team": "late"}).raise_for_status()
        for video in (other, later):
            answer = httpx.get(f"{first}/openapi/v2/video/result/{video}",
                               headers={"API-KEY": "late"}).json()
            assert answer["Resp"]["status"] == 1


def test_a_resent_trace_id_returns_the_original_task_from_any_replica(
        redis_server: RedisServer, tmp_path: Path) -> None:
    with ExitStack() as stack:
        bases = replicas(stack, redis_server, 2, tmp_path)
        first = create(bases[0], "resender", trace="trace-once")["Resp"]["video_id"]
        again = create(bases[1], "resender", trace="trace-once")["Resp"]["video_id"]
        assert again == first
        assert team(bases[1], "resender")["pending"] == 1
        # One journal, numbered in one sequence, and one coverage, whoever answered.
        entries = httpx.get(f"{bases[1]}/_emulator/requests", headers=ADMIN,
                            params={"team": "resender"}).json()["requests"]
        assert [e["trace_id"] for e in entries] == ["trace-once", "trace-once"]
        assert entries[0]["seq"] < entries[1]["seq"]
        coverage = httpx.get(f"{bases[0]}/_emulator/coverage", headers=ADMIN).json()
        assert "text" in coverage["routes"]["exercised"]
        httpx.delete(f"{bases[0]}/_emulator/requests", headers=ADMIN).raise_for_status()
        # A fault rule added on one replica fires on the other's next create.
        httpx.post(f"{bases[0]}/_emulator/faults", headers=ADMIN, json={
            "route": "text", "error": "429", "count": 1}).raise_for_status()
        assert create(bases[1], "resender")["ErrCode"] == 429001
        assert create(bases[1], "resender")["ErrCode"] == 0  # count 1: fired once, anywhere
        httpx.delete(f"{bases[0]}/_emulator/requests", headers=ADMIN).raise_for_status()
        assert httpx.get(f"{bases[1]}/_emulator/requests", headers=ADMIN).json()[
            "requests"] == []


def test_a_replica_killed_mid_load_loses_nothing_it_acknowledged(
        redis_server: RedisServer, tmp_path: Path) -> None:
    with ExitStack() as stack:
        bases = replicas(stack, redis_server, 2, tmp_path,
                         PIXVERSE_EMULATOR_DEFAULT_PENDING_CAP="100000")
        victim_stack = ExitStack()
        victim, victim_base = victim_stack.enter_context(started(env={
            "PIXVERSE_EMULATOR_STORE": redis_server.url, "PIXVERSE_EMULATOR_CLOCK": "manual",
            "PIXVERSE_EMULATOR_QUIET": "true", "PIXVERSE_EMULATOR_DATA_DIR":
            str(tmp_path / "files"), "PIXVERSE_EMULATOR_DEFAULT_PENDING_CAP": "100000"},
            stop=signal.SIGKILL))[:2]
        acknowledged: list[int] = []
        lock = threading.Lock()
        enough, stop = threading.Event(), threading.Event()

        def load(base: str) -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                while not stop.is_set():
                    try:
                        answer = client.post(CREATE, json=BODY, headers={"API-KEY": "load"})
                    except httpx.HTTPError:
                        return  # the victim: what it never answered was never promised
                    if answer.json()["ErrCode"] == 0:
                        with lock:
                            acknowledged.append(answer.json()["Resp"]["video_id"])
                            if len(acknowledged) >= 60:
                                enough.set()

        threads = [threading.Thread(target=load, args=(base,))
                   for base in [victim_base, victim_base, *bases, *bases]]
        for thread in threads:
            thread.start()
        assert enough.wait(60)
        victim.send_signal(signal.SIGKILL)  # mid-load, lease or no lease
        victim.wait(30)
        with lock:
            at_kill = len(acknowledged)
        survivors_went_on = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                with lock:
                    if len(acknowledged) >= at_kill + 60:
                        survivors_went_on.set()
                        return
                stop.wait(0.01)

        threading.Thread(target=watch, daemon=True).start()
        assert survivors_went_on.wait(60)
        stop.set()
        for thread in threads:
            thread.join(60)
        victim_stack.close()
        seen = team(bases[1], "load")
        assert seen["pending"] >= len(acknowledged)  # a kill may cut an answer, not a task
        assert seen["held"] == seen["pending"] * PRICE
        with httpx.Client(base_url=bases[0], headers={"API-KEY": "load"}) as client:
            for video_id in acknowledged:
                answer = client.get(f"/openapi/v2/video/result/{video_id}").json()
                assert answer["ErrCode"] == 0, (video_id, answer)


def test_redis_stopped_means_503_envelopes_and_restarted_means_service(
        redis_server: RedisServer, tmp_path: Path) -> None:
    with ExitStack() as stack:
        first, second = replicas(stack, redis_server, 2, tmp_path)
        before = create(first, "outage")["Resp"]["video_id"]
        redis_server.stop()
        for base in (first, second):
            answer = httpx.post(base + CREATE, json=BODY, headers={"API-KEY": "outage"},
                                timeout=30)
            assert answer.status_code == 503
            body = answer.json()
            assert body["ErrCode"] == 503001 and body["error"]["code"] == "store_unavailable"
            assert redis_server.url.split("://")[1].split("/")[0] in body["ErrMsg"]
        redis_server.start()  # same port, same AOF file
        after = create(second, "outage")
        assert after["ErrCode"] == 0
        poll = httpx.get(f"{first}/openapi/v2/video/result/{before}",
                         headers={"API-KEY": "outage"}).json()
        assert poll["ErrCode"] == 0  # what was acknowledged before the outage is still there
        assert team(first, "outage")["pending"] == 2
