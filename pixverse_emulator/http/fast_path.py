"""`FastPath`: the hot routes (`hot_routes.py`) inside the ASGI app, in front of
FastAPI's router and dependency machinery, which measured as most of a poll's time.

It sits innermost, so the trace id, journal, control-plane lock, faults and body limit
around it apply as to any route. A create authenticates before it reads its body (a
401 goes out at once, without waiting for a body that may never come); a body that
cannot be read (too large, stalled) answers its error, unless the key fails first.
Anything else (other routes, other methods, HEAD) goes on to the FastAPI app.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import EmulatorError
from .hot_routes import Answer, HotRoutes, RawRequest, error_answer, hot_route, raw_request


class FastPath:
    def __init__(self, app: ASGIApp, routes: HotRoutes) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = hot_route(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        request = raw_request(scope)
        answer = await self._answer(route, request, state, receive)
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": answer.headers})
        await send({"type": "http.response.body", "body": answer.body})

    async def _answer(self, route: str, request: RawRequest, state: dict[str, Any],
                      receive: Receive) -> Answer:
        if route == "result":
            return self.routes.answer(route, request, state)
        try:
            team = self.routes.team(request, state)
            request.body = await _body(receive)
        except EmulatorError as error:
            return error_answer(error, state)
        return self.routes.answer(route, request, state, team)


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
