"""The emulator against the mock a team would otherwise run: WireMock 3 standalone
serving static stubs of the create and result routes, beside a raw ASGI app with the
same envelopes (the floor), all driven by wrk in interleaved rounds.

    python benchmarks/bench_vs_wiremock.py [--rounds 3] [--seconds 5] [--connections 32]

Needs `wrk` (Debian: apt-get install wrk), Java 17 and npm (the WireMock jar comes from
the npm package `wiremock`, installed once into ~/.cache/pixverse-emulator/wiremock).
Servers: WireMock; the emulator as installed, `--quiet` (WireMock keeps no journal
here either); the same emulator with its request log on; the emulator on a data folder;
the raw ASGI app on uvicorn.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pixverse-emulator"
BODY = {"model": "pixverse-c1", "prompt": "A small blue cube rotating on a white desk",
        "duration": 1, "quality": "360p", "aspect_ratio": "16:9"}
CREATE = "/openapi/v2/video/text/generate"
RESULT = "/openapi/v2/video/result/"
ENVELOPE = {"ErrCode": 0, "ErrMsg": "success"}
# Default settings but for these two, so neither the balance nor the cap ends a run.
EMULATOR_ENV = {"PIXVERSE_EMULATOR_DEFAULT_CREDITS": str(10**15),
                "PIXVERSE_EMULATOR_DEFAULT_PENDING_CAP": str(10**9)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wiremock_jar() -> Path:
    folder = CACHE / "wiremock"
    found = sorted(folder.glob("node_modules/wiremock/build/wiremock-standalone-*.jar"))
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(folder), "wiremock@3"],
                       check=True, timeout=600)
        found = sorted(folder.glob("node_modules/wiremock/build/wiremock-standalone-*.jar"))
    return found[-1]


def stubs(root: Path) -> None:
    """Static stubs: the create answers one fixed envelope, any result another."""
    mappings = root / "mappings"
    mappings.mkdir(parents=True)
    created = {**ENVELOPE, "Resp": {"video_id": 1, "credits": 3, "credits_unit": "worldrouter"}}
    result = {**ENVELOPE, "Resp": {"id": 1, "status": 5}}
    for name, request, body in [
        ("create", {"method": "POST", "url": CREATE}, created),
        ("result", {"method": "GET", "urlPathPattern": RESULT + "[0-9]+"}, result),
    ]:
        mapping = {"request": request, "response": {
            "status": 200, "jsonBody": body, "headers": {"Content-Type": "application/json"}}}
        (mappings / f"{name}.json").write_text(json.dumps(mapping))


def wait_ready(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def start(stack: ExitStack, command: list[str], env: dict[str, str] | None = None
          ) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env={**os.environ, **(env or {})}, cwd=HERE.parent,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop() -> None:
        process.terminate()
        process.wait(30)

    stack.callback(stop)
    return process


def first_video(base: str) -> int:
    """The task the poll load reads: another team's than the creates', so the creates'
    per-team limit never evicts it."""
    request = urllib.request.Request(base + CREATE, data=json.dumps(BODY).encode(), headers={
        "Authorization": "Bearer poller", "Content-Type": "application/json"})
    answer: dict[str, Any] = json.load(urllib.request.urlopen(request))
    return int(answer["Resp"]["video_id"])


def wrk(base: str, route: str, video_id: int, seconds: float, connections: int,
        scripts: Path) -> dict[str, float]:
    script = scripts / f"{route}.lua"
    if route == "create":
        script.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = [[{json.dumps(BODY)}]]\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            'wrk.headers["Authorization"] = "Bearer bench"\n')
        url = base + CREATE
    else:
        script.write_text('wrk.headers["Authorization"] = "Bearer poller"\n')
        url = f"{base}{RESULT}{video_id}"
    run = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency",
                          "-s", str(script), url], capture_output=True, text=True, check=True)
    out = run.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": _latency(out, "50%"), "p99": _latency(out, "99%"),
            "errors": float(non2xx.group(1)) if non2xx else 0.0}


def _latency(out: str, label: str) -> float:
    found = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, flags=re.M)
    assert found is not None, out
    value, unit = float(found.group(1)), found.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        root, scripts = Path(tmp, "wiremock"), Path(tmp)
        stubs(root)
        ports = {name: free_port() for name in
                 ("wiremock", "emulator", "emulator+log", "emulator durable", "raw ASGI")}
        emulator = [sys.executable, "-m", "pixverse_emulator", "--port"]
        start(stack, ["java", "-jar", str(wiremock_jar()), "--port", str(ports["wiremock"]),
                      "--root-dir", str(root), "--no-request-journal", "--disable-banner"])
        start(stack, [*emulator, str(ports["emulator"]), "--quiet"], EMULATOR_ENV)
        start(stack, [*emulator, str(ports["emulator+log"])], EMULATOR_ENV)
        start(stack, [*emulator, str(ports["emulator durable"]), "--quiet", "--data-dir",
                      str(Path(tmp, "data"))], EMULATOR_ENV)
        start(stack, [sys.executable, "-m", "uvicorn", "benchmarks.raw_asgi_app:app", "--port",
                      str(ports["raw ASGI"]), "--log-level", "warning", "--no-access-log"])
        bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        videos = {}
        for name, base in bases.items():
            wait_ready(base + ("/__admin/mappings" if name == "wiremock" else RESULT + "1")
                       if name in ("wiremock", "raw ASGI") else base + "/_emulator/health")
            videos[name] = 1 if name == "wiremock" else first_video(base)
        for name, base in bases.items():  # warm up: the JIT, the caches, the allocator
            for route in ("create", "poll"):
                wrk(base, route, videos[name], args.seconds, args.connections, scripts)
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        for round_no in range(args.rounds):
            order = list(bases)[round_no % len(bases):] + list(bases)[:round_no % len(bases)]
            for name in order:
                for route in ("create", "poll"):
                    results.setdefault((name, route), []).append(
                        wrk(bases[name], route, videos[name], args.seconds, args.connections,
                            scripts))
    report(results, args)


Results = dict[tuple[str, str], list[dict[str, float]]]


def table(results: Results, label: str) -> dict[tuple[str, str], float]:
    """Print the median of each (`label`, route)'s runs as a table; return its req/s."""
    print(f"| {label} | route | req/s (median) | p50 ms | p99 ms | non-2xx |")
    print("|---|---|---|---|---|---|")
    median: dict[tuple[str, str], float] = {}
    for (name, route), runs in results.items():
        median[name, route] = statistics.median(r["rps"] for r in runs)
        print(f"| {name} | {route} | {median[name, route]:,.0f} | "
              f"{statistics.median(r['p50'] for r in runs):.2f} | "
              f"{statistics.median(r['p99'] for r in runs):.2f} | "
              f"{sum(r['errors'] for r in runs):.0f} |")
    print()
    return median


def report(results: Results, args: Any) -> None:
    print(f"wrk -t1 -c{args.connections}, {args.rounds} interleaved rounds of "
          f"{args.seconds:g} s per server and route, after one warm-up round\n")
    median = table(results, "server")
    targets = {("emulator", "create"): 0.8, ("emulator", "poll"): 0.8,
               ("emulator durable", "poll"): 0.8}
    for route in ("create", "poll"):
        for name in ("emulator", "emulator durable", "emulator+log"):
            target = targets.get((name, route))
            print(f"ratio {name}/WireMock, {route}: "
                  f"{median[name, route] / median['wiremock', route]:.2f}"
                  + (f" (target >= {target}, goal 1.0)" if target else ""))
        print(f"ratio emulator/raw ASGI, {route}: "
              f"{median['emulator', route] / median['raw ASGI', route]:.2f}")
        print(f"the request log's cost, {route}: emulator+log/emulator "
              f"{median['emulator+log', route] / median['emulator', route]:.2f}")


if __name__ == "__main__":
    main()
