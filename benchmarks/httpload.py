"""A small keep-alive HTTP/1.1 load client on asyncio streams.

It is deliberately thin (no parsing beyond Content-Length) so that, on a 2-core
machine, the client spends as little CPU as possible and the servers are what
is measured.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0

    def add(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def summary(self, kind: str, connections: int) -> dict[str, float]:
        """Throughput of one kind inside the mixed load: its requests over the time the
        connections spent waiting on that kind (so creates and polls get their own rate)."""
        values = sorted(self.latencies.get(kind, [0.0]))
        busy = sum(values) / connections
        return {
            "requests": len(values),
            "rps": len(values) / busy,
            "p50_ms": statistics.median(values) * 1000,
            "p99_ms": values[min(len(values) - 1, int(len(values) * 0.99))] * 1000,
        }


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    async def request(self, method: str, path: str, headers: dict[str, str],
                      body: bytes = b"") -> tuple[int, bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def create_then_poll(conn: Connection, stats: Stats, polls: int, key: str) -> None:
    """One user step: create a task, then poll its result `polls` times."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    body = json.dumps({"model": "pixverse-c1", "prompt": "a cube", "duration": 1,
                       "quality": "360p", "aspect_ratio": "16:9"}).encode()
    start = time.perf_counter()
    status, raw = await conn.request("POST", "/openapi/v2/video/text/generate", headers, body)
    stats.add("create", time.perf_counter() - start)
    if status != 200:
        stats.errors += 1
        return
    video_id = json.loads(raw)["Resp"]["video_id"]
    for _ in range(polls):
        start = time.perf_counter()
        status, _ = await conn.request("GET", f"/openapi/v2/video/result/{video_id}", headers)
        stats.add("poll", time.perf_counter() - start)
        stats.errors += status != 200


async def run_load(port: int, *, connections: int, steps: int, polls: int) -> dict[str, Any]:
    stats = Stats()
    conns = [await Connection.open("127.0.0.1", port) for _ in range(connections)]

    async def worker(conn: Connection, index: int) -> None:
        for _ in range(steps):
            await create_then_poll(conn, stats, polls, key=f"bench-{index}")

    start = time.perf_counter()
    await asyncio.gather(*(worker(c, i) for i, c in enumerate(conns)))
    wall = time.perf_counter() - start
    for conn in conns:
        conn.close()
    return {"wall": wall, "errors": stats.errors,
            "create": stats.summary("create", connections),
            "poll": stats.summary("poll", connections)}
