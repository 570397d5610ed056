"""The stores side by side, in one run: the memory store as it was before the storage
seam grew a shared store (a git worktree of `--before`, default the last commit before
it) and as it is now, then the Redis store with one and with two worker processes, each
on a redis-server of its own. Same load for each, interleaved rounds (wrk, as
bench_vs_wiremock.py drives it), one warm-up round first.

    python benchmarks/bench_redis.py [--rounds 3] [--seconds 5] [--fsync everysec|always]

Prints req/s, p50 and p99 per store and route, then: memory now / memory before (the
seam's cost on the hot path: within 5% is the bar), Redis / memory, and two workers /
one (on 2 cores shared with wrk and Redis, little scaling is expected).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_vs_wiremock import (  # noqa: E402
    EMULATOR_ENV,
    Results,
    first_video,
    free_port,
    table,
    wait_ready,
    wrk,
)

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "d20c6a4"  # main before issue 12's storage seam changes


def start(stack: ExitStack, command: list[str], cwd: Path, env: dict[str, str]) -> None:
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop() -> None:
        process.terminate()
        process.wait(30)

    stack.callback(stop)


def redis_server(stack: ExitStack, folder: Path, fsync: str) -> str:
    port = free_port()
    folder.mkdir(parents=True)
    start(stack, ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir",
                  str(folder), "--appendonly", "yes", "--appendfsync", fsync, "--save", ""],
          folder, {})
    for _ in range(300):  # up within a few hundred ms
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def worktree(stack: ExitStack, ref: str, tmp: Path) -> Path:
    """The package as it was at `ref`, beside this checkout."""
    folder = tmp / "before"
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), ref], cwd=ROOT,
                   check=True, capture_output=True)
    stack.callback(lambda: subprocess.run(["git", "worktree", "remove", "--force",
                                           str(folder)], cwd=ROOT, capture_output=True))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--fsync", choices=["everysec", "always"], default="everysec")
    parser.add_argument("--memory-only", action="store_true",
                        help="only the memory store before and now: the seam's cost alone")
    args = parser.parse_args()
    for tool in ("wrk", "redis-server", "git"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed")
    emulator = [sys.executable, "-m", "pixverse_emulator", "--quiet", "--port"]
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        before = worktree(stack, args.before, tmp)
        ports = {name: free_port() for name in
                 ("memory before", "memory", "redis, 1 worker", "redis, 2 workers")}
        start(stack, [*emulator, str(ports["memory before"])], before,
              {**EMULATOR_ENV, "PYTHONPATH": str(before)})
        start(stack, [*emulator, str(ports["memory"])], ROOT, EMULATOR_ENV)
        if args.memory_only:
            del ports["redis, 1 worker"], ports["redis, 2 workers"]
        for name, workers in (("redis, 1 worker", 1), ("redis, 2 workers", 2)):
            if name not in ports:
                continue
            url = redis_server(stack, tmp / name.replace(" ", "").replace(",", "-"), args.fsync)
            start(stack, [*emulator, str(ports[name]), "--store", url, "--workers",
                          str(workers), "--data-dir", str(tmp / f"files-{workers}")],
                  ROOT, EMULATOR_ENV)
        bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        videos = {}
        for name, base in bases.items():
            wait_ready(base + "/_emulator/health")
            videos[name] = first_video(base)
        scripts = tmp
        for name, base in bases.items():  # warm up
            for route in ("create", "poll"):
                wrk(base, route, videos[name], args.seconds, args.connections, scripts)
        results: Results = {}
        for round_no in range(args.rounds):
            order = list(bases)[round_no % len(bases):] + list(bases)[:round_no % len(bases)]
            for name in order:
                for route in ("create", "poll"):
                    results.setdefault((name, route), []).append(wrk(
                        bases[name], route, videos[name], args.seconds, args.connections,
                        scripts))
    report(results, args)


def report(results: Results, args: argparse.Namespace) -> None:
    print(f"wrk -t1 -c{args.connections}, {args.rounds} interleaved rounds of "
          f"{args.seconds:g} s per store and route, after one warm-up round; Redis AOF "
          f"appendfsync {args.fsync}; memory before = {args.before}\n")
    median = table(results, "store")
    for route in ("create", "poll"):
        def ratio(top: str, bottom: str, route: str = route) -> float:
            return median[top, route] / median[bottom, route]

        line = f"{route}: memory now / before {ratio('memory', 'memory before'):.3f} (bar: " \
            "within 5%)"
        if ("redis, 1 worker", route) in median:
            line += (f"; redis 1 worker / memory {ratio('redis, 1 worker', 'memory'):.3f}; 2 "
                     f"workers / 1 {ratio('redis, 2 workers', 'redis, 1 worker'):.2f}")
        print(line)


if __name__ == "__main__":
    main()
