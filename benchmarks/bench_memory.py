"""Bytes per retained task, and microseconds per create, in-process.

Memory: N tasks (the README's smoke-test payload, a distinct `Ai-trace-id` each) created
through the core (`Emulator.submit`, no HTTP) and through the ASGI app (to count what
the HTTP layer keeps too), on a manual clock with a fixed seed. Reported per task: the
tracemalloc delta after `gc.collect()` while they run and once they have succeeded, and
the RSS delta (/proc/self/statm) of a separate core run without tracemalloc, as a cross
check. Bounded parts (the journal, the ledger's in-memory entries) are filled first, so
the delta is what each further task keeps.

Time (this process's CPU time: the machine is shared): `Emulator.submit` on a pre-parsed
request, no trace id, the clock stepping a fixed time per create (a steady load: with
`--step 0.001` and the default 5 s run, each create past the 5,000th also settles an
older task, its capture and result token), in three phases: the first 5,000 tasks, up
to the per-team limit (10,000), and past it, where each create also evicts the team's
oldest task. `--step 0` is a burst: nothing settles, so past the limit each create
stops and evicts a running task.

    python benchmarks/bench_memory.py [--tasks 20000] [--rounds 3] [--step 0.001]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_inprocess import call  # noqa: E402

from pixverse_emulator import Emulator, ManualClock, Settings, create_app  # noqa: E402
from pixverse_emulator.domain.schemas import TextCreate  # noqa: E402

BODY = json.dumps({
    "model": "pixverse-c1",
    "prompt": "A small blue cube rotating on a white desk, clean studio lighting",
    "duration": 1, "quality": "360p", "aspect_ratio": "16:9", "generate_audio_switch": False,
}).encode()
START = 1_700_000_000.0
WARM = 3000  # tasks before measuring: the journal and in-memory ledger entries are full
TARGET = 1024
PAGE = os.sysconf("SC_PAGE_SIZE")


def emulator(max_tasks: int = 10_000) -> Emulator:
    settings = Settings(default_credits=10**15, default_pending_cap=10**9, clock="manual",
                        seed=7, quiet=True, max_tasks_per_team=max_tasks,
                        max_tasks=max(200_000, max_tasks))
    return Emulator(settings, clock=ManualClock(START))


def trace(i: int) -> str:
    return f"pixverse-c1-smoke-{i:06d}"


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def settled_bytes(measure: Callable[[], int]) -> int:
    gc.collect()
    return measure()


def traced() -> int:
    return tracemalloc.get_traced_memory()[0]


def body(i: int, distinct: bool) -> bytes:
    """The smoke payload; `distinct`: its prompt ends in the task's number (a load test
    usually repeats one payload; tasks alike share their strings, these cannot)."""
    return BODY.replace(b'lighting"', f'lighting {i}"'.encode()) if distinct else BODY


def core_memory(n: int, measure: Callable[[], int], distinct: bool = False
                ) -> tuple[float, float]:
    """Bytes per task kept by the core: while running, and once succeeded."""
    emu = emulator(n + WARM + 1)
    team = emu.authenticate("bench")
    for i in range(WARM):
        emu.submit(team, "text", TextCreate.model_validate_json(body(i, distinct)), trace(i))
    emu.advance(10_000)
    before = settled_bytes(measure)
    for i in range(WARM, WARM + n):
        emu.submit(team, "text", TextCreate.model_validate_json(body(i, distinct)), trace(i))
    running = settled_bytes(measure)
    emu.advance(10_000)
    finished = settled_bytes(measure)
    assert len(emu.world.tasks) == WARM + n
    emu.close()
    return (running - before) / n, (finished - before) / n


async def http_memory(n: int) -> float:
    """Bytes per finished task kept when the tasks come through the ASGI app."""
    emu = emulator(n + WARM + 1)
    app = create_app(emu)
    path = "/openapi/v2/video/text/generate"

    async def create(i: int) -> None:
        messages = await call(app, "POST", path, BODY, [(b"ai-trace-id", trace(i).encode())])
        assert messages[0]["status"] == 200, messages
        # To the loop, as a server does between requests: it drops the cancelled timers
        # of the body timeouts (without this they would count as kept by each task).
        await asyncio.sleep(0)

    for i in range(WARM):
        await create(i)
    emu.advance(10_000)
    before = settled_bytes(traced)
    for i in range(WARM, WARM + n):
        await create(i)
    emu.advance(10_000)
    finished = settled_bytes(traced)
    assert len(emu.world.tasks) == WARM + n
    emu.close()
    return (finished - before) / n


def submit_us(step: float) -> dict[str, float]:
    """Microseconds per create in each phase (see the module docstring)."""
    gc.collect()  # the previous run's emulator is not this run's cost
    emu = emulator()
    clock = emu.clock
    assert isinstance(clock, ManualClock)
    team = emu.authenticate("bench")
    req = TextCreate.model_validate_json(BODY)
    phases = {"first 5,000": 5000, "5,000 to 10,000": 5000, "past the limit": 20_000}
    found: dict[str, float] = {}
    for name, count in phases.items():
        start = time.process_time()
        for _ in range(count):
            if step:
                clock.advance(step)
            emu.submit(team, "text", req, None)
        found[name] = (time.process_time() - start) / count * 1e6
    emu.close()
    return found


def main(n: int, rounds: int, step: float) -> None:
    print(f"tasks={n} (after {WARM} to fill what is bounded), payload {len(BODY)} B, "
          f"python {sys.version.split()[0]}\n")
    rss_running, rss_finished = core_memory(n, lambda: rss())
    tracemalloc.start()
    running, finished = core_memory(n, traced)
    distinct_running, distinct_finished = core_memory(n, traced, distinct=True)
    through_http = asyncio.run(http_memory(n))
    tracemalloc.stop()
    print("| bytes per retained task | running | succeeded |")
    print("|---|---|---|")
    print(f"| core, tracemalloc | {running:.0f} | {finished:.0f} |")
    print(f"| core, RSS | {rss_running:.0f} | {rss_finished:.0f} |")
    print(f"| core, a distinct prompt each, tracemalloc | {distinct_running:.0f} "
          f"| {distinct_finished:.0f} |")
    print(f"| through the ASGI app, tracemalloc | | {through_http:.0f} |")
    verdict = "met" if finished <= TARGET else "NOT met"
    print(f"\ntarget <= {TARGET} bytes per succeeded task (core, tracemalloc): {verdict}\n")
    results: dict[str, dict[str, list[float]]] = {}
    for _ in range(rounds):
        for label, each in (("steady", step), ("burst", 0.0)):
            for phase, us in submit_us(each).items():
                results.setdefault(label, {}).setdefault(phase, []).append(us)
    print(f"| us per submit (median of {rounds}) | " + " | ".join(results["steady"]) + " |")
    print("|---|---|---|---|")
    for label, each in (("steady", step), ("burst", 0.0)):
        cells = " | ".join(f"{statistics.median(v):.1f}" for v in results[label].values())
        print(f"| {label}, clock +{each * 1000:g} ms per create | {cells} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--step", type=float, default=0.001)
    args = parser.parse_args()
    main(args.tasks, args.rounds, args.step)
