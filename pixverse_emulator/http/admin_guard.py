"""`AdminGuard`: the control plane's lock, the one place it is checked.

With an `admin_token` set, every `/_emulator/*` request but `GET /_emulator/health`
needs `Authorization: Bearer <admin_token>`; without it or with another token the
answer is the 401 envelope `admin_unauthorized`. Tokens are compared in constant time.
Without a token (a server on loopback, or `admin_open`) the control plane is open.
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import AdminUnauthorized
from .responses import error_response

PREFIX = "/_emulator"
OPEN_PATHS = frozenset({("GET", "/_emulator/health"), ("HEAD", "/_emulator/health")})
STATIC = "/_emulator/static/"


def is_control_plane(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def bearer_token(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = bytes(value).partition(b" ")
            return token.strip() if scheme.lower() == b"bearer" and token.strip() else None
    return None


class AdminGuard:
    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = None if token is None else token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.token is None
            or scope["type"] != "http"
            or not is_control_plane(scope["path"])
            or (scope["method"], scope["path"]) in OPEN_PATHS
            or scope["path"].startswith(STATIC)  # the console's scripts and styles
        ):
            await self.app(scope, receive, send)
            return
        presented = bearer_token(scope)
        if presented is not None and hmac.compare_digest(presented, self.token):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        await error_response(refusal(presented), state)(scope, receive, send)


def refusal(presented: bytes | None) -> AdminUnauthorized:
    problem = "no admin token" if presented is None else "a wrong admin token"
    return AdminUnauthorized(
        f"The control plane needs 'Authorization: Bearer <admin_token>'; this request "
        f"sent {problem}",
        headers={"WWW-Authenticate": 'Bearer realm="pixverse-emulator control plane"'},
        reason="admin_token",
    )
