"""`ConnectionGuard`: what every request's connection needs, whatever serves it.

The outermost pure-ASGI wrapper, so it holds for the live server, the CLI and any
other ASGI server alike:

- a known route with a trailing slash is the route without it (no empty redirect);
- a body that stops arriving for `body_timeout` seconds is abandoned: the request ends
  with a 408 envelope (the route frees whatever it had received, such as a partial
  upload) and the connection is closed;
- an answer sent before the request's body was read to its end carries
  `Connection: close`, so the server closes the connection instead of reading a body
  nobody wants (an early 413, a 401 before a create's body).

The header timeout and the shutdown deadline need the server itself: `serving.py`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import RequestTimeout

CLOSE = (b"connection", b"close")


def expects_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return bool(value.strip(b"0 \t"))
        if name == b"transfer-encoding":
            return True
    return False


def without_trailing_slash(scope: Scope) -> Scope:
    path: str = scope["path"]
    if len(path) < 2 or not path.endswith("/"):
        return scope
    stripped = path.rstrip("/") or "/"
    raw: bytes = scope.get("raw_path") or path.encode()
    return {**scope, "path": stripped, "raw_path": raw.rstrip(b"/") or b"/"}


class ConnectionGuard:
    def __init__(self, app: ASGIApp, body_timeout: float) -> None:
        self.app = app
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = without_trailing_slash(scope)
        if not expects_body(scope):
            await self.app(scope, receive, send)
            return
        body = _Body(receive, self.body_timeout)
        await self.app(scope, body.receive, body.closing(send))


class _Body:
    """The request's body as the app reads it: timed until its last byte, and whether
    that last byte has come."""

    def __init__(self, receive: Receive, timeout: float) -> None:
        self._receive = receive
        self._timeout = timeout
        self.complete = False

    async def receive(self) -> Message:
        if self.complete:  # later calls wait for a disconnect: no deadline on those
            return await self._receive()
        try:
            async with asyncio.timeout(self._timeout):
                message = await self._receive()
        except TimeoutError:
            raise RequestTimeout(
                f"Request body stalled: no bytes for {self._timeout:g} s (body_timeout)",
                reason="body_timeout",
            ) from None
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.complete = True
        return message

    def closing(self, send: Send) -> Send:
        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not self.complete:
                headers: list[Any] = [h for h in message.get("headers", [])
                                      if h[0].lower() != b"connection"]
                message = {**message, "headers": [*headers, CLOSE]}
            await send(message)

        return closing_send
