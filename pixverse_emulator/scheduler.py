"""The scheduler: the emulator's one actor that works without a request.

On a wall clock it sleeps until the next thing falls due (the due time of a task whose
team has a webhook, or a webhook delivery or its retry), then does what a request would
have done then: `Emulator.deliver_due`, which settles those teams' due tasks and sends
due deliveries. (Other tasks need no actor: they settle, at their due time, when read.)
Anything new wakes it early. On a manual clock nothing is due until `advance` moves
time, and `advance` runs the same call itself, so there is no thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

IDLE_WAIT = 60.0  # seconds between looks when nothing is due (a safety net only)


class Scheduler:
    def __init__(self, next_due: Callable[[], float | None], now: Callable[[], float],
                 run: Callable[[], object]) -> None:
        self._next_due, self._now, self._run = next_due, now, run
        self._woken = threading.Condition()
        self._stopping = False
        self._planned = 0.0  # when the thread means to look next (clock time)
        self._thread = threading.Thread(target=self._loop, name="pixverse-scheduler",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self, at: float | None = None) -> None:
        """Look again now, or only if `at` comes before the next planned look (a cheap
        check without the lock: a create calls it)."""
        if at is not None and at >= self._planned:
            return
        with self._woken:
            self._woken.notify()

    def stop(self, timeout: float = 5.0) -> None:
        with self._woken:
            self._stopping = True
            self._woken.notify()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            due = self._next_due()
            now = self._now()
            wait = IDLE_WAIT if due is None else max(0.0, due - now)
            with self._woken:
                self._planned = now + min(wait, IDLE_WAIT)
                if self._stopping:
                    return
                if wait > 0:
                    self._woken.wait(min(wait, IDLE_WAIT))
                if self._stopping:
                    return
            if due is not None and due <= self._now():
                try:
                    self._run()
                except Exception:  # noqa: BLE001 - a failed round must not end the thread
                    self._woken_after_failure()

    def _woken_after_failure(self) -> None:
        with self._woken:
            if not self._stopping:
                self._woken.wait(1.0)  # not a busy loop on a failing store
