"""A real `redis-server` of a test's own (Debian's package): a free port, its own folder,
AOF with `appendfsync always`. Ready when it says so on stdout (an event, not a sleep);
`stop()` then `start()` again on the same port and folder is an outage and a recovery."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

READY = "Ready to accept connections"
LIMIT = 30  # seconds a start or a stop may take


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    def __init__(self, folder: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is needed: apt-get install redis-server (.ci/run does)")
        self.folder = folder
        self.port = free_port()
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "always",
             "--save", "", "--daemonize", "no", "--loglevel", "notice"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self._process.stdout is not None
        seen = []
        for line in self._process.stdout:  # ends if the server exits
            seen.append(line)
            if READY in line:
                # Keep reading what it logs, so a full pipe never stops it.
                threading.Thread(target=self._process.stdout.read, daemon=True).start()
                return self
        raise AssertionError(f"redis-server did not start: {''.join(seen)}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(LIMIT)
        if self._process is not None and self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None
