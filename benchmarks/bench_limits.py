"""Bounded growth and resets, in one run.

1. Memory under endless creates: one team creates 300,000 finished tasks with
   `max_tasks_per_team` at 20,000; the process's RSS is read every 30,000 creates. The
   baseline is the RSS when the limit is first reached: after it, RSS should stay flat.
2. Memory under endless new keys: 20,000 keys each open a team (one task each) with
   `max_teams` at 2,000; RSS every 2,000 keys, against the RSS at the limit.
3. A poll's worst latency while a reset removes 30,000 tasks and 5,000 files: a real
   server (in memory, and on a data folder) filled over HTTP, one connection polling
   without pause while another resets; against the worst poll latency of the same
   poller without a reset. Target: < 50 ms.

Each part runs in its own process, so RSS is its own.

    python benchmarks/bench_limits.py [--tasks 30000] [--files 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_api import free_port, server  # noqa: E402
from httpload import Connection  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BODY = json.dumps({"model": "pixverse-c1", "prompt": "a cube [emulator:instant]",
                   "duration": 1, "quality": "360p", "aspect_ratio": "16:9"}).encode()


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def growth(kind: str) -> None:
    """Runs in a child process: prints one JSON line of RSS samples."""
    from pixverse_emulator import Emulator, ManualClock, Settings
    from pixverse_emulator.domain.schemas import TextCreate

    request = TextCreate.model_validate_json(BODY)
    if kind == "tasks":
        settings = Settings(clock="manual", max_tasks_per_team=20_000,
                            default_credits=10**12, seed=1)
        total, every, key_of = 300_000, 30_000, (lambda n: "one-team")
    else:
        settings = Settings(clock="manual", max_teams=2_000, seed=1)
        total, every, key_of = 20_000, 2_000, (lambda n: f"key-{n}")
    emulator = Emulator(settings, clock=ManualClock(1_780_000_000))
    samples = []
    for n in range(1, total + 1):
        emulator.submit(emulator.authenticate(key_of(n)), "text", request)
        if n % every == 0:
            samples.append((n, round(rss_mib(), 1)))
    print(json.dumps(samples))
    emulator.close()


def run_growth(kind: str) -> list[tuple[int, float]]:
    out = subprocess.run([sys.executable, __file__, "--growth", kind], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    return [tuple(pair) for pair in json.loads(out.stdout.strip().splitlines()[-1])]


async def fill(port: int, tasks: int, files: int) -> str:
    """`tasks` finished tasks and `files` uploaded images; returns a task to poll."""
    conns = [await Connection.open("127.0.0.1", port) for _ in range(8)]
    headers = {"Authorization": "Bearer filler", "Content-Type": "application/json"}

    async def creates(conn: Connection, count: int) -> str:
        raw = b""
        for _ in range(count):
            _, raw = await conn.request("POST", "/openapi/v2/video/text/generate", headers,
                                        BODY)
        return raw.split(b'"video_id":')[1].split(b",")[0].decode()

    async def uploads(conn: Connection, count: int) -> None:
        from support import png_bytes  # the tests' PNG maker

        image = png_bytes(8, 8)
        body = (b"--b\r\nContent-Disposition: form-data; name=\"image\"; "
                b"filename=\"a.png\"\r\n\r\n" + image + b"\r\n--b--\r\n")
        form = {"Authorization": "Bearer filler",
                "Content-Type": "multipart/form-data; boundary=b"}
        for _ in range(count):
            await conn.request("POST", "/openapi/v2/image/upload", form, body)

    ids = await asyncio.gather(*(creates(c, tasks // 8) for c in conns[:8]))
    await asyncio.gather(*(uploads(c, files // 8) for c in conns[:8]))
    for conn in conns:
        conn.close()
    return f"/openapi/v2/video/result/{ids[0]}"


async def poll_through(port: int, path: str, reset: bool) -> dict[str, float]:
    """Poll without pause for a while; midway, reset from another connection."""
    poller = await Connection.open("127.0.0.1", port)
    admin = await Connection.open("127.0.0.1", port)
    headers = {"Authorization": "Bearer filler"}
    worst, polls, stop = 0.0, 0, asyncio.Event()

    async def poll() -> None:
        nonlocal worst, polls
        while not stop.is_set():
            start = time.perf_counter()
            await poller.request("GET", path, headers)
            worst = max(worst, time.perf_counter() - start)
            polls += 1

    task = asyncio.create_task(poll())
    await asyncio.sleep(0.3)
    started = time.perf_counter()
    if reset:
        await admin.request("POST", "/_emulator/reset", {})
    took = time.perf_counter() - started
    await asyncio.sleep(0.5)
    stop.set()
    await task
    poller.close()
    admin.close()
    return {"worst_ms": worst * 1000, "reset_ms": took * 1000, "polls": polls}


def reset_latency(tasks: int, files: int, durable: bool) -> dict[str, Any]:
    port = free_port()
    env = {"PIXVERSE_EMULATOR_DEFAULT_CREDITS": str(10**12),
           "PIXVERSE_EMULATOR_DEFAULT_PENDING_CAP": str(10**6),
           "PIXVERSE_EMULATOR_MAX_TASKS_PER_TEAM": str(10**6)}
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "pixverse_emulator", "--port", str(port)]
        if durable:
            command += ["--data-dir", folder]
        with server(command, port, env):
            path = asyncio.run(fill(port, tasks, files))
            quiet = asyncio.run(poll_through(port, path, reset=False))
            path = asyncio.run(fill(port, 8, 0))  # a task that exists after the reset
            during = asyncio.run(poll_through(port, path, reset=True))
    return {"quiet": quiet, "during": during}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=30_000)
    parser.add_argument("--files", type=int, default=5_000)
    parser.add_argument("--growth", choices=["tasks", "keys"])
    args = parser.parse_args()
    if args.growth:
        growth(args.growth)
        return
    sys.path.insert(0, str(ROOT / "tests"))
    for kind, label, limit in (("tasks", "creates by one team", "max_tasks_per_team 20,000"),
                               ("keys", "new keys", "max_teams 2,000")):
        samples = run_growth(kind)
        at_limit = next(rss for n, rss in samples if n >= (20_000 if kind == "tasks" else 2_000))
        print(f"RSS after {label} ({limit}): " + ", ".join(f"{n:,}: {rss} MiB"
                                                         for n, rss in samples))
        print(f"  ratio last/at the limit: {samples[-1][1] / at_limit:.2f} (target: flat)\n")
    print("| store | worst poll ms, no reset | worst poll ms, during reset | reset ms | "
          "polls |")
    print("|---|---|---|---|---|")
    for durable in (False, True):
        result = reset_latency(args.tasks, args.files, durable)
        quiet, during = result["quiet"], result["during"]
        print(f"| {'data folder' if durable else 'memory'} | {quiet['worst_ms']:.1f} | "
              f"{during['worst_ms']:.1f} | {during['reset_ms']:.1f} | {during['polls']} |")
    print(f"\nreset of {args.tasks:,} tasks and {args.files:,} files; target: worst poll "
          "during the reset < 50 ms")


if __name__ == "__main__":
    main()
