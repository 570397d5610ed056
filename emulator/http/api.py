"""The `/openapi/v2` router: parse, one core call, envelope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.responses import JSONResponse

from ..domain.schemas import (
    CreateResp,
    Envelope,
    ErrorEnvelope,
    ExtendCreate,
    FusionCreate,
    ImageCreate,
    ImageUploadResp,
    MediaUploadResp,
    ResultResp,
    TextCreate,
    TransitionCreate,
)
from ..errors import CATALOGUE, invalid_field
from . import ingest, views
from .deps import CallerDep, Create, caller, create_call
from .responses import ok

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    cls.http_status: {"model": ErrorEnvelope, "description": cls.code} for cls in CATALOGUE
}
ERROR_RESPONSES[400]["description"] = "unsupported_model, invalid_field or invalid_parameter"
CREATED: dict[int | str, dict[str, Any]] = {200: {"model": Envelope[CreateResp]}}

# No Content-Type is read as JSON: clients that forget the header still work.
router = APIRouter(
    prefix="/openapi/v2", responses=ERROR_RESPONSES, tags=["PixVerse"], strict_content_type=False
)


CREATES: dict[str, type[BaseModel]] = {
    "text": TextCreate,
    "img": ImageCreate,
    "transition": TransitionCreate,
    "fusion": FusionCreate,
    "extend": ExtendCreate,
}


def body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """The request body for /openapi.json: parsed by `json_body`, so documented by hand
    (app.py adds the schemas of BODY_MODELS to the components)."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def created(route: str, create: Create[Any]) -> JSONResponse:
    call = create.call
    submission = call.emulator.submit(call.team, route, create.body, call.trace_id)
    return ok(views.created(submission.task))


# The result route comes first: polls are most of the traffic and routes match in order.
@router.get("/video/result/{video_id}", responses={200: {"model": Envelope[ResultResp]}})
async def video_result(video_id: int, request: Request) -> JSONResponse:
    call = await caller(request)  # resolved here, not as a dependency: polls are hot
    task = call.emulator.result(call.team, video_id)
    return ok(views.result(task, call), "Success")


VIDEO_ID: TypeAdapter[int] = TypeAdapter(int)


async def video_result_by_path(request: Request) -> JSONResponse:
    """`video_result` for the fast path, which has no router to convert `{video_id}`:
    converted here the way FastAPI converts it (pydantic's lax int)."""
    try:
        video_id = VIDEO_ID.validate_python(request.scope["path"].rsplit("/", 1)[1])
    except ValidationError as exc:
        raise invalid_field([{**e, "loc": ("video_id",)} for e in exc.errors()]) from exc
    return await video_result(video_id, request)


def create_endpoint(route: str, model: type[BaseModel]) -> Callable[[Request], Awaitable[Any]]:
    """One create route: auth, then the body, then one core call. The endpoint takes the
    Request and resolves both itself: a FastAPI dependency costs a resolution step per
    request, which showed in the create benchmark."""
    resolve = create_call(model)

    async def endpoint(request: Request) -> JSONResponse:
        return created(route, await resolve(request))

    endpoint.__name__ = f"{route}_generate"
    return endpoint


# (method, route name) -> the endpoint, for `fast_path.FastPath` to call directly.
HOT_ENDPOINTS: dict[tuple[str, str], Callable[[Request], Awaitable[Any]]] = {
    ("GET", "result"): video_result_by_path,
    **{("POST", name): create_endpoint(name, model) for name, model in CREATES.items()},
}

for _route, _model in CREATES.items():
    router.add_api_route(
        f"/video/{_route}/generate",
        HOT_ENDPOINTS["POST", _route],
        methods=["POST"],
        responses=CREATED,
        openapi_extra=body_doc(_model),
        summary=f"{_route.capitalize()} generate",
    )


@router.post("/image/upload", responses={200: {"model": Envelope[ImageUploadResp]}})
async def image_upload(
    call: CallerDep,
    image: Annotated[UploadFile | None, File(description="PNG, JPEG or WebP")] = None,
    image_url: Annotated[str | None, Form(description="recorded as given")] = None,
) -> JSONResponse:
    stored = await ingest.image(call.emulator, call.team, image, image_url)
    return ok(views.image(stored, call.base_url))


@router.post("/media/upload", responses={200: {"model": Envelope[MediaUploadResp]}})
async def media_upload(
    call: CallerDep,
    file: Annotated[UploadFile | None, File(description="MP4/MOV/WebM or MP3/WAV/M4A/AAC")] = None,
    file_url: Annotated[str | None, Form(description="recorded as given")] = None,
    media_type: Annotated[str | None, Form(description="video or audio, for file_url")] = None,
) -> JSONResponse:
    stored = await ingest.media(call.emulator, call.team, file, file_url, media_type)
    return ok(views.media(stored, call.base_url))
