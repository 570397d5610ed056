"""The CLI as a real process: started, ready when uvicorn says where it listens (an
event, not a sleep), stopped by signal."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def served(*args: str, env: dict[str, str] | None = None,
           stop: signal.Signals = signal.SIGTERM) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`python -m pixverse_emulator --port 0 ARGS`; yields the process and its base URL, and
    sends `stop` at the end (SIGTERM: a clean shutdown; SIGKILL: a crash)."""
    with started(*args, env=env, stop=stop) as (process, base, _):
        yield process, base


@contextmanager
def started(
    *args: str, env: dict[str, str] | None = None, stop: signal.Signals = signal.SIGTERM
) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """`served`, with the lines the server prints on stderr: those before it was ready,
    then each one as it comes (complete once the process has ended)."""
    command = [sys.executable, "-m", "pixverse_emulator", "--port", "0", *args]
    process = subprocess.Popen(command, env={**os.environ, **(env or {})}, cwd=ROOT,
                               stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    try:
        base, lines = _ready(process)
        drain = threading.Thread(target=_collect, args=(process, lines), daemon=True)
        drain.start()
        yield process, base, lines
    finally:
        if process.poll() is None:
            process.send_signal(stop)
        process.wait(timeout=30)
        drain.join(timeout=30)
        process.stderr.close()


class Lines(list[str]):
    """What a server printed, with a wait for a line to come (an event, not a sleep)."""

    def __init__(self) -> None:
        super().__init__()
        self._came = threading.Condition()

    def append(self, line: str) -> None:
        with self._came:
            super().append(line)
            self._came.notify_all()

    def wait_for(self, text: str, timeout: float = 30) -> str:
        with self._came:
            found = self._came.wait_for(lambda: any(text in line for line in self), timeout)
        assert found, f"no line with {text!r} in {timeout} s: {''.join(self)[-2000:]}"
        return next(line for line in self if text in line)


def _collect(process: subprocess.Popen[str], lines: list[str]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        lines.append(line)


def _ready(process: subprocess.Popen[str]) -> tuple[str, list[str]]:
    assert process.stderr is not None
    lines = Lines()
    for line in process.stderr:
        lines.append(line)
        found = re.search(r"running on (https?://\S+)", line)
        if found:
            return found.group(1), lines
    pytest.fail(f"the server exited before it was ready (exit code {process.wait()}): "
                f"{''.join(lines)[-2000:]}")


def refused(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A start that must fail: its exit code and what it said."""
    command = [sys.executable, "-m", "pixverse_emulator", "--port", "0", *args]
    return subprocess.run(command, env={**os.environ, **(env or {})}, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
