"""What the web console costs: the public routes' throughput and the start to healthy.

1. Throughput. Three single-process servers on loopback, driven in alternating rounds
   (the order rotates each round) by the same thin keep-alive client as bench_api.py:
   8 connections, each repeating "create, then poll 4 times".
   - `console off`: `python -m benchmarks.console_off_app`, the CLI's own server with
     the console's routes (/_emulator/ui/... and the `/` redirect) removed;
   - `console on`: `python -m pixverse_emulator`, as shipped;
   - `console on + tab`: another `python -m pixverse_emulator`, with one more connection
     doing what an open tasks page does meanwhile: GET /_emulator/ui/tasks/rows every 1 s.
   All with bench_api.py's settings (wall clock, huge pending cap and balance, a journal
   of 1,000) and `--quiet`: the request log is the same on every server, so leaving it out
   makes whatever the console costs a larger share of a request. Every server gets the
   same load, so all hold the same number of tasks at each round.
   Claim: console on / console off >= 0.95 for create and poll (no measurable cost).
2. Start to healthy. Spawning `python -m pixverse_emulator --port P` until the first 200
   from GET /_emulator/health, against spawning uvicorn with benchmarks/bare_app.py (plus
   a /_emulator/health route) the same way; alternating, N times each (the measurement is
   bench_startup.py's, which also times --quiet and --data-dir against a 0.5 s target).
   Claim: the emulator's median and worst start < 1 s.

    python benchmarks/bench_console.py [--rounds 5] [--steps 150] [--starts 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import best, free_port, server  # noqa: E402
from bench_startup import BARE_START, HEALTH, start_to_healthy  # noqa: E402
from httpload import Connection, run_load  # noqa: E402

ENV = {"PIXVERSE_EMULATOR_DEFAULT_PENDING_CAP": "1000000",
       "PIXVERSE_EMULATOR_DEFAULT_CREDITS": "1000000000",
       "PIXVERSE_EMULATOR_JOURNAL_SIZE": "1000"}
OFF, ON, TAB = "console off", "console on", "console on + tab"
ROWS = "/_emulator/ui/tasks/rows"
TAB_PERIOD = 1.0  # htmx's hx-trigger="every 1s" on the tasks page


# -- 1: throughput -------------------------------------------------------------------------


def status_of(port: int, path: str) -> int:
    """The status of GET `path`, without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


async def load_with_tab(port: int, args: argparse.Namespace) -> dict[str, Any]:
    """The mixed load, and one more connection polling the task rows every second from
    the load's start until it ends (a console tab left open on the tasks page)."""
    done = asyncio.Event()
    tab: dict[str, Any] = {"latencies": [], "errors": 0, "bytes": 0}

    async def poll_rows() -> None:
        conn = await Connection.open("127.0.0.1", port)
        start = time.perf_counter()
        try:
            for tick in range(1_000_000):
                sent = time.perf_counter()
                status, body = await conn.request("GET", ROWS, {})
                tab["latencies"].append(time.perf_counter() - sent)
                tab["errors"] += status != 200
                tab["bytes"] = len(body)
                next_at = start + (tick + 1) * TAB_PERIOD
                try:
                    await asyncio.wait_for(done.wait(), max(0.0, next_at - time.perf_counter()))
                    return
                except TimeoutError:
                    pass
        finally:
            conn.close()

    poller = asyncio.create_task(poll_rows())
    result = await run_load(port, connections=args.connections, steps=args.steps,
                            polls=args.polls)
    done.set()
    await poller
    return {**result, "tab": tab}


