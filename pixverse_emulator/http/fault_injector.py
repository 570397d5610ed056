"""`FaultInjector`: applies the fault rules of `faults.py` to live requests.

A pure-ASGI wrapper (no BaseHTTPMiddleware: it runs on every request, and a request no
rule matches costs one route lookup, one key read and one rule lookup). It sits inside
`RequestContext`, so the journal records every fault with the reason `fault:<id>`, and
outside `BodyLimit`, so a fault answers before a body is counted or read.

| fault      | what the client sees                                                   |
|------------|------------------------------------------------------------------------|
| `error`    | the catalogue error (envelope, HTTP status, ErrCode) instead of the answer |
| `upstream` | an upstream envelope (`error.code` `upstream_error`), optional Retry-After |
| `latency`  | the normal answer, after a delay                                       |
| `drop`     | a 200 whose body stops short of its Content-Length, then a closed connection |
| `truncate` | a complete 200 of the download's first `floor(size * truncate)` bytes  |

`drop` relies on what uvicorn does when an app returns mid-body: its h11 and httptools
protocols both log "ASGI callable returned without completing response." and close the
transport (no 500: the response had started), so httpx raises `RemoteProtocolError`.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..domain.faults import FaultRule, Upstream, error_class, route_name
from ..errors import EmulatorError, InternalError
from .middleware import api_key_of
from .responses import error_response

if TYPE_CHECKING:
    from ..core import Emulator

DOWNLOAD = "download"
# What a dropped response sends before the connection goes: the start of an envelope,
# under a Content-Length that promises four times as much.
DROP_BODY = b'{"ErrCode": 0, "ErrMsg": "success", "Resp": {'
DROP_DECLARED = str(4 * len(DROP_BODY)).encode()
STRIPPED_FOR_TRUNCATE = (b"range", b"if-range")


def upstream_message(upstream: Upstream) -> str:
    """The rule's message, else the one the upstream service sends for that code."""
    if upstream.message is not None:
        return upstream.message
    match upstream.err_code:
        case 500044:
            return "Reached the limit for concurrent generations"
        case 500069:
            return "The system is overloaded, please try again later"
        case _:
            return "Upstream error"


class FaultInjector:
    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # No rules is the usual case: skip the key and rule lookups (a length read needs
        # no lock; a rule added mid-request applies from the next one).
        active = scope["type"] == "http" and self.emulator.faults_in_force()
        fired = self._match(scope) if active else None
        if fired is None:
            await self.app(scope, receive, send)
            return
        rule, route, team = fired
        state: dict[str, Any] = scope.setdefault("state", {})
        state["reason"] = f"fault:{rule.id}"
        if rule.latency is not None:
            await asyncio.sleep(rule.latency)
            await self.app(scope, receive, send)
        elif rule.truncate is not None:
            await self._truncate(rule.truncate, route, scope, receive, send)
        else:
            if team is not None and route != DOWNLOAD:
                state["team"] = team  # the app never runs to authenticate the key
            await answer(rule, state)(scope, receive, send)

    def _match(self, scope: Scope) -> tuple[FaultRule, str, str | None] | None:
        """The rule that fires for this request (counted), its route and its team."""
        method: str = scope["method"]
        state = scope.get("state") or {}
        route = state["route"] if "route" in state else route_name(method, scope["path"])
        if route is None:
            return None
        team = self._team(route, scope)
        rule = self.emulator.match_fault(route, method, team)
        return None if rule is None else (rule, route, team)

    def _team(self, route: str, scope: Scope) -> str | None:
        """Downloads need no key: their team is the file's owner, found by its token."""
        if route == DOWNLOAD:
            return self.emulator.owner_of_file(scope["path"].split("/")[2])
        return self.emulator.team_for_key(api_key_of(scope, self.emulator.profile.bearer_keys))

    async def _truncate(
        self, fraction: float, route: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Only downloads are cut (a `*` rule from the Python API passes other routes
        through); Range goes, so the answer is a plain 200 cut to a fraction of the file."""
        if route != DOWNLOAD:
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in STRIPPED_FOR_TRUNCATE]
        await self.app({**scope, "headers": headers}, receive, truncating(send, fraction))


def answer(rule: FaultRule, state: dict[str, Any]) -> ASGIApp:
    """The ASGI response that replaces the app's for an `error`, `upstream` or `drop`."""
    if rule.error is not None:
        return error_response(injected_error(rule, rule.error), state)
    if rule.upstream is not None:
        return upstream_response(rule, state, rule.upstream)
    state["err_code"] = None  # nothing with an ErrCode reached the client
    return drop


def injected_error(rule: FaultRule, value: str) -> EmulatorError:
    """The error an `error` rule names; an unknown name (only possible through the Python
    API, the control plane refuses it) is an InternalError saying so."""
    error = error_class(value)
    reason = f"fault:{rule.id}"
    if error is None:
        return InternalError(f"Fault {rule.id}: no catalogue error {value!r}", reason=reason)
    return error(f"Injected fault {rule.id}: {error.code}", reason=reason)


def upstream_response(rule: FaultRule, state: dict[str, Any], upstream: Upstream) -> JSONResponse:
    message = upstream_message(upstream)
    state["err_code"] = upstream.err_code
    state["reason"] = f"fault:{rule.id}"
    body = {
        "ErrCode": upstream.err_code,
        "ErrMsg": message,
        "Resp": {},
        "error": {"code": "upstream_error", "message": message, "type": "api_error"},
    }
    headers = None if upstream.retry_after is None else {"Retry-After": str(upstream.retry_after)}
    return JSONResponse(body, status_code=upstream.http_status, headers=headers)


async def drop(scope: Scope, receive: Receive, send: Send) -> None:
    """Start a response and stop part-way: returning with `more_body` pending makes the
    server close the connection, and the client reads fewer bytes than were promised."""
    headers = [(b"content-type", b"application/json"), (b"content-length", DROP_DECLARED)]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": DROP_BODY, "more_body": True})


def truncating(send: Send, fraction: float) -> Send:
    """Cut a 200 with a Content-Length to `floor(length * fraction)` bytes, across any
    number of body messages (StreamingResponse); anything else passes unchanged."""
    left: int | None = None  # bytes still to send; None: not cutting this response

    async def cut(message: Message) -> None:
        nonlocal left
        if message["type"] == "http.response.start":
            message, left = truncated_start(message, fraction)
        elif message["type"] == "http.response.body" and left is not None:
            body = bytes(message.get("body", b""))[:left]
            left -= len(body)
            more = bool(message.get("more_body", False))
            if not body and more:
                return  # past the cut: nothing to send until the final message
            message = {**message, "body": body}
        await send(message)

    return cut


def truncated_start(message: Message, fraction: float) -> tuple[Message, int | None]:
    """The response start with the cut Content-Length, and how many bytes to keep."""
    headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
    declared = next((v for k, v in headers if k.lower() == b"content-length"), None)
    if message["status"] != 200 or declared is None or not declared.isdigit():
        return message, None
    keep = math.floor(int(declared) * fraction)
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    kept.append((b"content-length", str(keep).encode()))
    return {**message, "headers": kept}, keep
