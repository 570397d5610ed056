"""The console's pages and the fragments htmx polls to keep them live (every 1 s).

Each view reads through the same Emulator calls as the JSON control plane; a page and
its live fragment share one function that gathers what they show.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse

from ..core import Emulator
from ..domain.faults import CREATE_ROUTES, ROUTES
from ..domain.tasks import Status, Task
from ..domain.uploads import StoredImage, Upload, upload_id
from ..errors import CATALOGUE, EmulatorError
from ..http.deps import EmulatorDep, origin
from ..http.views import file_url, video_name
from .render import page

PREFIX = "/_emulator/ui"
LIST_LIMIT = 200

router = APIRouter(prefix=PREFIX, include_in_schema=False)
root = APIRouter(include_in_schema=False)


@root.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse(PREFIX, status_code=307)


# -- overview ---------------------------------------------------------------------------


def _overview(emulator: Emulator) -> dict[str, Any]:
    return {"clock": emulator.clock_info(), "teams": emulator.teams(),
            "counts": emulator.status_counts()}


@router.get("")
async def overview(request: Request, emulator: EmulatorDep) -> HTMLResponse:
    return page(request, "overview.html", **_overview(emulator))


@router.get("/overview/live")
async def overview_live(request: Request, emulator: EmulatorDep) -> HTMLResponse:
    return page(request, "_overview_live.html", **_overview(emulator))


STOP_POLLING = 286

# -- tasks ------------------------------------------------------------------------------


def _number(value: str | None) -> int | None:
    """A filter's number; anything else filters nothing (a console, not an API)."""
    return int(value) if value is not None and value.strip().lstrip("-").isdigit() else None


def _task_filters(request: Request) -> dict[str, Any]:
    params = request.query_params
    return {"team": params.get("team") or None, "status": _number(params.get("status")),
            "route": params.get("route") or None}


def _tasks(request: Request, emulator: Emulator) -> dict[str, Any]:
    filters = _task_filters(request)
    query = urlencode({k: v for k, v in filters.items() if v is not None})
    return {"tasks": emulator.list_tasks(**filters, limit=LIST_LIMIT), "filters": filters,
            "query": query, "routes": CREATE_ROUTES}


@router.get("/tasks")
async def tasks(request: Request, emulator: EmulatorDep) -> HTMLResponse:
    return page(request, "tasks.html", **_tasks(request, emulator))


@router.get("/tasks/rows")
async def task_rows(request: Request, emulator: EmulatorDep) -> HTMLResponse:
    return page(request, "_task_rows.html", **_tasks(request, emulator))


def _task(request: Request, emulator: Emulator, video_id: int) -> dict[str, Any]:
    task = emulator.task(video_id)
    return {"task": task, "video_url": _video_url(request, emulator, task)}


def _video_url(request: Request, emulator: Emulator, task: Task) -> str | None:
    if task.status is not Status.SUCCEEDED:
        return None
    # The console's own origin, not `public_url`: the browser plays it from here.
    return file_url(origin(request), task.token, video_name(task))


@router.get("/tasks/{video_id}")
async def task(request: Request, video_id: int, emulator: EmulatorDep) -> HTMLResponse:
    shown = _task(request, emulator, video_id)
    team = shown["task"].team_id
    ledger = [e for e in emulator.ledger_entries(team) if e.video_id == video_id]
    journal = list(reversed(emulator.requests(video_id=video_id)))
    return page(request, "task.html", ledger=ledger, journal=journal, **shown)


@router.get("/tasks/{video_id}/live")
async def task_live(request: Request, video_id: int, emulator: EmulatorDep) -> HTMLResponse:
    context = _task(request, emulator, video_id)
    # 286 is htmx's "stop polling": a finished task changes only by a click here, which
    # reloads the page, so polling on would only restart the video every second.
    running = context["task"].status is Status.RUNNING
    return page(request, "_task_live.html", status_code=200 if running else STOP_POLLING,
                **context)


# -- journal ----------------------------------------------------------------------------


def _journal(request: Request, emulator: Emulator) -> dict[str, Any]:
    params = request.query_params
    filters = {"team": params.get("team") or None, "route": params.get("route") or None,
               "status": _number(params.get("status")),
               "err_code": _number(params.get("err_code"))}
    errors_only = params.get("errors") == "1"
    entries = [e for e in reversed(emulator.requests(**filters))
               if not errors_only or e["status"] >= 400][:LIST_LIMIT]
    shown = {k: v for k, v in filters.items() if v is not None}
    query = urlencode({**shown, **({"errors": "1"} if errors_only else {})})
    return {"entries": entries, "filters": filters, "errors_only": errors_only, "query": query}


@router.get("/journal")
async def journal(request: Request, emulator: EmulatorDep) -> HTMLResponse:
    return page(request, "journal.html", **_journal(request, emulator))


@router.get("/journal/rows")
async def journal_rows(request: Request, emulator: EmulatorDep) -> HTMLResponse:
    return page(request, "_journal_rows.html", **_journal(request, emulator))


# -- uploads, faults, snapshots ---------------------------------------------------------


def upload_card(upload: Upload, here: str) -> dict[str, Any]:
    stored = upload.file
    kind = "image" if isinstance(upload, StoredImage) else upload.media_type
    card: dict[str, Any] = {
        "kind": kind, "id": upload_id(upload),
        "team": upload.team_id, "created_at": upload.created_at,
        "source_url": upload.source_url, "url": None,
        "probed": asdict(upload.info) if upload.info else None,
    }
    if stored is not None:
        card.update(url=file_url(here, stored.token, stored.name), name=stored.name,
                    size=stored.size, content_type=stored.content_type)
    return card


@router.get("/uploads")
async def uploads(request: Request, emulator: EmulatorDep) -> HTMLResponse:
    team = request.query_params.get("team") or None
    here = origin(request)
    cards = [upload_card(u, here) for u in emulator.list_uploads(team, LIST_LIMIT)]
    return page(request, "uploads.html", uploads=cards, team=team)


FAULT_ROUTES = ("*", "create", *ROUTES)
FAULT_ERRORS = [error for error in CATALOGUE if error is not EmulatorError]


@router.get("/faults")
async def faults(request: Request, emulator: EmulatorDep) -> HTMLResponse:
    return page(request, "faults.html", faults=emulator.list_faults(), routes=FAULT_ROUTES,
                errors=FAULT_ERRORS)


@router.get("/snapshots")
async def snapshots(request: Request, emulator: EmulatorDep) -> HTMLResponse:
    return page(request, "snapshots.html", snapshots=emulator.list_snapshots())
