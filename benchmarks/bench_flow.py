"""What one test costs in-process: a per-team reset plus a full create-poll-download flow,
through httpx's ASGI transport (no socket), as a test using `pixverse_emulator_app` runs it.

The baseline, in the same run: the same four requests against a bare FastAPI app that
answers fixed envelopes, through the same transport.

    python benchmarks/bench_flow.py [--flows 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bare_app  # noqa: E402

from pixverse_emulator import Emulator, ManualClock, Settings, create_app  # noqa: E402

BODY = {"model": "pixverse-c1", "prompt": "a cube", "duration": 1, "quality": "360p",
        "aspect_ratio": "16:9"}
HEADERS = {"Authorization": "Bearer bench-team"}


async def emulator_flow(client: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.reset("bench-team")  # what the plugin does between tests
    created = await client.post("/openapi/v2/video/text/generate", json=BODY, headers=HEADERS)
    video_id = created.json()["Resp"]["video_id"]
    emulator.advance(5, team="bench-team")
    result = await client.get(f"/openapi/v2/video/result/{video_id}", headers=HEADERS)
    url = result.json()["Resp"]["url"]
    await client.get(f"/openapi/v2/video/result/{video_id}", headers=HEADERS)
    video = await client.get(url)
    assert video.status_code == 200 and len(video.content) == result.json()["Resp"]["size"]


async def bare_flow(client: httpx.AsyncClient) -> None:
    await client.post("/openapi/v2/video/text/generate", json=BODY, headers=HEADERS)
    for _ in range(3):
        await client.get("/openapi/v2/video/result/407432230962212", headers=HEADERS)


async def timed(flows: int, run: object) -> float:
    """Median milliseconds per flow over `flows` flows."""
    samples = []
    for _ in range(flows):
        start = time.perf_counter()
        await run()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


async def main(flows: int, rounds: int) -> None:
    emulator = Emulator(Settings(clock="manual"), clock=ManualClock(0))
    emu_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(emulator)),
                                   base_url="http://pixverse-emulator.test")
    bare_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=bare_app.app),
                                    base_url="http://bare.test")
    emu_ms, bare_ms = [], []
    for _ in range(rounds):
        emu_ms.append(await timed(flows, lambda: emulator_flow(emu_client, emulator)))
        bare_ms.append(await timed(flows, lambda: bare_flow(bare_client)))
    await emu_client.aclose()
    await bare_client.aclose()
    emulator.close()
    emu, bare = statistics.median(emu_ms), statistics.median(bare_ms)
    print(f"flows={flows} rounds={rounds} (median of per-round medians)\n")
    print("| in-process flow | ms per flow |")
    print("|---|---|")
    print(f"| emulator: per-team reset + create + poll + poll + download | {emu:.2f} |")
    print(f"| bare FastAPI: create + 3 polls, fixed envelopes | {bare:.2f} |")
    print(f"\nratio emulator/bare time: {emu / bare:.2f}; target: emulator flow < 5 ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--flows", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.flows, args.rounds))
