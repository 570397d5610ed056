"""`--workers N`: N processes on one port sharing a real redis-server; a worker that dies
is replaced; SIGTERM to the supervisor ends them all; the settings that cannot work
are refused at start, saying why."""

from __future__ import annotations

import os
import re
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from processes import Lines, refused, started

BODY = {"model": "pixverse-c1", "prompt": "a cube", "duration": 5, "quality": "540p",
        "aspect_ratio": "16:9"}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") < 0


def test_workers_share_one_port_and_one_state_and_a_dead_one_is_replaced(
        redis_url: str, tmp_path: Path) -> None:
    env = {"PIXVERSE_EMULATOR_CLOCK": "manual", "PIXVERSE_EMULATOR_QUIET": "true"}
    with started("--store", redis_url, "--workers", "2", "--data-dir", str(tmp_path),
                 env=env) as (supervisor, base, lines):
        (line,) = [line for line in lines if "workers (pids" in line]
        pids = [int(pid) for pid in re.findall(r"\d+", line.split("pids")[1].split(")")[0])]
        assert len(pids) == 2 and all(alive(pid) for pid in pids)

        def create(_: int) -> int:
            answer = httpx.post(base + "/openapi/v2/video/text/generate", json=BODY,
                                headers={"API-KEY": "workers"}, timeout=30).json()
            return int(answer["ErrCode"])

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(create, range(30)))
        assert codes.count(0) == 10 and set(codes) == {0, 429001}  # one cap for both
        os.kill(pids[0], signal.SIGKILL)
        assert isinstance(lines, Lines)
        lines.wait_for(f"worker {pids[0]} exited")  # the supervisor's word
        assert create(0) == 429001  # the other worker (and then the new one) serve on
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(30) == 0
    assert not any(alive(pid) for pid in pids)


def test_settings_that_cannot_work_are_refused_at_start(redis_url: str) -> None:
    memory = refused("--workers", "2")
    assert memory.returncode != 0 and "needs a shared store" in memory.stderr
    folder = refused("--workers", "2", "--data-dir", "/tmp/somewhere")
    assert folder.returncode != 0 and "sqlite store" in folder.stderr
    token = refused("--store", redis_url, "--host", "0.0.0.0")
    assert token.returncode != 0 and "set admin_token" in token.stderr
    unknown = refused("--store", "mysql://db")
    assert unknown.returncode != 0 and "redis:// URL" in unknown.stderr
    port = refused("--store", "redis://127.0.0.1:abc/0")
    assert port.returncode == 1 and "not a Redis URL" in port.stderr
    assert "Traceback" not in port.stderr


def test_workers_that_cannot_start_stop_the_supervisor() -> None:
    gone = refused("--store", "redis://127.0.0.1:1/0", "--workers", "2",
                   env={"PIXVERSE_EMULATOR_STORE_WAIT": "0"})
    assert gone.returncode == 1
    assert "cannot be reached" in gone.stderr and "keep exiting at start" in gone.stderr
