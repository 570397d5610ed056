"""Pages from templates: the Jinja2 environment, its filters, and the headers every
console page carries.

Every page is rendered with what its layout needs (the CSRF value for its forms, whether
there is a session to end, the notice or error an action left) so no template has to
ask for it. The Content-Security-Policy allows nothing from another origin: the console
runs offline by construction, and an upload's URL can never make the browser fetch it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from ..domain.tasks import Status
from ..http.views import iso
from ..version import __version__
from .session import ConsoleSession

TEMPLATES = Path(__file__).parent / "templates"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "media-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
STATUS_NAMES = {int(status): status.name.lower() for status in Status}


def status_name(status: int) -> str:
    return STATUS_NAMES.get(status, str(status))


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(iso=iso, status_name=status_name, pretty_json=pretty_json)
    env.globals.update(version=__version__, STATUS_NAMES=STATUS_NAMES)
    return env


ENVIRONMENT = _environment()


def session_of(request: Request) -> ConsoleSession:
    session: ConsoleSession = request.app.state.console_session
    return session


def page(request: Request, template: str, status_code: int = 200, **context: Any
         ) -> HTMLResponse:
    """A whole page (or, for names starting with `_`, a fragment that htmx swaps in)."""
    session = session_of(request)
    html = ENVIRONMENT.get_template(template).render(
        csrf=session.csrf, locked=session.locked, path=request.url.path,
        notice=request.query_params.get("notice"), error=request.query_params.get("error"),
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)