def throughput(args: argparse.Namespace) -> tuple[dict[str, list[dict[str, Any]]], str]:
    ports = {OFF: free_port(), ON: free_port(), TAB: free_port()}
    commands = {
        OFF: [sys.executable, "-m", "benchmarks.console_off_app"],
        ON: [sys.executable, "-m", "pixverse_emulator"],
        TAB: [sys.executable, "-m", "pixverse_emulator"],
    }
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in ports}
    with server(commands[OFF] + ["--port", str(ports[OFF]), "--quiet"], ports[OFF], ENV), \
         server(commands[ON] + ["--port", str(ports[ON]), "--quiet"], ports[ON], ENV), \
         server(commands[TAB] + ["--port", str(ports[TAB]), "--quiet"], ports[TAB], ENV):
        checks = {name: (status_of(port, ROWS), status_of(port, "/"))
                  for name, port in ports.items()}
        if checks[OFF] != (404, 404) or checks[ON][0] != 200 or checks[TAB][0] != 200:
            raise RuntimeError(f"console routes are not as expected: {checks}")
        order = list(ports)
        for index in range(args.rounds):
            shift = index % len(order)
            for name in order[shift:] + order[:shift]:
                if name == TAB:
                    load = load_with_tab(ports[name], args)
                else:
                    load = run_load(ports[name], connections=args.connections,
                                    steps=args.steps, polls=args.polls)
                results[name].append(asyncio.run(load))
    seen = "; ".join(f"{name}: GET {ROWS} {rows}, GET / {root}"
                     for name, (rows, root) in checks.items())
    return results, seen


# -- 2: start to healthy -------------------------------------------------------------------


def starts(count: int) -> dict[str, list[float]]:
    commands = {"emulator": [sys.executable, "-m", "pixverse_emulator", "--port"],
                "bare": [sys.executable, "-c", BARE_START]}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for index in range(count):
        names = list(commands) if index % 2 == 0 else list(reversed(commands))
        for name in names:
            times[name].append(start_to_healthy(commands[name]))
    return times


# -- report --------------------------------------------------------------------------------


def ratio(results: dict[str, list[dict[str, Any]]], top: str, bottom: str, kind: str,
          field: str = "rps") -> float:
    return best(results[top], kind, field) / best(results[bottom], kind, field)


def report(results: dict[str, list[dict[str, Any]]], seen: str, times: dict[str, list[float]],
           args: argparse.Namespace) -> None:
    errors = {name: sum(r["errors"] for r in runs) for name, runs in results.items()}
    print(f"rounds={args.rounds} connections={args.connections} steps/conn={args.steps} "
          f"polls/step={args.polls}; errors: {errors}")
    print(f"routes: {seen}\n")
    print("| route | server | req/s | p50 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for kind in ("create", "poll"):
        for name, runs in results.items():
            print(f"| {kind} | {name} | {best(runs, kind, 'rps'):.0f} | "
                  f"{best(runs, kind, 'p50_ms'):.2f} | {best(runs, kind, 'p99_ms'):.2f} |")
    print()
    for top in (ON, TAB):
        for kind in ("create", "poll"):
            print(f"ratio {top}/{OFF}, {kind} req/s: {ratio(results, top, OFF, kind):.2f} "
                  f"(p99 ms: {ratio(results, top, OFF, kind, 'p99_ms'):.2f})")
    tabs = [run["tab"] for run in results[TAB]]
    latencies = sorted(t for tab in tabs for t in tab["latencies"])
    print(f"tab: {len(latencies)} GET {ROWS} in {args.rounds} rounds "
          f"({sum(tab['errors'] for tab in tabs)} errors, {tabs[-1]['bytes']} bytes last), "
          f"median {statistics.median(latencies) * 1000:.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms")
    print(f"\nstart to first 200 on GET {HEALTH}, {args.starts} starts each, alternating:\n")
    print("| server | median s | max s |")
    print("|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.2f} | {max(values):.2f} |")
    print()
    emulator, bare = times["emulator"], times["bare"]
    print(f"ratio emulator/bare, median start: "
          f"{statistics.median(emulator) / statistics.median(bare):.2f}")
    print(f"emulator start: median {statistics.median(emulator):.2f} s, max {max(emulator):.2f} s "
          f"(claim: < 1 s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--polls", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--starts", type=int, default=10)
    args = parser.parse_args()
    results, seen = throughput(args)
    times = starts(args.starts)
    report(results, seen, times, args)


if __name__ == "__main__":
    main()
