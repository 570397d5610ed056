"""Durable mode against memory mode, in one run.

1. Throughput: two `python -m pixverse_emulator` servers, one in memory and one on a data
   folder (same settings otherwise), driven in alternating rounds by the same thin
   keep-alive client as bench_api.py: a mixed load (create, then poll 4 times) and a
   poll-only load (8 connections polling finished tasks). Targets: durable/memory
   create >= 0.5, poll >= 0.9.
2. A poll that changes nothing writes nothing: polls of a finished task against the
   durable server, with the bytes of state.db and its WAL before and after.
3. Restart with 100,000 tasks and 1,000 uploads: opening the folder in-process, and the
   CLI from start to a healthy answer, each beside an empty folder's (target <= 2 s).
4. Snapshot save and restore of that state.

    python benchmarks/bench_durable.py [--rounds 3] [--steps 150] [--tasks 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_api import best, free_port, print_table, server  # noqa: E402
from httpload import Connection, run_load  # noqa: E402

from pixverse_emulator import Emulator, ManualClock, Settings  # noqa: E402
from pixverse_emulator.domain.schemas import TextCreate  # noqa: E402
from pixverse_emulator.media.probe import ImageInfo  # noqa: E402

ENV = {"PIXVERSE_EMULATOR_DEFAULT_PENDING_CAP": "1000000",
       "PIXVERSE_EMULATOR_DEFAULT_CREDITS": "1000000000"}
PNG = (Path(__file__).resolve().parent.parent / "fixtures" / "sample.png").read_bytes()


# -- 1 and 2: over HTTP --------------------------------------------------------------------


def throughput(rounds: int, steps: int, folder: Path) -> dict[str, list[dict[str, Any]]]:
    ports = {"memory": free_port(), "durable": free_port()}
    command = [sys.executable, "-m", "pixverse_emulator", "--port"]
    results: dict[str, list[dict[str, Any]]] = {
        "memory": [], "durable": [], "memory_polls": [], "durable_polls": []}
    with server(command + [str(ports["memory"])], ports["memory"], ENV), \
         server(command + [str(ports["durable"]), "--data-dir", str(folder)], ports["durable"],
                ENV):
        for _ in range(rounds):
            for name, port in ports.items():
                load = run_load(port, connections=8, steps=steps, polls=4)
                results[name].append(asyncio.run(load))
                results[f"{name}_polls"].append(asyncio.run(poll_only(port, steps * 4)))
        results["quiet_polls"] = [asyncio.run(quiet_polls(ports["durable"], folder))]
    return results


async def poll_only(port: int, polls: int) -> dict[str, Any]:
    """8 connections, each polling its own finished task `polls` times: req/s."""
    conns = [await Connection.open("127.0.0.1", port) for _ in range(8)]
    paths = [await finished_task(conn, f"poller-{i}") for i, conn in enumerate(conns)]

    async def poll(conn: Connection, path: str, key: str) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        for _ in range(polls):
            await conn.request("GET", path, headers)

    start = time.perf_counter()
    await asyncio.gather(*(poll(c, p, f"poller-{i}")
                           for i, (c, p) in enumerate(zip(conns, paths, strict=True))))
    elapsed = time.perf_counter() - start
    for conn in conns:
        conn.close()
    return {"rps": 8 * polls / elapsed}


async def finished_task(conn: Connection, key: str) -> str:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    body = (b'{"model": "pixverse-c1", "prompt": "a cube [emulator:instant]", "duration": 1,'
            b' "quality": "360p", "aspect_ratio": "16:9"}')
    _, raw = await conn.request("POST", "/openapi/v2/video/text/generate", headers, body)
    video_id = raw.split(b'"video_id":')[1].split(b",")[0].decode()
    path = f"/openapi/v2/video/result/{video_id}"
    await conn.request("GET", path, headers)  # renders its size once
    return path


async def quiet_polls(port: int, folder: Path) -> dict[str, Any]:
    """Polls of a finished task: the folder's database and WAL must not change."""
    conn = await Connection.open("127.0.0.1", port)
    path = await finished_task(conn, "quiet")
    headers = {"Authorization": "Bearer quiet"}
    before = folder_bytes(folder)
    for _ in range(5000):
        await conn.request("GET", path, headers)
    after = folder_bytes(folder)
    conn.close()
    return {"polls": 5000, "before": before, "after": after}


def folder_bytes(folder: Path) -> tuple[int, int, float]:
    files = [folder / "state.db", folder / "state.db-wal"]
    return (files[0].stat().st_size, files[1].stat().st_size if files[1].exists() else 0,
            max(f.stat().st_mtime for f in files if f.exists()))


# -- 3 and 4: a big state ------------------------------------------------------------------


