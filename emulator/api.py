"""The `/openapi/v2` router: parse, one core call, envelope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from pydantic import BaseModel
from starlette.responses import JSONResponse

from . import ingest, views
from .deps import CallerDep, Create, create_call
from .errors import CATALOGUE
from .responses import ok
from .schemas import (
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

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    cls.http_status: {"model": ErrorEnvelope, "description": cls.code} for cls in CATALOGUE
}
ERROR_RESPONSES[400]["description"] = "unsupported_model, invalid_field or invalid_parameter"
CREATED: dict[int | str, dict[str, Any]] = {200: {"model": Envelope[CreateResp]}}

# No Content-Type is read as JSON: clients that forget the header still work.
router = APIRouter(
    prefix="/openapi/v2", responses=ERROR_RESPONSES, tags=["PixVerse"], strict_content_type=False
)


BODY_MODELS: tuple[type[BaseModel], ...] = (
    TextCreate, ImageCreate, TransitionCreate, FusionCreate, ExtendCreate
)
TextCall = Annotated[Create[TextCreate], Depends(create_call(TextCreate))]
ImageCall = Annotated[Create[ImageCreate], Depends(create_call(ImageCreate))]
TransitionCall = Annotated[Create[TransitionCreate], Depends(create_call(TransitionCreate))]
FusionCall = Annotated[Create[FusionCreate], Depends(create_call(FusionCreate))]
ExtendCall = Annotated[Create[ExtendCreate], Depends(create_call(ExtendCreate))]


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
async def video_result(video_id: int, call: CallerDep) -> JSONResponse:
    task = call.emulator.result(call.team, video_id)
    return ok(views.result(task, call), "Success")


@router.post(
    "/video/text/generate", responses=CREATED, openapi_extra=body_doc(TextCreate)
)
async def text_generate(create: TextCall) -> JSONResponse:
    return created("text", create)


@router.post(
    "/video/img/generate", responses=CREATED, openapi_extra=body_doc(ImageCreate)
)
async def img_generate(create: ImageCall) -> JSONResponse:
    return created("img", create)


@router.post(
    "/video/transition/generate", responses=CREATED, openapi_extra=body_doc(TransitionCreate)
)
async def transition_generate(create: TransitionCall) -> JSONResponse:
    return created("transition", create)


@router.post(
    "/video/fusion/generate", responses=CREATED, openapi_extra=body_doc(FusionCreate)
)
async def fusion_generate(create: FusionCall) -> JSONResponse:
    return created("fusion", create)


@router.post(
    "/video/extend/generate", responses=CREATED, openapi_extra=body_doc(ExtendCreate)
)
async def extend_generate(create: ExtendCall) -> JSONResponse:
    return created("extend", create)


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
