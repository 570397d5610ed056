"""uvicorn's httptools protocol with a lane for the hot routes (`hot_lane.py`).

A hot request (a create or a result poll, on an idle connection) is answered from the
parser's callbacks as soon as its last byte is in: no ASGI scope, task, coroutine or
message dicts. That work measured as over half of what a poll cost on uvicorn, and
without it the emulator keeps pace with a static-stub mock server.

Anything the lane does not fully own goes to uvicorn unchanged, at the point where
uvicorn would have started it: other routes and methods, a query string or
percent-encoded path, `Expect: 100-continue`, an upgrade, a chunked or oversized body,
a pipelined request behind one still running, any fault rule in force, and a body
still on its way when the bytes received so far run out (its body deadline then
runs in the ASGI app as for any request). The answer is written as uvicorn writes one:
its status line, its `server` and `date` headers, `connection: close` when the
connection will not be kept alive.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from .hot_lane import HotLane
from .hot_routes import Answer, RawRequest

CLOSE = b"connection: close\r\n"


class Outbox:
    """The lane's answers of one loop iteration, written together once its callbacks
    have run. Python code runs markedly slower right after a system call (the kernel's
    work evicts the caches it relies on): answering all the requests that came in one
    iteration, then sending all the answers, measured 35% more creates and polls a second
    than a send after each answer. Answers leave in the order they were made, each
    connection's in its own order; one whose connection closed meanwhile is dropped."""

    def __init__(self) -> None:
        self._queued: list[tuple[asyncio.Transport, bytes, bool]] = []
        self._defaults: list[tuple[bytes, bytes]] = []
        self._head = b""

    def head(self, state: ServerState) -> bytes:
        """uvicorn's default headers (`server`, `date`) as every answer has them. uvicorn
        puts a new list in place once a second (the date): written out once per list."""
        defaults = state.default_headers
        if defaults is not self._defaults:
            self._defaults = defaults
            self._head = b"".join(b"%s: %s\r\n" % header for header in defaults)
        return self._head

    def put(self, loop: asyncio.AbstractEventLoop, transport: asyncio.Transport,
            data: bytes, close: bool) -> None:
        if not self._queued:
            loop.call_soon(self.flush)
        self._queued.append((transport, data, close))

    def flush(self) -> None:
        queued, self._queued = self._queued, []
        for transport, data, close in queued:
            if not transport.is_closing():
                transport.write(data)
                if close:
                    transport.close()


class _Pending:
    """A hot request between its headers and its last body byte."""

    __slots__ = ("body", "keep_alive", "method", "path", "route")

    def __init__(self, route: str, method: str, path: str, keep_alive: bool) -> None:
        self.route, self.method, self.path, self.keep_alive = route, method, path, keep_alive
        self.body: list[bytes] = []


def hot_protocol(lane: HotLane) -> type[HttpToolsProtocol]:
    outbox = Outbox()  # one per server: its connections share one loop
    shared = lane.shared  # a shared store's lane looks for fault rules in `serve`

    class HotProtocol(HttpToolsProtocol):
        _pending: _Pending | None = None

        def on_message_begin(self) -> None:
            # uvicorn's scope waits until uvicorn takes the request (`_scoped`): a hot
            # request never needs one.
            self.url = b""
            self.expect_100_continue = False
            self.headers = []

        def on_headers_complete(self) -> None:
            pending = self._hot_request()
            if pending is None:
                self._scoped()
                super().on_headers_complete()
                return
            self._pending = pending

        def on_body(self, body: bytes) -> None:
            if self._pending is not None:
                self._pending.body.append(body)
                return
            super().on_body(body)

        def on_message_complete(self) -> None:
            pending = self._pending
            if pending is None:
                super().on_message_complete()
                return
            self._pending = None
            self._serve(pending)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._pending is not None:  # the body is still on its way: uvicorn takes it
                pending, self._pending = self._pending, None
                if not self.transport.is_closing():
                    self._to_uvicorn(pending, complete=False)

        def send_400_response(self, msg: str) -> None:
            outbox.flush()  # uvicorn writes and closes at once: earlier answers go first
            super().send_400_response(msg)

        def shutdown(self) -> None:
            outbox.flush()  # answers already made go out before an idle connection closes
            super().shutdown()

        def _scoped(self) -> None:
            """uvicorn's own message start (it makes the scope), keeping what the parser
            has read since."""
            url, headers, expect = self.url, self.headers, self.expect_100_continue
            super().on_message_begin()
            self.url, self.headers, self.expect_100_continue = url, headers, expect
            self.scope["headers"] = headers

        def _hot_request(self) -> _Pending | None:
            cycle = self.cycle
            if cycle is not None and not cycle.response_complete or self.pipeline:
                return None  # answers go out in order: behind uvicorn's, uvicorn's turn
            url: bytes = self.url
            if self.expect_100_continue or b"?" in url or b"%" in url or self.root_path:
                return None
            parser = self.parser
            method = parser.get_method().decode("ascii")
            path = url.decode("latin-1")
            route = lane.takes(method, path)
            if route is None or parser.should_upgrade() or not self._body_fits(method):
                return None
            keep_alive = parser.should_keep_alive() and parser.get_http_version() != "1.0"
            return _Pending(route, method, path, keep_alive)

        def _body_fits(self, method: str) -> bool:
            """A declared length within the JSON limit (none, for a poll); no chunks."""
            length = None
            for name, value in self.headers:
                if name == b"content-length":
                    length = value
                elif name == b"transfer-encoding":
                    return False
            if length is None:
                return method == "GET"
            return length.isdigit() and int(length) <= lane.body_limit

        def _serve(self, pending: _Pending) -> None:
            if not shared and not lane.open():  # a fault rule came with the body
                self._to_uvicorn(pending, complete=True)
                return
            request = RawRequest(pending.method, pending.path, self.headers,
                                 b"".join(pending.body), self.scheme, self.server)
            answer = lane.serve(pending.route, request) if shared else \
                lane.answer(pending.route, request)
            if answer is None:  # a shared store's rule, seen once caught up
                self._to_uvicorn(pending, complete=True)
                return
            self._write(answer, pending.keep_alive)

        def _write(self, answer: Answer, keep_alive: bool) -> None:
            content = [STATUS_LINE[answer.status], outbox.head(self.server_state)]
            for name, value in answer.headers:
                content += (name, b": ", value, b"\r\n")
            if not keep_alive:
                content.append(CLOSE)
            content += (b"\r\n", answer.body)
            outbox.put(self.loop, self.transport, b"".join(content), not keep_alive)
            self.on_response_complete()

        def _to_uvicorn(self, pending: _Pending, complete: bool) -> None:
            """Start the request as uvicorn would have at its headers, with the body so
            far."""
            self._scoped()
            super().on_headers_complete()
            for chunk in pending.body:
                super().on_body(chunk)
            if complete:
                super().on_message_complete()

    return HotProtocol
