"""How long a new result video takes to produce (uncached), for every output size the
API can ask for, against a fixed CPU baseline run in the same process (zlib level 6 on
1 MiB), so the ratio stays comparable on a noisy machine. Target: under 50 ms each.

    python benchmarks/bench_render.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import zlib

from pixverse_emulator.domain import rules
from pixverse_emulator.media.video import render

BASELINE_DATA = os.urandom(512 * 1024) + bytes(512 * 1024)


def baseline_ms() -> float:
    start = time.perf_counter()
    zlib.compress(BASELINE_DATA, 6)
    return (time.perf_counter() - start) * 1000


def render_ms(width: int, height: int, seconds: float, audio: bool, seed: int) -> float:
    render._render.cache_clear()  # always a first render
    start = time.perf_counter()
    render.render_video(width, height, seconds, audio, seed)
    return (time.perf_counter() - start) * 1000


def main(repeat: int) -> None:
    base = statistics.median(baseline_ms() for _ in range(repeat * 3))
    rows = []
    for quality in rules.LONG_EDGE:
        for ratio in ("16:9", "9:16", "1:1", "21:9"):
            width, height = rules.output_size(quality, ratio)
            samples = [render_ms(width, height, 15, True, seed) for seed in range(repeat)]
            rows.append((f"{quality} {ratio}", width, height, max(samples)))
    odd = [render_ms(641, 359, 15, True, seed) for seed in range(repeat)]
    rows.append(("uploaded source, odd size", 641, 359, max(odd)))
    print(f"baseline: zlib level 6 on 1 MiB = {base:.2f} ms (median of {repeat * 3})\n")
    print(f"| video (15 s, with audio) | size | worst of {repeat} ms | ratio to baseline |")
    print("|---|---|---|---|")
    for name, width, height, worst in rows:
        print(f"| {name} | {width}x{height} | {worst:.2f} | {worst / base:.2f} |")
    print(f"\nslowest: {max(r[3] for r in rows):.2f} ms; target: < 50 ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    main(parser.parse_args().repeat)
