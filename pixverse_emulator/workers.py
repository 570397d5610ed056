"""`--workers N`: N emulator processes serving one port, sharing one Redis store.

The supervisor binds the socket and starts N copies of the same command line, each
given the socket (`--worker-fd`), so the kernel spreads connections over them. Each is
a whole emulator on the shared store (`store/redis_store.py`): any of them answers any
request as the others would. SIGTERM or SIGINT is passed on to all of them, and the
supervisor exits once they have; a worker that dies otherwise is started again.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from types import FrameType

from .settings import Settings

RESTART_PAUSE = 1.0  # seconds before a worker that died is started again
EARLY_EXIT = 10.0  # seconds: a worker gone sooner did not start (a bad setting, no Redis)
KILL_AFTER = 5.0  # seconds past shutdown_timeout before a worker still running is killed


def worker_command(argv: list[str], fd: int, index: int) -> list[str]:
    """The command line of one worker: the supervisor's own, without --workers."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--workers":
            skip = True
        elif not arg.startswith("--workers="):
            kept.append(arg)
    return [sys.executable, "-m", "pixverse_emulator", *kept, "--worker-fd", str(fd)]


def supervise(settings: Settings, argv: list[str], sock: socket.socket) -> int:
    stopping = threading.Event()
    signals: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        signals.append(signum)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    fd = sock.fileno()
    env = {**os.environ, "PIXVERSE_EMULATOR_WORKERS": "1"}
    workers = [_start(worker_command(argv, fd, i), fd, env) for i in range(settings.workers)]
    print(f"pixverse-emulator: {settings.workers} workers (pids "
          f"{', '.join(str(w.pid) for w in workers)}) share port {sock.getsockname()[1]}",
          file=sys.stderr, flush=True)
    started = [time.monotonic()] * len(workers)
    failed, gave_up = 0, False
    while not stopping.wait(0.5):
        for i, worker in enumerate(workers):
            if worker.poll() is None or stopping.is_set():
                continue
            quick = time.monotonic() - started[i] < EARLY_EXIT
            failed = failed + 1 if quick else 0
            if failed >= len(workers) + 1:  # they cannot start: say so, do not loop
                print("pixverse-emulator: the workers keep exiting at start; stopping",
                      file=sys.stderr, flush=True)
                gave_up = True
                stopping.set()
                break
            print(f"pixverse-emulator: worker {worker.pid} exited ({worker.returncode}); "
                  "starting another", file=sys.stderr, flush=True)
            time.sleep(RESTART_PAUSE)
            workers[i], started[i] = _start(worker_command(argv, fd, i), fd, env), time.monotonic()
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signals[0] if signals else signal.SIGTERM)
    deadline = time.monotonic() + settings.shutdown_timeout + KILL_AFTER
    for worker in workers:
        try:
            worker.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    sock.close()
    return 1 if gave_up else 0


def _start(command: list[str], fd: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, pass_fds=(fd,), env=env)
