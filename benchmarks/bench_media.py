"""Media benchmarks: file downloads and server memory during a large upload, each as a
ratio against a bare FastAPI app measured in the same run.

1. Downloads over one keep-alive connection: the 1080p 15 s result video (with audio),
   against the bare app answering the same bytes from memory with a plain `Response`;
   and a ~50 MiB uploaded media file, against the bare app's `FileResponse` of the same
   file. The servers alternate in short batches so machine noise hits both alike.
2. Server RSS (VmRSS sampled every 10 ms from /proc, and VmHWM) while a media file just
   under the 200 MiB upload limit is streamed from disk by the client (sendfile), against
   the bare app reading the same body through `request.stream()`. Target: emulator
   peak - idle < 64 MiB.

Every file lives in a temporary directory (the servers' TMPDIR and the emulator's data
dir included) that is removed at the end. Prints Markdown for benchmarks/RESULTS.md.

    python benchmarks/bench_media.py [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from media_tools import (  # noqa: E402
    Connection,
    RssSampler,
    build_mp4,
    multipart_overhead,
    read_status,
    upload_file,
)

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
SAMPLE = ROOT / "fixtures" / "sample.mp4"
MIB = 1024 * 1024
MB = 1_000_000
MEDIA_LIMIT = 200 * MIB  # the emulator's default media_upload_limit, set explicitly below
LARGE_SIZE = 50 * MIB
MEMORY_TARGET = 64 * MIB
AUTH = {"Authorization": "Bearer any-key"}
UPLOAD_PATH = "/openapi/v2/media/upload"
CREATE = {"model": "pixverse-v6", "prompt": "x", "duration": 15, "quality": "1080p",
          "aspect_ratio": "16:9", "generate_audio_switch": True}


@dataclass(frozen=True)
class Profile:
    seconds: float  # time budget of one download case, both servers together
    small_batch: int  # GETs in a row on one server before switching to the other
    small_count: int  # request cap per server of the small-file case
    large_count: int  # request cap per server of the large-file case
    uploads: int  # 200 MiB uploads per server in the memory test (worst reported)


FULL = Profile(seconds=8.0, small_batch=200, small_count=40_000, large_count=200, uploads=2)
QUICK = Profile(seconds=3.0, small_batch=200, small_count=20_000, large_count=60, uploads=1)


# -- servers -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass(frozen=True)
class Spec:
    name: str
    port: int
    command: list[str]
    env: dict[str, str]


@contextmanager
def serve(spec: Spec, workdir: Path) -> Iterator[Server]:
    log = workdir / f"{spec.name}-{spec.port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(spec.command, cwd=ROOT, env={**os.environ, **spec.env},
                                   stdout=out, stderr=subprocess.STDOUT)
    server = Server(spec.name, spec.port, process, log)
    try:
        wait_ready(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_ready(server: Server) -> None:
    """Poll until the port answers (bounded): a benchmark may wait, tests never do."""
    deadline = time.monotonic() + 30
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited before it was ready:\n{log_tail(server)}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/openapi.json", timeout=1)
            return
        except urllib.error.HTTPError as error:  # up, but failing: no point in waiting
            raise RuntimeError(f"{server.name}: /openapi.json answered HTTP {error.code}:\n"
                               f"{log_tail(server)}") from error
        except OSError as error:
            last = str(error)
            time.sleep(0.05)
    raise RuntimeError(f"{server.name} did not start in 30 s ({last}):\n{log_tail(server)}")


def log_tail(server: Server) -> str:
    return server.log.read_text(errors="replace")[-3000:]


def emulator(port: int, work: Path, tag: str) -> Spec:
    spool = work / f"spool-{tag}"
    spool.mkdir()
    env = {"PIXVERSE_EMULATOR_CLOCK": "manual",
           "PIXVERSE_EMULATOR_DATA_DIR": str(work / f"data-{tag}"),
           "PIXVERSE_EMULATOR_MEDIA_UPLOAD_LIMIT": str(MEDIA_LIMIT),
           "PIXVERSE_EMULATOR_DEFAULT_CREDITS": "1000000",
           "TMPDIR": str(spool)}  # the multipart parser spools uploads here
    command = [sys.executable, "-m", "pixverse_emulator", "--port", str(port)]
    return Spec("emulator", port, command, env)


def bare(port: int, work: Path, small: Path | None, large: Path | None) -> Spec:
    cmd = [sys.executable, "-m", "uvicorn", "media_bare_app:app", "--app-dir", str(BENCH),
           "--port", str(port), "--log-level", "warning", "--no-access-log"]
    env = {"TMPDIR": str(work)}
    if small is not None:
        env["MEDIA_BENCH_SMALL"] = str(small)
    if large is not None:
        env["MEDIA_BENCH_LARGE"] = str(large)
    return Spec("bare", port, cmd, env)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(message)


# -- setup on the emulator -------------------------------------------------------------


def result_video(port: int) -> tuple[str, bytes]:
    """Create the 1080p 15 s video with audio, advance the clock, download it once."""
    headers = {**AUTH, "Content-Type": "application/json"}
    with Connection(port) as conn:
        status, created = conn.request_json("POST", "/openapi/v2/video/text/generate",
                                            headers, json.dumps(CREATE).encode())
        check(status == 200 and created["ErrCode"] == 0, f"create failed: {created}")
        video_id = created["Resp"]["video_id"]
        status, moved = conn.request_json("POST", "/_emulator/clock/advance",
                                          {"Content-Type": "application/json"},
                                          b'{"seconds": 60}')
        check(status == 200, f"clock advance failed: {moved}")
        status, result = conn.request_json("GET", f"/openapi/v2/video/result/{video_id}",
                                           AUTH)
        resp = result["Resp"]
        check(status == 200 and resp.get("status") == 1, f"video not finished: {result}")
        path = urlsplit(resp["url"]).path
        status, body, _ = conn.get(path, keep=True)
        check(status == 200 and len(body) == resp["size"],
              f"video download: HTTP {status}, {len(body)} bytes, size says {resp['size']}")
    return path, body


def upload_media(port: int, file: Path) -> str:
    """Upload `file` as media; the path of its returned URL."""
    status, answer, _ = upload_file(port, UPLOAD_PATH, file, "file", AUTH)
    check(status == 200 and answer.get("ErrCode") == 0, f"media upload refused: {answer}")
    return str(urlsplit(answer["Resp"]["url"]).path)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(MIB):
            digest.update(block)
    return digest.hexdigest()


# -- 1. downloads ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    mb_s: float
    req_s: float
    requests: int


def interleaved(targets: dict[str, tuple[int, str]], size: int, batch: int, seconds: float,
                count: int) -> dict[str, Rate]:
    """GET each server's path on its own keep-alive connection, alternating batches of
    `batch` requests between the servers (the first one alternates too) for `seconds` in
    all or until each made `count`; a server's rate is its requests over its own time.
    Fine-grained alternation makes noise from other work on the machine hit both alike."""
    names = list(targets)
    busy = dict.fromkeys(names, 0.0)
    done = dict.fromkeys(names, 0)
    conns = {name: Connection(port) for name, (port, _) in targets.items()}
    try:
        for name, (_, path) in targets.items():
            conns[name].get(path)  # warm-up, untimed
        deadline = time.perf_counter() + seconds
        turn = 0
        while time.perf_counter() < deadline and min(done.values()) < count:
            for name in names[turn % 2 :] + names[: turn % 2]:
                conn, path = conns[name], targets[name][1]
                start = time.perf_counter()
                for _ in range(min(batch, count - done[name])):
                    status, _, length = conn.get(path)
                    check(status == 200 and length == size,
                          f"{name} GET {path}: HTTP {status}, {length} B")
                    done[name] += 1
                busy[name] += time.perf_counter() - start
            turn += 1
    finally:
        for conn in conns.values():
            conn.close()
    return {name: Rate(done[name] * size / busy[name] / MB, done[name] / busy[name],
                       done[name]) for name in names}


def verify(port: int, path: str, expected: bytes | Path) -> None:
    """One GET whose body must equal the expected bytes (or the file's)."""
    with Connection(port) as conn:
        status, body, _ = conn.get(path, keep=True)
    if isinstance(expected, Path):
        ok = hashlib.sha256(body).hexdigest() == sha256(expected)
    else:
        ok = body == expected
    check(status == 200 and ok, f"GET {path} on port {port}: wrong body (HTTP {status})")


def downloads(work: Path, profile: Profile) -> dict[str, Any]:
    emu_port, bare_port = free_port(), free_port()
    small_file, large_file = work / "result.mp4", work / "large.mp4"
    build_mp4(SAMPLE, large_file, LARGE_SIZE)
    with serve(emulator(emu_port, work, "dl"), work) as emu:
        small_path, small = result_video(emu.port)
        small_file.write_bytes(small)
        large_path = upload_media(emu.port, large_file)
        verify(emu.port, large_path, large_file)
        with serve(bare(bare_port, work, small_file, large_file), work) as base:
            verify(base.port, "/small", small)
            verify(base.port, "/large", large_file)
            small_at = {"bare": (base.port, "/small"), "emulator": (emu.port, small_path)}
            large_at = {"bare": (base.port, "/large"), "emulator": (emu.port, large_path)}
            rates = {
                "small": interleaved(small_at, len(small), profile.small_batch,
                                     profile.seconds, profile.small_count),
                "large": interleaved(large_at, LARGE_SIZE, 1, profile.seconds,
                                     profile.large_count),
            }
    return {"small_size": len(small), "large_size": LARGE_SIZE, "rates": rates}


# -- 2. memory during a 200 MiB upload -------------------------------------------------


@dataclass(frozen=True)
class Memory:
    idle_rss: int
    idle_hwm: int
    peak_rss: int  # largest sample over all uploads
    hwm_after: int
    samples: int
    seconds: float  # median upload time
    body: int

    @property
    def growth(self) -> int:
        return self.peak_rss - self.idle_rss


def idle_rss(pid: int) -> dict[str, int]:
    """VmRSS/VmHWM after the server has settled: the median of five readings 20 ms apart."""
    readings = []
    for _ in range(5):
        readings.append(read_status(pid))
        time.sleep(0.02)
    return {"VmRSS": int(statistics.median(r["VmRSS"] for r in readings)),
            "VmHWM": readings[-1]["VmHWM"]}


def measure_upload(server: Server, path: str, file: Path, uploads: int,
                   accept: Any) -> Memory:
    """Warm the route up with the small sample, then stream `file` `uploads` times."""
    status, answer, _ = upload_file(server.port, path, SAMPLE, "file", AUTH)
    check(status == 200 and accept(answer, SAMPLE), f"{server.name} warm-up: {answer}")
    idle = idle_rss(server.pid)
    peak, samples, times = 0, 0, []
    for _ in range(uploads):
        with RssSampler(server.pid, interval=0.01, limit=120) as sampler:
            status, answer, seconds = upload_file(server.port, path, file, "file", AUTH)
        check(status == 200 and accept(answer, file),
              f"{server.name}: 200 MiB upload refused: HTTP {status} {answer}")
        peak, samples = max(peak, sampler.peak), samples + sampler.samples
        times.append(seconds)
    after = read_status(server.pid)
    body = file.stat().st_size + multipart_overhead("file", file.name)
    return Memory(idle["VmRSS"], idle["VmHWM"], max(peak, idle["VmRSS"]), after["VmHWM"],
                  samples, statistics.median(times), body)


def memory(work: Path, profile: Profile) -> dict[str, Memory]:
    big = work / "big.mp4"
    # Just under the limit: the whole multipart body is 64 KiB below media_upload_limit.
    build_mp4(SAMPLE, big, MEDIA_LIMIT - 64 * 1024 - multipart_overhead("file", big.name))

    def emulator_ok(answer: dict[str, Any], _: Path) -> bool:
        return answer.get("ErrCode") == 0 and answer["Resp"].get("media_type") == "video"

    def bare_ok(answer: dict[str, Any], file: Path) -> bool:
        expected = file.stat().st_size + multipart_overhead("file", file.name)
        return answer.get("ErrCode") == 0 and answer.get("received") == expected

    found: dict[str, Memory] = {}
    # Fresh processes, one at a time, so neither server's pages or threads affect the other.
    with serve(bare(free_port(), work, None, None), work) as base:
        found["bare"] = measure_upload(base, "/upload", big, profile.uploads, bare_ok)
    with serve(emulator(free_port(), work, "mem"), work) as emu:
        found["emulator"] = measure_upload(emu, UPLOAD_PATH, big, profile.uploads,
                                           emulator_ok)
    big.unlink()
    return found


# -- report ----------------------------------------------------------------------------


def mib(value: int) -> str:
    return f"{value / MIB:.1f}"


def report(command: str, profile: Profile, dl: dict[str, Any], mem: dict[str, Memory],
           wall: float) -> None:
    print(f"`{command}`\n")
    print(f"{os.cpu_count()} CPUs, Python {platform.python_version()}; downloads: one "
          f"keep-alive connection per server, the servers alternating every "
          f"{profile.small_batch} GETs (small file) or every GET (large file) for "
          f"{profile.seconds:.0f} s per file; MB = 10^6 bytes; whole run {wall:.0f} s.\n")
    print("### Downloads\n")
    print("| file | server | MB/s | req/s | requests |")
    print("|---|---|---|---|---|")
    labels = {"small": f"result video 1080p 15 s + audio ({dl['small_size']:,} B)",
              "large": f"uploaded media ({mib(dl['large_size'])} MiB)"}
    baselines = {"small": "bare `Response` from memory", "large": "bare `FileResponse`"}
    for case in ("small", "large"):
        for name in ("bare", "emulator"):
            rate: Rate = dl["rates"][case][name]
            server = baselines[case] if name == "bare" else "emulator"
            print(f"| {labels[case]} | {server} | {rate.mb_s:.1f} | {rate.req_s:.1f} | "
                  f"{rate.requests} |")
    print()
    for case in ("small", "large"):
        emu, base = dl["rates"][case]["emulator"], dl["rates"][case]["bare"]
        print(f"- ratio emulator/bare, {labels[case]}: MB/s {emu.mb_s / base.mb_s:.2f}, "
              f"req/s {emu.req_s / base.req_s:.2f}")
    body = mem["emulator"].body
    print(f"\n### Server memory during a media upload ({body:,} B body, "
          f"{mib(body)} MiB; limit {mib(MEDIA_LIMIT)} MiB)\n")
    print(f"Streamed from disk with sendfile; VmRSS sampled every 10 ms "
          f"({profile.uploads} upload(s) per server, worst shown); idle measured after a "
          "warm-up upload of fixtures/sample.mp4.\n")
    print("| server | idle VmRSS MiB | peak VmRSS MiB | peak - idle MiB | "
          "VmHWM idle -> after MiB | samples | upload s | upload MB/s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, label in (("bare", "bare `request.stream()`, discarded"),
                        ("emulator", "emulator `/openapi/v2/media/upload`")):
        m = mem[name]
        print(f"| {label} | {mib(m.idle_rss)} | {mib(m.peak_rss)} | {mib(m.growth)} | "
              f"{mib(m.idle_hwm)} -> {mib(m.hwm_after)} | {m.samples} | {m.seconds:.2f} | "
              f"{m.body / m.seconds / MB:.0f} |")
    emu_mem = mem["emulator"]
    verdict = "met" if emu_mem.growth < MEMORY_TARGET else "MISSED"
    print(f"\n- target emulator peak - idle < {mib(MEMORY_TARGET)} MiB: {verdict} "
          f"({mib(emu_mem.growth)} MiB; bare {mib(mem['bare'].growth)} MiB)")
    print(f"- ratio emulator/bare, upload time: "
          f"{emu_mem.seconds / mem['bare'].seconds:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true",
                        help="one short round and one upload per server")
    args = parser.parse_args()
    profile = QUICK if args.quick else FULL
    command = "python benchmarks/bench_media.py" + (" --quick" if args.quick else "")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
        work = Path(tmp)
        dl = downloads(work, profile)
        mem = memory(work, profile)
    report(command, profile, dl, mem, time.perf_counter() - start)


if __name__ == "__main__":
    main()
