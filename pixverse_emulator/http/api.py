"""The `/openapi/v2` router: parse, one core call, envelope.

The creates and the result poll are served by `hot_routes.py` (through `FastPath` or
straight from the HTTP parser); their routes here document them in `/openapi.json`
and are the reference the parity tests hold the hot routes to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import JSONResponse

from ..domain.schemas import (
    CreateResp,
    Envelope,
    ErrorEnvelope,
    ImageUploadResp,
    MediaUploadResp,
    ResultResp,
)
from ..errors import CATALOGUE
from . import ingest, views
from .deps import CallerDep, Create, caller, create_call
from .documented import DocumentedRoute
from .hot_routes import CREATES
from .responses import ok

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    cls.http_status: {"model": ErrorEnvelope, "description": cls.code} for cls in CATALOGUE
}
ERROR_RESPONSES[400]["description"] = "unsupported_model, invalid_field or invalid_parameter"
CREATED: dict[int | str, dict[str, Any]] = {200: {"model": Envelope[CreateResp]}}

# No Content-Type is read as JSON: clients that forget the header still work.
# DocumentedRoute: the documented answers' models are built for /openapi.json, not at start.
router = APIRouter(
    prefix="/openapi/v2", responses=ERROR_RESPONSES, tags=["PixVerse"], strict_content_type=False,
    route_class=DocumentedRoute,
)


def body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """The request body for /openapi.json: parsed by `json_body`, so documented by hand
    (app.py adds the schemas of BODY_MODELS to the components)."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def created(route: str, create: Create[Any]) -> JSONResponse:
    call = create.call
    submission = call.emulator.submit(call.team, route, create.body, call.trace_id)
    call.request.scope["state"]["video_id"] = submission.task.video_id
    return ok(views.created(submission.task, call.emulator.profile.credits_unit))


# The result route comes first: polls are most of the traffic and routes match in order.
@router.get("/video/result/{video_id}", responses={200: {"model": Envelope[ResultResp]}})
async def video_result(video_id: int, request: Request) -> JSONResponse:
    request.scope["state"]["video_id"] = video_id
    call = await caller(request)  # resolved here, not as a dependency: polls are hot
    task = call.emulator.result(call.team, video_id)
    return ok(views.result(task, call, call.emulator.profile.credits_unit), "Success")


def create_endpoint(route: str, model: type[BaseModel]) -> Callable[[Request], Awaitable[Any]]:
    """One create route: auth, then the body, then one core call. The endpoint takes the
    Request and resolves both itself: a FastAPI dependency costs a resolution step per
    request, which showed in the create benchmark."""
    resolve = create_call(model)

    async def endpoint(request: Request) -> JSONResponse:
        return created(route, await resolve(request))

    endpoint.__name__ = f"{route}_generate"
    return endpoint


for _route, _model in CREATES.items():
    router.add_api_route(
        f"/video/{_route}/generate",
        create_endpoint(_route, _model),
        methods=["POST"],
        responses=CREATED,
        openapi_extra=body_doc(_model),
        summary=f"{_route.capitalize()} generate",
    )


def form_doc(fields: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A multipart body for /openapi.json: uploads are read by `form.py` as they stream
    in (FastAPI's own form handling would spool them to a temp file first)."""
    schema = {"type": "object", "properties": fields}
    return {"requestBody": {"content": {"multipart/form-data": {"schema": schema}}}}


BINARY = {"type": "string", "format": "binary"}
IMAGE_FORM = form_doc({
    "image": {**BINARY, "description": "PNG, JPEG or WebP"},
    "image_url": {"type": "string", "description": "recorded as given"},
})
MEDIA_FORM = form_doc({
    "file": {**BINARY, "description": "MP4/MOV/WebM or MP3/WAV/M4A/AAC"},
    "file_url": {"type": "string", "description": "recorded as given"},
    "media_type": {"type": "string", "description": "video or audio, for file_url"},
})


@router.post("/image/upload", responses={200: {"model": Envelope[ImageUploadResp]}},
             openapi_extra=IMAGE_FORM)
async def image_upload(call: CallerDep) -> JSONResponse:
    stored = await ingest.image(call.emulator, call.team, call.request)
    return ok(views.image(stored, call.base_url))


@router.post("/media/upload", responses={200: {"model": Envelope[MediaUploadResp]}},
             openapi_extra=MEDIA_FORM)
async def media_upload(call: CallerDep) -> JSONResponse:
    stored = await ingest.media(call.emulator, call.team, call.request)
    return ok(views.media(stored, call.base_url))
