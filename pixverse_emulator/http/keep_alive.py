"""The keep-alive timeout of uvicorn's httptools protocol, on one timer per connection
instead of one per request.

uvicorn closes a kept-alive connection `timeout_keep_alive` seconds after its last
answer when no new request has begun. It does so by arming a timer after every answer
and cancelling it when the next request's bytes come in: about 2 us of each request on
uvloop, a tenth of a poll's whole time in the server. Here an answer only notes when
the connection fell idle; the one timer, when it fires, closes a connection idle for the
whole timeout and otherwise looks again when the rest of it has passed. Connections
close when uvicorn's would, to within the loop's timer resolution. `on_response_complete`
repeats uvicorn's own steps (as of the versions pyproject.toml allows); a pipelined
request or a closing transport still takes uvicorn's own method.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def lazy_keep_alive(base: type[HttpToolsProtocol]) -> type[HttpToolsProtocol]:
    class LazyKeepAlive(base):  # type: ignore[misc, valid-type]
        _idle_since: float | None = None  # when the last answer ended; None: busy
        _timer: asyncio.TimerHandle | None = None

        def _unset_keepalive_if_required(self) -> None:
            """uvicorn's hook for "a request's bytes came in" (and for "the connection
            is gone"): busy from now on, so a timer firing meanwhile closes nothing."""
            self._idle_since = None

        def on_response_complete(self) -> None:
            if self.pipeline or self.transport.is_closing():
                super().on_response_complete()  # no timer then: uvicorn's own way
                return
            # uvicorn's own steps, but for the timer (`_idle`).
            self.server_state.total_requests += 1
            self.flow.resume_reading()
            self._idle()

        def _idle(self) -> None:
            self._idle_since = self.loop.time()
            if self._timer is None:
                self._timer = self.loop.call_later(self.timeout_keep_alive, self._check)

        def _check(self) -> None:
            self._timer = None
            since = self._idle_since
            if since is None or self.transport.is_closing():
                return  # a request is under way: its answer starts the next idle spell
            left = since + self.timeout_keep_alive - self.loop.time()
            if left > 0:
                self._timer = self.loop.call_later(left, self._check)
            else:
                self.timeout_keep_alive_handler()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            super().connection_lost(exc)

    LazyKeepAlive.__name__ = f"LazyKeepAlive{base.__name__}"
    return LazyKeepAlive
