"""`CatchUp`: with a shared store (Redis), every request first takes in what other
processes committed since this one last looked, so anything it reads without a unit of
work (the key that names a team, the journal, the fault rules) is as current as what a
unit reads. One round trip to Redis; only a shared store's app has this wrapper.

A store that cannot be reached answers the 503 envelope naming it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import StoreUnavailable
from .responses import error_response

if TYPE_CHECKING:
    from ..core import Emulator


class CatchUp:
    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                self.emulator.catch_up()
            except StoreUnavailable as error:
                state: dict[str, Any] = scope.setdefault("state", {})
                await error_response(error, state)(scope, receive, send)
                return
        await self.app(scope, receive, send)
