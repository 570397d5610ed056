"""The `/_emulator` control plane: each route is one Emulator call. Kept out of the
public OpenAPI document; every answer is 200 with a JSON body (errors: the envelope).
`/_emulator/health` is in health.py, built at start; these on the plane's first request."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..clock import MAX_ADVANCE
from ..settings import redacted
from . import views
from .deps import EmulatorDep, base_url, json_body

router = APIRouter(prefix="/_emulator", include_in_schema=False)


class _Admin(BaseModel):
    # defer_build: validators built at a body's first use, not at start (json_body parses).
    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)


class Advance(_Admin):
    seconds: Annotated[float, Field(ge=0, le=MAX_ADVANCE, allow_inf_nan=False)]
    team: str | None = None


class TeamUpdate(_Admin):
    credits: Annotated[int, Field(ge=0)] | None = None
    pending_cap: Annotated[int, Field(ge=0)] | None = None
    keys: list[Annotated[str, Field(min_length=1)]] | None = None
    progression: str | None = None
    outcomes: str | list[str] | None = None
    webhook_url: Annotated[str, Field(max_length=2048, pattern=r"^(https?://\S+)?$")] | None = None
    webhook_secret: Annotated[str, Field(max_length=256)] | None = None
    credit_package: Annotated[int, Field(ge=0)] | None = None


class StatusChange(_Admin):
    status: int


class PolicyChange(_Admin):
    progression: str | None = None
    outcome: str | None = None


AdvanceBody = Annotated[Advance, Depends(json_body(Advance))]
TeamBody = Annotated[TeamUpdate, Depends(json_body(TeamUpdate))]
StatusBody = Annotated[StatusChange, Depends(json_body(StatusChange))]
PolicyBody = Annotated[PolicyChange, Depends(json_body(PolicyChange))]


@router.get("/settings")
async def settings(emulator: EmulatorDep) -> dict[str, Any]:
    """The settings in force, with keys and tokens redacted."""
    return redacted(emulator.settings)


@router.get("/tasks")
async def tasks(
    request: Request,
    emulator: EmulatorDep,
    team: str | None = None,
    status: int | None = None,
    route: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> dict[str, Any]:
    """Tasks, newest first."""
    base = base_url(emulator, request)
    found = emulator.list_tasks(team=team, status=status, route=route, limit=limit)
    return {"tasks": [views.task_summary(task, base) for task in found]}


@router.post("/reset")
async def reset(emulator: EmulatorDep, team: str | None = None) -> dict[str, Any]:
    emulator.reset(team)
    return {"reset": True, "team": team}


@router.get("/clock")
async def clock(emulator: EmulatorDep, team: str | None = None) -> dict[str, Any]:
    return emulator.clock_info(team)


@router.post("/clock/advance")
async def advance(emulator: EmulatorDep, body: AdvanceBody) -> dict[str, Any]:
    # In a worker thread: advancing sends the webhook deliveries that fell due, and a
    # slow receiver must not hold up every other request meanwhile.
    await run_in_threadpool(emulator.advance, body.seconds, body.team)
    return emulator.clock_info(body.team)


@router.get("/teams/{team_id}")
async def get_team(team_id: str, emulator: EmulatorDep) -> dict[str, Any]:
    return emulator.team(team_id)


@router.put("/teams/{team_id}")
async def put_team(team_id: str, emulator: EmulatorDep, body: TeamBody) -> dict[str, Any]:
    return emulator.put_team(team_id, **body.model_dump(exclude_unset=True))


@router.get("/teams/{team_id}/ledger")
async def ledger(team_id: str, emulator: EmulatorDep) -> dict[str, Any]:
    return {"entries": [views.ledger_entry(e) for e in emulator.ledger_entries(team_id)]}


@router.get("/webhooks")
async def webhook_deliveries(emulator: EmulatorDep, team: str | None = None) -> dict[str, Any]:
    """Every webhook delivery (of a team), oldest first, with each attempt's answer."""
    return {"deliveries": emulator.deliveries(team)}


@router.get("/tasks/{video_id}")
async def task(video_id: int, emulator: EmulatorDep) -> dict[str, Any]:
    return views.task_detail(emulator.task(video_id))


@router.post("/tasks/{video_id}/status")
async def set_status(video_id: int, body: StatusBody, emulator: EmulatorDep) -> dict[str, Any]:
    return views.task_detail(emulator.set_status(video_id, body.status))


@router.get("/images/{img_id}")
async def image(img_id: int, emulator: EmulatorDep) -> dict[str, Any]:
    return views.image_detail(emulator.image(img_id))


@router.get("/media/{media_id}")
async def media(media_id: int, emulator: EmulatorDep) -> dict[str, Any]:
    return views.media_detail(emulator.media(media_id))


@router.post("/tasks/{video_id}/policy")
async def set_policy(video_id: int, body: PolicyBody, emulator: EmulatorDep) -> dict[str, Any]:
    task = emulator.set_policy(video_id, body.progression, body.outcome)
    return views.task_detail(task)


@router.get("/requests")
async def requests(
    emulator: EmulatorDep,
    team: str | None = None,
    route: str | None = None,
    status: int | None = None,
    err_code: int | None = None,
    trace_id: str | None = None,
    video_id: int | None = None,
) -> dict[str, Any]:
    filters = {"team": team, "route": route, "status": status, "err_code": err_code,
               "trace_id": trace_id, "video_id": video_id}
    return {"requests": emulator.requests(**filters)}


@router.delete("/requests")
async def clear_requests(emulator: EmulatorDep, team: str | None = None) -> dict[str, Any]:
    emulator.clear_requests(team)
    return {"requests": []}


@router.get("/coverage")
async def coverage(emulator: EmulatorDep) -> dict[str, Any]:
    return emulator.coverage_report()


@router.delete("/coverage")
async def clear_coverage(emulator: EmulatorDep) -> dict[str, Any]:
    emulator.clear_coverage()
    return emulator.coverage_report()
