"""Memory mode's temp folder: removed at close, and at the next start when its process
was killed (only then)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pixverse_emulator.store import memory
from pixverse_emulator.store.memory import MemoryStore

HOLD = """
import sys, tempfile
from pathlib import Path
tempfile.tempdir = sys.argv[1]
from pixverse_emulator.store.memory import MemoryStore
store = MemoryStore()
print(store.root, flush=True)
sys.stdin.read()  # until the test kills it
"""


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(memory.tempfile, "tempdir", str(tmp_path))
    return tmp_path


def holder(temp: Path) -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(temp)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


def test_close_removes_the_folder(temp: Path) -> None:
    store = MemoryStore()
    assert store.root.parent == temp
    assert store.root.name.startswith(f"pixverse-emulator-{os.getpid()}-")
    store.close()
    assert not store.root.exists()


def test_a_killed_processs_folder_goes_at_the_next_start_a_live_ones_stays(temp: Path) -> None:
    killed, killed_root = holder(temp)
    alive, alive_root = holder(temp)
    try:
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(timeout=30)
        unrelated = temp / "pixverse-emulator-not-ours"
        unrelated.mkdir()
        store = MemoryStore()
        assert not killed_root.exists()
        assert alive_root.exists() and unrelated.exists()
        store.close()
    finally:
        for process in (killed, alive):
            process.kill()
            process.wait(timeout=30)
            for stream in (process.stdin, process.stdout):
                assert stream is not None
                stream.close()


def test_a_close_out_of_time_leaves_its_folder_to_the_next_starts_sweep(temp: Path) -> None:
    store = MemoryStore()
    incoming = store.files.receive("tok")
    incoming.write(b"bytes")
    store.files.keep(incoming, "image.png")
    store.close(deadline=time.monotonic() - 1)  # the shutdown budget is spent
    assert (store.root / "files" / "tok" / "image.png").exists()
    assert memory.remove_orphans(temp) == [store.root]  # its lock is free: swept
    assert not store.root.exists()


def test_a_close_in_time_removes_everything(temp: Path) -> None:
    store = MemoryStore()
    incoming = store.files.receive("tok")
    incoming.write(b"bytes")
    store.files.keep(incoming, "image.png")
    store.close(deadline=time.monotonic() + 60)
    assert not store.root.exists()
