"""How a shared store's commit is made atomic, measured both ways in one run: the Lua
script the Redis store uses (one round trip: check the version, run the operations,
append them to the log) against WATCH/MULTI/EXEC (WATCH the version, read it, then the
same writes in MULTI/EXEC: two round trips, and a retry when someone wrote between).

    python benchmarks/bench_redis_commit.py [--commits 5000] [--writers 1]

The operations are a create's: its task row, a ledger entry, the id mark. Each writer is
a thread with its own connection, committing as fast as it can; `--writers 2` shows what
contention does to each (WATCH retries, script queueing).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pixverse_emulator.store.redis_scripts import COMMIT  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_redis import redis_server  # noqa: E402

PREFIX = "pxe:"
KEYS = [PREFIX + k for k in ("lease", "version", "log", "log_start", "head")]
ROW = json.dumps([123456789012345, "bench", 5, "", "", "x" * 300])
ENTRY = json.dumps([1, 1764470000.5, "hold", 20, 123456789012345, 1000, "monthly"])


def ops(n: int) -> list[list[str]]:
    return [["HSET", "tasks", str(n), ROW], ["RPUSH", "ledger:bench", ENTRY],
            ["SADD", "ledgers", "bench"], ["HSET", "meta", "id_high", str(n)]]


def lua_writer(client: Any, count: int, done: list[int]) -> None:
    script = client.register_script(COMMIT)
    version = int(client.get(KEYS[1]) or 0)
    for n in range(count):
        while True:
            found = script(keys=KEYS, args=["", version, 10_000,
                                            json.dumps(ops(n)), PREFIX, "", f"unit{n}"])
            if found[0] != -1:
                version = int(found[0])
                break
            version = int(found[1])  # someone else committed: catch up, try again
    done.append(count)


def watch_writer(client: Any, count: int, done: list[int]) -> None:
    retries = 0
    for n in range(count):
        while True:
            with client.pipeline() as pipe:
                try:
                    pipe.watch(KEYS[1])
                    pipe.get(KEYS[1])
                    pipe.multi()
                    for op in ops(n):
                        pipe.execute_command(op[0], PREFIX + op[1], *op[2:])
                    pipe.rpush(KEYS[2], json.dumps(ops(n)))
                    pipe.incr(KEYS[1])
                    pipe.execute()
                    break
                except redis.WatchError:
                    retries += 1
    done.append(count)


def run(url: str, writer: Any, commits: int, writers: int) -> float:
    redis.Redis.from_url(url).flushall()
    done: list[int] = []
    threads = [threading.Thread(target=writer, args=(redis.Redis.from_url(url), commits, done))
               for _ in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(done) != writers:
        raise RuntimeError(f"{writers - len(done)} writer(s) failed: see above")
    return sum(done) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fsync", choices=["everysec", "always"], default="everysec")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is needed")
    from contextlib import ExitStack

    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        url = redis_server(stack, Path(tmp, "redis"), args.fsync)
        rates: dict[str, list[float]] = {"lua": [], "watch": []}
        for _ in range(args.rounds):
            rates["lua"].append(run(url, lua_writer, args.commits, args.writers))
            rates["watch"].append(run(url, watch_writer, args.commits, args.writers))
    lua, watch = (sorted(r)[len(r) // 2] for r in (rates["lua"], rates["watch"]))
    print(f"{args.writers} writer(s), {args.commits} commits each, {args.rounds} interleaved "
          f"rounds, appendfsync {args.fsync}")
    print(f"Lua script:      {lua:,.0f} commits/s (median)")
    print(f"WATCH/MULTI/EXEC: {watch:,.0f} commits/s (median)")
    print(f"ratio Lua / WATCH: {lua / watch:.2f}")


if __name__ == "__main__":
    main()
