"""Where a create and a poll spend their time in the running server: py-spy samples the
emulator (`--quiet`, as bench_vs_wiremock.py runs it) while wrk drives one route, and
the samples are summed per layer and per function.

    python benchmarks/profile_hot.py [--seconds 8] [--connections 32] [--top 25]

Needs wrk and py-spy (`pip install py-spy`; it reads the server's memory, so it needs
ptrace rights, which root in a container has). Sampling slows the server: read the
shares, not the rates.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_vs_wiremock import (  # noqa: E402
    EMULATOR_ENV,
    first_video,
    free_port,
    start,
    wait_ready,
    wrk,
)

# A frame's layer, by the first of these its file path contains.
LAYERS = [
    ("emulator core (rules, state, journal)", ("pixverse_emulator/core.py",
                                               "pixverse_emulator/state.py",
                                               "pixverse_emulator/control.py",
                                               "pixverse_emulator/evictions.py",
                                               "pixverse_emulator/domain/",
                                               "pixverse_emulator/store/",
                                               "pixverse_emulator/ids.py",
                                               "pixverse_emulator/clock.py",
                                               "pixverse_emulator/profiles/")),
    ("emulator HTTP (hot lane, views, encoding)", ("pixverse_emulator/http/", "json/")),
    ("pydantic (body validation)", ("pydantic",)),
    ("uvicorn (parser callbacks, writes)", ("uvicorn/",)),
    ("event loop (epoll, socket syscalls)", ("asyncio/", "uvloop")),
]


def layer(frame: str) -> str:
    if frame.startswith("Outbox.flush "):
        return "socket writes (the kernel's send, from the hot lane's outbox)"
    for name, needles in LAYERS:
        if any(needle in frame for needle in needles):
            return name
    return "other"


def summarise(raw: Path, top: int) -> None:
    """Self time per layer and per function, over the main thread's busy samples."""
    by_layer: collections.Counter[str] = collections.Counter()
    by_function: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, text = line.rpartition(" ")
        if "Thread._bootstrap" in stack:  # the janitor's and scheduler's idle waits
            continue
        leaf, samples = stack.split(";")[-1], int(text)
        total += samples
        by_layer[layer(leaf)] += samples
        by_function[leaf] += samples
    print(f"{total} samples of the serving thread\n")
    print("| layer | share of samples (self time) |\n|---|---|")
    for name, count in by_layer.most_common():
        print(f"| {name} | {100 * count / total:.1f}% |")
    print(f"\nTop {top} functions by self time:\n")
    for name, count in by_function.most_common(top):
        print(f"- {100 * count / total:4.1f}% {name}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    for tool in ("wrk", "py-spy"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed")
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = start(stack, [sys.executable, "-m", "pixverse_emulator", "--port", str(port),
                               "--quiet"], EMULATOR_ENV)
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/_emulator/health")
        video = first_video(base)
        for route in ("create", "poll"):
            wrk(base, route, video, 3, args.connections, Path(tmp))  # warm up
            raw = Path(tmp, f"{route}.txt")
            spy = subprocess.Popen(["py-spy", "record", "-p", str(server.pid), "-d",
                                    f"{args.seconds:g}", "-r", "400", "-f", "raw", "-o",
                                    str(raw)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
            result = wrk(base, route, video, args.seconds, args.connections, Path(tmp))
            spy.wait(timeout=60)
            print(f"\n## {route} (under sampling: {result['rps']:,.0f} req/s)\n")
            summarise(raw, args.top)


if __name__ == "__main__":
    main()
