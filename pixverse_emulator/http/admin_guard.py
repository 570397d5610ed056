"""`AdminGuard`: the control plane's lock, the one place it is checked.

With an `admin_token` set, every `/_emulator/*` request but `GET /_emulator/health`, the
console's sign-in page and its static files needs `Authorization: Bearer <admin_token>`;
without it or with another token the answer is the 401 envelope `admin_unauthorized`.
A console session cookie (`console/session.py`) counts as the token for the console's
pages and for any read of the control plane; a browser that has none is sent to the
sign-in page. Tokens are compared in constant time. Without a token (a server on
loopback, or `admin_open`) the control plane is open.
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..console.session import COOKIE, ConsoleSession
from ..errors import AdminUnauthorized
from .responses import error_response

PREFIX = "/_emulator"
CONSOLE = "/_emulator/ui"
SIGN_IN = "/_emulator/ui/sign-in"
OPEN_PATHS = frozenset({("GET", "/_emulator/health"), ("HEAD", "/_emulator/health"),
                        ("GET", SIGN_IN), ("POST", SIGN_IN)})
STATIC = "/_emulator/static/"
READS = frozenset({"GET", "HEAD"})


def is_control_plane(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def bearer_token(scope: Scope) -> bytes | None:
    authorization = header(scope, b"authorization")
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(b" ")
    return token.strip() if scheme.lower() == b"bearer" and token.strip() else None


def session_cookie(scope: Scope) -> str | None:
    raw = header(scope, b"cookie")
    if raw is None:
        return None
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(raw.decode("latin-1"))
    except Exception:  # a malformed Cookie header is no session
        return None
    found = cookies.get(COOKIE)
    return None if found is None else found.value


class AdminGuard:
    def __init__(self, app: ASGIApp, token: str | None, session: ConsoleSession) -> None:
        self.app = app
        self.token = None if token is None else token.encode()
        self.session = session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] != "http" or self._open(scope):
            await self.app(scope, receive, send)
            return
        presented = bearer_token(scope)
        if presented is not None and hmac.compare_digest(presented, self.token):
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        on_console = path == CONSOLE or path.startswith(CONSOLE + "/")
        if (on_console or method in READS) and self.session.signed_in(session_cookie(scope)):
            await self.app(scope, receive, send)
            return
        if on_console and method in READS:
            await RedirectResponse(sign_in_for(scope), status_code=303)(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        await error_response(refusal(presented), state)(scope, receive, send)

    @staticmethod
    def _open(scope: Scope) -> bool:
        path = scope["path"]
        return (not is_control_plane(path) or (scope["method"], path) in OPEN_PATHS
                or path.startswith(STATIC))


def sign_in_for(scope: Scope) -> str:
    """The sign-in page, remembering the console page asked for."""
    query = scope.get("query_string", b"").decode("latin-1")
    wanted = scope["path"] + (f"?{query}" if query else "")
    return f"{SIGN_IN}?{urlencode({'next': wanted})}"


def refusal(presented: bytes | None) -> AdminUnauthorized:
    problem = "no admin token" if presented is None else "a wrong admin token"
    return AdminUnauthorized(
        f"The control plane needs 'Authorization: Bearer <admin_token>'; this request "
        f"sent {problem}",
        headers={"WWW-Authenticate": 'Bearer realm="pixverse-emulator control plane"'},
        reason="admin_token",
    )
