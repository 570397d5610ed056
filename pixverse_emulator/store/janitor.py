"""`Janitor`: one background thread for cleanup nobody should wait for.

Removing thousands of uploaded files, or letting go of a state with tens of thousands
of tasks (Python frees each object as its last reference goes, all inside the call that
dropped it), used to happen inside the request that caused it (a reset, a restore),
while every other request waited. The janitor does it after, in small steps, so the
interpreter can switch back to serving between them. It never changes state: a file
it removes is one no record names (tokens are never reused), and a start sweeps what a
crash left it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

Job = Callable[[], None]


class Janitor:
    def __init__(self) -> None:
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._lock = threading.Lock()

    def later(self, job: Job) -> None:
        with self._lock:
            if self._stopping:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="janitor", daemon=True)
                self._thread.start()
        self._jobs.put(job)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is not None and not self._stopping:
                    job()
            finally:
                self._jobs.task_done()
            if job is None:
                return

    def stopping(self) -> bool:
        """Long jobs ask between steps: a stop leaves the rest to the next start."""
        return self._stopping

    def drain(self) -> None:
        """Wait until every job handed over so far is done (tests, benchmarks)."""
        self._jobs.join()

    def stop(self, deadline: float | None = None) -> None:
        """Stop after the step at hand, waiting for it until `deadline` (a monotonic
        time; None: 30 s); what is left is swept at the next start."""
        with self._lock:
            self._stopping = True
            thread = self._thread
        if thread is not None:
            self._jobs.put(None)
            thread.join(timeout=30 if deadline is None else max(0.0, deadline - time.monotonic()))
