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

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from .hot_lane import HotLane
from .hot_routes import Answer, RawRequest

CLOSE = b"connection: close\r\n"


class _Pending:
    """A hot request between its headers and its last body byte."""

    __slots__ = ("body", "keep_alive", "method", "path", "route")

    def __init__(self, route: str, method: str, path: str, keep_alive: bool) -> None:
        self.route, self.method, self.path, self.keep_alive = route, method, path, keep_alive
        self.body: list[bytes] = []


def hot_protocol(lane: HotLane) -> type[HttpToolsProtocol]:
    class HotProtocol(HttpToolsProtocol):
        _pending: _Pending | None = None

        def on_headers_complete(self) -> None:
            pending = self._hot_request()
            if pending is None:
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

        def _hot_request(self) -> _Pending | None:
            if self.cycle is not None and not self.cycle.response_complete or self.pipeline:
                return None
            if self.expect_100_continue or self.parser.should_upgrade():
                return None
            url: bytes = self.url
            if b"?" in url or b"%" in url or self.root_path:
                return None
            method = self.parser.get_method().decode("ascii")
            path = url.decode("latin-1")
            route = lane.takes(method, path)
            if route is None or not self._body_fits(method):
                return None
            keep_alive = self.parser.get_http_version() != "1.0" and \
                self.parser.should_keep_alive()
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
            request = RawRequest(pending.method, pending.path, self.headers,
                                 b"".join(pending.body), self.scheme, self.server)
            if lane.takes(pending.method, pending.path) is None:  # a fault came meanwhile
                self._to_uvicorn(pending, complete=True)
                return
            self._write(lane.answer(pending.route, request), pending.keep_alive)

        def _write(self, answer: Answer, keep_alive: bool) -> None:
            content = [STATUS_LINE[answer.status]]
            for name, value in self.server_state.default_headers:
                content += (name, b": ", value, b"\r\n")
            for name, value in answer.headers:
                content += (name, b": ", value, b"\r\n")
            if not keep_alive:
                content.append(CLOSE)
            content += (b"\r\n", answer.body)
            self.transport.write(b"".join(content))
            if not keep_alive:
                self.transport.close()
            self.on_response_complete()

        def _to_uvicorn(self, pending: _Pending, complete: bool) -> None:
            """Start the request as uvicorn would have at its headers, with the body so
            far."""
            super().on_headers_complete()
            for chunk in pending.body:
                super().on_body(chunk)
            if complete:
                super().on_message_complete()

    return HotProtocol
