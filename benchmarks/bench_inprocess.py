"""Microseconds per request inside the server: the emulator's ASGI app and the bare
FastAPI app called directly with a minimal ASGI scope (no socket, no HTTP client), so
the framework and the emulator's own work are all that is measured.

    python benchmarks/bench_inprocess.py [--requests 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bare_app  # noqa: E402

from pixverse_emulator import Emulator, Settings, create_app  # noqa: E402

BODY = json.dumps({"model": "pixverse-c1", "prompt": "a cube", "duration": 1,
                   "quality": "360p", "aspect_ratio": "16:9"}).encode()


async def call(app: Any, method: str, path: str, body: bytes = b"",
               extra: list[tuple[bytes, bytes]] | None = None) -> list[dict[str, Any]]:
    headers = [(b"host", b"bench"), (b"authorization", b"Bearer bench"),
               (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()), *(extra or [])]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": headers, "scheme": "http", "server": ("bench", 80),
             "client": ("client", 1), "root_path": ""}
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages


async def per_request_us(app: Any, method: str, path: str, body: bytes, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        await call(app, method, path, body)
    return (time.perf_counter() - start) / count * 1e6


async def main(count: int, rounds: int) -> None:
    settings = Settings(default_pending_cap=10**9, default_credits=10**12)
    emulator = Emulator(settings)
    app = create_app(emulator)
    created = await call(app, "POST", "/openapi/v2/video/text/generate", BODY)
    video_id = json.loads(created[1]["body"])["Resp"]["video_id"]
    poll_path = f"/openapi/v2/video/result/{video_id}"
    results: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, target in (("bare", bare_app.app), ("emulator", app)):
            poll = await per_request_us(target, "GET", poll_path, b"", count)
            create = await per_request_us(target, "POST", "/openapi/v2/video/text/generate",
                                          BODY, count // 3)
            results.setdefault(f"{name} poll", []).append(poll)
            results.setdefault(f"{name} create", []).append(create)
    emulator.close()
    print(f"requests={count} polls and {count // 3} creates per round, rounds={rounds}\n")
    print("| request | us (median of rounds) |")
    print("|---|---|")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):.0f} |")
    for kind in ("poll", "create"):
        ratio = statistics.median(results[f"emulator {kind}"]) / statistics.median(
            results[f"bare {kind}"])
        print(f"\nratio emulator/bare time, {kind}: {ratio:.2f}", end="")
    print()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.rounds))
