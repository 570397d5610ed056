"""Start to healthy: from spawning `python -m pixverse_emulator` to its first 200 on
GET /_emulator/health, against a bare FastAPI app started the same way.

Four commands, each spawned N times in rotating order (machine noise hits all alike):
- `default`: `python -m pixverse_emulator --port P` (memory mode, request log on);
- `quiet`: the same with `--quiet`;
- `data folder`: the same with `--data-dir DIR` (one folder for every start, so each
  start after the warm-up reopens an existing, empty state);
- `bare`: uvicorn running benchmarks/bare_app.py plus a /_emulator/health route.

Then what start-up no longer builds is paid by the first request that needs it: on fresh
default servers, the first and second GET of a control-plane route, a console page and
/openapi.json (a create is not among them: the public API is built at start).

Bytecode is cached, as after `pip install`: the children write and read their .pyc
files under a temporary PYTHONPYCACHEPREFIX (even when PYTHONDONTWRITEBYTECODE is set
here), and one uncounted warm-up start of each command fills it.
Target: the default command's median <= 0.5 s.

    python benchmarks/bench_startup.py [--starts 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import ROOT, free_port  # noqa: E402

TARGET = 0.5  # seconds, the default command's median
HEALTH = "/_emulator/health"
BARE = "bare"
# bare_app.py has no health route: the baseline adds one, then runs uvicorn on it.
BARE_START = """\
import sys
import uvicorn
sys.path.insert(0, "benchmarks")
from bare_app import app

@app.get("/_emulator/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            access_log=False)
"""


def start_to_healthy(command: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds from spawning `command` + [port] to its first 200 on GET /_emulator/health."""
    port = free_port()
    start = time.perf_counter()
    process = subprocess.Popen(command + [str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = start + 30
        while time.perf_counter() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTH}",
                                            timeout=5) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - start
            except OSError:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited before it was healthy")
            time.sleep(0.005)
        raise RuntimeError(f"{command} was not healthy in 30 s")
    finally:
        process.terminate()
        process.wait(timeout=30)


FIRSTS = ("/_emulator/settings", "/_emulator/ui/tasks", "/openapi.json")


def get_seconds(port: int, path: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
        answer.read()
    return time.perf_counter() - start


def first_requests(count: int, env: dict[str, str]) -> dict[str, list[tuple[float, float]]]:
    """(first, second) seconds of a GET of each of FIRSTS, on `count` fresh servers."""
    times: dict[str, list[tuple[float, float]]] = {path: [] for path in FIRSTS}
    for _ in range(count):
        port = free_port()
        command = [sys.executable, "-m", "pixverse_emulator", "--quiet", "--port", str(port)]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            wait_healthy(port, process)
            for path in FIRSTS:
                times[path].append((get_seconds(port, path), get_seconds(port, path)))
        finally:
            process.terminate()
            process.wait(timeout=30)
    return times


def wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline and process.poll() is None:
        try:
            get_seconds(port, HEALTH)
            return
        except OSError:
            time.sleep(0.005)
    raise RuntimeError("the emulator did not become healthy")


def commands(data_dir: Path) -> dict[str, list[str]]:
    """Each ends in the flag whose value is the port, which start_to_healthy appends."""
    emulator = [sys.executable, "-m", "pixverse_emulator"]
    return {
        "default": [*emulator, "--port"],
        "quiet": [*emulator, "--quiet", "--port"],
        "data folder": [*emulator, "--data-dir", str(data_dir), "--port"],
        BARE: [sys.executable, "-c", BARE_START],
    }


def cached_bytecode_env(prefix: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(prefix)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def starts(count: int, scratch: Path, env: dict[str, str]) -> dict[str, list[float]]:
    spawned = commands(scratch / "data")
    for command in spawned.values():  # warm-up: bytecode, and the data folder's files
        start_to_healthy(command, env)
    times: dict[str, list[float]] = {name: [] for name in spawned}
    order = list(spawned)
    for index in range(count):
        shift = index % len(order)
        for name in order[shift:] + order[:shift]:
            times[name].append(start_to_healthy(spawned[name], env))
    return times


def report(times: dict[str, list[float]], count: int) -> None:
    print(f"start to first 200 on GET {HEALTH}, {count} starts each, rotating order, "
          "bytecode cached:\n")
    print("| server | median s | max s | median / bare |")
    print("|---|---|---|---|")
    bare = statistics.median(times[BARE])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {max(values):.2f} | {median / bare:.2f} |")
    default = times["default"]
    median = statistics.median(default)
    verdict = "met" if median <= TARGET else "NOT met"
    print(f"\ntarget <= {TARGET} s (default, median): {median:.2f} s, {verdict}; "
          f"max {max(default):.2f} s")


def report_firsts(firsts: dict[str, list[tuple[float, float]]]) -> None:
    count = len(next(iter(firsts.values())))
    print(f"\nfirst requests after healthy, {count} fresh servers (--quiet), median ms:\n")
    print("| GET | first | second |")
    print("|---|---|---|")
    for path, pairs in firsts.items():
        first = statistics.median(pair[0] for pair in pairs) * 1000
        second = statistics.median(pair[1] for pair in pairs) * 1000
        print(f"| {path} | {first:.1f} | {second:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--firsts", type=int, default=5, help="fresh servers for FIRSTS")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
        env = cached_bytecode_env(Path(scratch) / "pycache")
        times = starts(args.starts, Path(scratch), env)
        firsts = first_requests(args.firsts, env)
    report(times, args.starts)
    report_firsts(firsts)


if __name__ == "__main__":
    main()
