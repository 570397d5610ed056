"""`FastPath`: the hot JSON routes (the five creates and the result poll) served without
FastAPI's router and dependency machinery.

It calls the very endpoint functions the FastAPI routes call (`api.HOT_ENDPOINTS`), so
behaviour and OpenAPI documentation stay in one place; it only skips route matching and
dependency solving, which measured as most of a poll's time in-process and kept the
emulator under 0.8x a bare FastAPI app's throughput. Errors render through the same
envelope function as every other error. Anything else (other routes, other methods,
HEAD) goes on to the FastAPI app unchanged.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import EmulatorError
from .api import HOT_ENDPOINTS
from .responses import error_response


class FastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: dict[str, Any] = scope.get("state") or {}
        route = state.get("route") if scope["type"] == "http" else None
        endpoint = HOT_ENDPOINTS.get((scope["method"], route)) if route else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        # Starlette put the app in the scope: the endpoint finds the emulator there.
        try:
            response = await endpoint(Request(scope, receive))
        except EmulatorError as error:
            response = error_response(error, state)
        await response(scope, receive, send)
