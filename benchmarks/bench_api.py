"""Create-then-poll load against the emulator and against a bare FastAPI app, in one run.

Both servers run as separate uvicorn processes on loopback; the same client drives
them in alternating rounds, so machine noise hits both alike. Prints requests/s,
p50/p99 latency and the ratio emulator/bare, as Markdown for RESULTS.md.

    python benchmarks/bench_api.py [--rounds 3] [--steps 200] [--connections 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from httpload import run_load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(command: list[str], port: int, env: dict[str, str]) -> Iterator[None]:
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, process)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    """Poll until the port answers (bounded): a benchmark may wait, tests never do."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited before it was ready")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start in 30 s")


def uvicorn_cmd(app: str, port: int, factory: bool = False) -> list[str]:
    cmd = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning",
           "--no-access-log"]
    return cmd + (["--factory"] if factory else [])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--polls", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    emu_port, bare_port = free_port(), free_port()
    emu_env = {"PIXVERSE_EMULATOR_DEFAULT_PENDING_CAP": "1000000",
               "PIXVERSE_EMULATOR_DEFAULT_CREDITS": "1000000000",
               "PIXVERSE_EMULATOR_JOURNAL_SIZE": "1000"}
    emu_cmd = [sys.executable, "-m", "pixverse_emulator", "--port", str(emu_port)]
    bare_cmd = uvicorn_cmd("benchmarks.bare_app:app", bare_port)
    results: dict[str, list[dict[str, Any]]] = {"emulator": [], "bare": []}
    with server(emu_cmd, emu_port, emu_env), server(bare_cmd, bare_port, {}):
        for _ in range(args.rounds):
            for name, port in (("bare", bare_port), ("emulator", emu_port)):
                load = run_load(port, connections=args.connections, steps=args.steps,
                                polls=args.polls)
                results[name].append(asyncio.run(load))
    report(results, args)


def best(runs: list[dict[str, Any]], kind: str, field: str) -> float:
    """Median over rounds."""
    values = sorted(run[kind][field] for run in runs)
    return float(values[len(values) // 2])


def print_table(results: dict[str, list[dict[str, Any]]], names: tuple[str, str],
                column: str) -> None:
    """req/s, p50 and p99 per route and server, medians over the rounds."""
    print(f"| route | {column} | req/s | p50 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for kind in ("create", "poll"):
        for name in names:
            runs = results[name]
            print(f"| {kind} | {name} | {best(runs, kind, 'rps'):.0f} | "
                  f"{best(runs, kind, 'p50_ms'):.2f} | {best(runs, kind, 'p99_ms'):.2f} |")
    print()


def report(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> None:
    errors = {name: sum(r["errors"] for r in runs) for name, runs in results.items()}
    print(f"rounds={args.rounds} connections={args.connections} steps/conn={args.steps} "
          f"polls/step={args.polls}; errors: {errors}\n")
    print_table(results, ("bare", "emulator"), "server")
    for kind in ("create", "poll"):
        ratio = best(results["emulator"], kind, "rps") / best(results["bare"], kind, "rps")
        print(f"ratio emulator/bare, {kind} req/s: {ratio:.2f}")


if __name__ == "__main__":
    main()