def build(folder: Path, tasks: int, uploads: int) -> float:
    """A data folder with `tasks` tasks over 100 teams (most finished, some running) and
    `uploads` uploaded images; returns the seconds it took."""
    start = time.perf_counter()
    settings = Settings(clock="manual", data_dir=str(folder), default_pending_cap=10**6,
                        default_credits=10**12, seed=1)
    emulator = Emulator(settings, clock=ManualClock(1_780_000_000))
    for n in range(tasks):
        directive = "[emulator:instant]" if n % 10 else "[emulator:seconds=3600]"
        request = TextCreate.model_validate({
            "model": "pixverse-c1", "prompt": f"task {n} {directive}", "duration": 5,
            "quality": "540p", "aspect_ratio": "16:9"})
        emulator.submit(f"team-{n % 100}", "text", request, trace_id=f"trace-{n}")
    for n in range(uploads):
        incoming = emulator.receive_file()
        incoming.write(PNG)
        emulator.add_image(f"team-{n % 100}", incoming, None, ImageInfo("png", 640, 360))
    emulator.close()
    return time.perf_counter() - start


def timed(action: Callable[[], Any], times: int = 3) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def open_folder(folder: Path) -> None:
    Emulator(Settings(clock="manual", data_dir=str(folder))).close()


def cli_to_healthy(folder: Path) -> float:
    port = free_port()
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "pixverse_emulator", "--port", str(port),
                                "--data-dir", str(folder)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health", timeout=1)
                return time.perf_counter() - start
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("the server exited") from None
                time.sleep(0.01)
    finally:
        process.terminate()
        process.wait(timeout=30)


def big_state(root: Path, tasks: int, uploads: int) -> dict[str, float]:
    big, empty = root / "big", root / "empty"
    built = build(big, tasks, uploads)
    build(empty, 0, 0)
    result = {"built_s": built,
              "open_big_s": timed(lambda: open_folder(big)),
              "open_empty_s": timed(lambda: open_folder(empty)),
              "cli_big_s": timed(lambda: cli_to_healthy(big)),
              "cli_empty_s": timed(lambda: cli_to_healthy(empty))}
    emulator = Emulator(Settings(clock="manual", data_dir=str(big)))
    result["save_s"] = timed(lambda: emulator.save_snapshot("big", overwrite=True))
    result["snapshot_mib"] = emulator.shelf.path("big").stat().st_size / 2**20
    result["restore_s"] = timed(lambda: emulator.restore_snapshot("big"))
    emulator.close()
    memory = Emulator(Settings(clock="manual", snapshot=str(big / "snapshots" / "big.snapshot")))
    result["memory_save_s"] = timed(lambda: memory.save_snapshot("again", overwrite=True))
    result["memory_restore_s"] = timed(lambda: memory.restore_snapshot("again"))
    memory.close()
    return result


# -- report ----------------------------------------------------------------------------------


def report(http: dict[str, list[dict[str, Any]]], big: dict[str, float],
           args: argparse.Namespace) -> None:
    errors = {name: sum(r["errors"] for r in http[name]) for name in ("memory", "durable")}
    print(f"rounds={args.rounds} connections=8 steps/conn={args.steps} polls/step=4; "
          f"errors: {errors}\n")
    print_table(http, ("memory", "durable"), "store")
    for kind, target in (("create", 0.5), ("poll", 0.9)):
        ratio = best(http["durable"], kind, "rps") / best(http["memory"], kind, "rps")
        print(f"ratio durable/memory, {kind} req/s in the mixed load: {ratio:.2f} "
              f"(target >= {target})")
    memory_polls = statistics.median(r["rps"] for r in http["memory_polls"])
    durable_polls = statistics.median(r["rps"] for r in http["durable_polls"])
    print(f"\npoll-only load: memory {memory_polls:.0f} req/s, durable {durable_polls:.0f} "
          f"req/s; ratio durable/memory {durable_polls / memory_polls:.2f} (target >= 0.9)")
    quiet = http["quiet_polls"][0]
    print(f"\n{quiet['polls']} polls of a finished task: state.db and WAL bytes and mtime "
          f"before {quiet['before']}, after {quiet['after']} "
          f"({'unchanged' if quiet['before'] == quiet['after'] else 'CHANGED'})\n")
    print(f"A folder of {args.tasks} tasks and {args.uploads} uploads "
          f"(built in {big['built_s']:.1f} s):\n")
    print("| measure | big folder | empty folder |")
    print("|---|---|---|")
    print(f"| open the folder in-process (s) | {big['open_big_s']:.2f} | "
          f"{big['open_empty_s']:.3f} |")
    print(f"| CLI start to healthy (s) | {big['cli_big_s']:.2f} | {big['cli_empty_s']:.2f} |")
    print(f"\nsnapshot of that state: {big['snapshot_mib']:.1f} MiB; save "
          f"{big['save_s']:.2f} s, restore {big['restore_s']:.2f} s on the data folder; "
          f"save {big['memory_save_s']:.2f} s, restore {big['memory_restore_s']:.2f} s "
          "in memory")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--uploads", type=int, default=1_000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-durable-"))
    try:
        http = throughput(args.rounds, args.steps, root / "load")
        big = big_state(root, args.tasks, args.uploads)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report(http, big, args)


if __name__ == "__main__":
    main()
