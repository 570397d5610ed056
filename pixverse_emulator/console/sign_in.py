"""Signing in to a locked console: the admin token once, then a session cookie.

The cookie holds a value derived from the token (`ConsoleSession`), never the token
itself, so it opens the console and the control plane's reads but cannot be replayed
as a bearer token. HttpOnly keeps it from scripts, SameSite=Strict from other sites'
requests, Secure when the emulator serves TLS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .actions import Form
from .pages import PREFIX
from .render import page, session_of
from .session import COOKIE

SIGN_IN = f"{PREFIX}/sign-in"
COOKIE_PATH = "/_emulator"

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/sign-in")
async def sign_in_form(request: Request) -> Response:
    if not session_of(request).locked:
        return RedirectResponse(PREFIX, status_code=303)
    return page(request, "sign_in.html", next=landing(request.query_params.get("next")))


def landing(wanted: object) -> str:
    """Where a signed-in person goes: the console page that sent them here, never
    another site or path (an open redirect would let a link hand the session away)."""
    if not isinstance(wanted, str):
        return PREFIX
    parts = urlsplit(wanted)
    inside = parts.path == PREFIX or parts.path.startswith(PREFIX + "/")
    if parts.scheme or parts.netloc or not inside or "\\" in wanted or parts.path == SIGN_IN:
        return PREFIX
    return wanted


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    session = session_of(request)
    form = await request.form()
    token = form.get("token")
    if not session.locked:
        return RedirectResponse(PREFIX, status_code=303)
    if not isinstance(token, str) or not session.token_matches(token):
        return _refused(request, form.get("next"))
    answer = RedirectResponse(landing(form.get("next")), status_code=303)
    answer.set_cookie(COOKIE, session.cookie_value, path=COOKIE_PATH, httponly=True,
                      samesite="strict", secure=request.url.scheme == "https")
    return answer


def _refused(request: Request, form_next: object) -> HTMLResponse:
    request.scope["state"]["reason"] = "admin_token"
    return page(request, "sign_in.html", status_code=401, next=landing(form_next),
                sign_in_error="That is not this emulator's admin token.")


@router.post("/sign-out")
async def sign_out(request: Request, form: Form) -> Response:
    answer = RedirectResponse(SIGN_IN, status_code=303)
    answer.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return answer
