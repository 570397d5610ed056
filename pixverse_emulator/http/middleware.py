"""Two small pure-ASGI wrappers (no BaseHTTPMiddleware on the hot path).

`RequestContext` gives every request a trace id (echoed as `Ai-trace-id`) and
writes the journal entry once the answer is sent. `BodyLimit` refuses a body
over its route's limit before it is read: first by `Content-Length`, then by
counting the bytes of the `receive` stream for chunked bodies.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..domain.faults import route_name
from ..domain.journal import JournalEntry
from ..errors import EmulatorError, InvalidField, PayloadTooLarge
from .hot_routes import api_key_in
from .request_log import RequestLog
from .responses import error_response

if TYPE_CHECKING:
    from ..core import Emulator

TRACE_HEADER = b"ai-trace-id"
CONTROL_PREFIX = "/_emulator"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value)
    return None


def api_key_of(scope: Scope, bearer: bool = True) -> str | None:
    """`deps.api_key` on a raw scope (no Request exists yet): Bearer, else `API-KEY`."""
    return api_key_in(scope["headers"], bearer)


PUBLIC_PREFIX = "/openapi/"


class Recorder:
    """A request's trace id, and its journal entry and log line once answered: one
    object for `RequestContext` and for the hot routes served by `hot_protocol.py`."""

    def __init__(self, emulator: Emulator, log: RequestLog | None = None) -> None:
        self.emulator = emulator
        self.log = log
        # Trace ids need to be unique, not secret: a random 74-bit prefix per process
        # and a counter (uuid4() reads os.urandom on every request, a syscall that showed
        # in profiles of the poll loop; formatting 128 random bits showed too).
        h = f"{random.SystemRandom().getrandbits(128):032x}"
        self._prefix = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-"
        self._count = itertools.count(int(h[20:], 16))

    def _new_trace_id(self) -> str:
        """A string shaped as a version-4 UUID; its last 48 bits count up."""
        return f"{self._prefix}{next(self._count) & 0xFFFFFFFFFFFF:012x}"

    def trace(self, headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, bool]:
        """The client's `Ai-trace-id`, else a new one; and whether the client gave it."""
        for name, value in headers:
            if name == TRACE_HEADER:
                return value.decode("latin-1"), True
        return self._new_trace_id(), False

    def record(self, method: str, path: str, state: dict[str, Any], status: int,
               started: float) -> None:
        get = state.get
        entry = JournalEntry(0, 0.0, method, path, state["route"], status,
                             get("err_code", 0 if status < 400 else None), get("team"),
                             state["trace_id"], get("reason"), get("video_id"), get("message"))
        if not path.startswith(CONTROL_PREFIX):  # the control plane is not journaled
            self.emulator.journal_entry(entry)
        if self.log is not None:
            self.log.write(entry.log_fields(), time.perf_counter() - started)


class RequestContext:
    def __init__(self, app: ASGIApp, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder
        self.profile = recorder.emulator.profile

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        trace, given = self.recorder.trace(scope["headers"])
        state: dict[str, Any] = scope.setdefault("state", {})
        state["trace_id"], state["trace_given"] = trace, given
        method, path = scope["method"], scope["path"]
        state["route"] = route_name(method, path)
        if path.startswith(PUBLIC_PREFIX):  # errors there look as the API's do
            state["profile"] = self.profile
        status = 500
        journaled = False  # the journal keeps the public API's requests; the log all
        trace_header = (TRACE_HEADER, trace.encode("latin-1"))

        async def send_with_trace(message: Message) -> None:
            nonlocal status, journaled
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), trace_header]}
            elif not message.get("more_body", False) and not journaled:
                # Journal before the last byte goes out: a client that has its answer
                # must find it in /_emulator/requests.
                journaled = True
                self.recorder.record(method, path, state, status, started)
            await send(message)

        try:
            await self.app(scope, receive, send_with_trace)
        finally:
            if not journaled:  # no complete answer was sent (a dropped connection, a crash)
                self.recorder.record(method, path, state, status, started)


class BodyLimit:
    def __init__(self, app: ASGIApp, limit_for: Callable[[str], tuple[int, str]]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit, name = self.limit_for(scope["path"])
        refusal = _refusal(scope, limit, name)
        if refusal is not None:
            await error_response(refusal, scope.setdefault("state", {}))(scope, receive, send)
            return
        await self.app(scope, _counting(receive, limit, name), send)


def _refusal(scope: Scope, limit: int, name: str) -> EmulatorError | None:
    """Refuse on the headers alone: a bad or too large `Content-Length`."""
    try:
        declared = _content_length(scope)
    except InvalidField as error:
        return error
    return too_large(limit, name) if declared is not None and declared > limit else None


def _content_length(scope: Scope) -> int | None:
    raw = _header(scope, b"content-length")
    if raw is None:
        return None
    if not raw.isdigit():
        raise InvalidField("Content-Length: not a whole number", reason="content_length")
    return int(raw)


def _counting(receive: Receive, limit: int, name: str) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large(limit, name)
        return message

    return counted


def too_large(limit: int, name: str) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Request body is larger than the {format_size(limit)} limit ({name})",
        reason=name,
    )


def format_size(size: int) -> str:
    mib = size / (1024 * 1024)
    if size % (1024 * 1024) == 0:
        return f"{int(mib)} MiB"
    return f"{size} bytes"
