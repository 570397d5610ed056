"""Create rules that need more than one field, and the resources a create names.

`check_request` is the body's combination rules (400001, 400017). `resolve`
finds the images, videos and media a create names, checks they belong to the
caller (403) and exist (400017), and works out the output picture and length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import AccessDenied, InvalidParameter
from . import rules
from .schemas import (
    CreateRequest,
    EditRequest,
    ExtendCreate,
    FusionCreate,
    ImageCreate,
    MaskSelection,
    TransitionCreate,
)
from .tasks import Status, TaskBook
from .uploads import StoredImage, UploadStore

DEFAULT_RATIO = "16:9"
# An extend from media uploaded by URL: nothing was fetched, so nothing was probed.
URL_MEDIA_SHAPE = (1280, 720, 5.0)


@dataclass(frozen=True)
class Shape:
    width: int
    height: int
    seconds: float


def check_request(route: str, request: CreateRequest) -> None:
    """The route's own combination rules (the model's are the profile's)."""
    if isinstance(request, FusionCreate):
        _check_fusion_names(request)
    if isinstance(request, ExtendCreate):
        check_one_source(route, request)


def _check_fusion_names(request: FusionCreate) -> None:
    names = [ref.ref_name for ref in request.image_references]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidParameter(
            f"image_references: ref_name {duplicates[0]!r} is used more than once",
            reason="fusion.ref_name_unique",
        )
    for name in names:
        if not re.search(rf"@{re.escape(name)}(?![\w])", request.prompt):
            raise InvalidParameter(
                f"prompt: image reference @{name} is not mentioned in the prompt",
                reason="fusion.ref_name_in_prompt",
            )


def check_one_source(route: str, request: ExtendCreate | EditRequest | MaskSelection) -> None:
    given = [f for f in ("source_video_id", "video_media_id") if getattr(request, f) is not None]
    if len(given) != 1:
        raise InvalidParameter(
            f"{route} takes exactly one of source_video_id or video_media_id"
            + (f" (got {' and '.join(given)})" if given else ""),
            reason=f"{route}.one_source",
        )


def check_owner(owner: str, caller: str, what: str) -> None:
    if owner != caller:
        raise AccessDenied(
            f"{what} belongs to another team; use a key of the team that created it",
            reason="owner",
        )


def resolve(
    uploads: UploadStore, tasks: TaskBook, team_id: str, request: CreateRequest
) -> Shape:
    seconds = float(request.duration)
    if isinstance(request, ImageCreate):
        image = owned_image(uploads, team_id, "img_id", request.img_id)
        return picture(request.quality, request.aspect_ratio, image, seconds)
    if isinstance(request, TransitionCreate):
        first = owned_image(uploads, team_id, "first_frame_img", request.first_frame_img)
        owned_image(uploads, team_id, "last_frame_img", request.last_frame_img)
        return picture(request.quality, request.aspect_ratio, first, seconds)
    if isinstance(request, FusionCreate):
        for i, ref in enumerate(request.image_references):
            owned_image(uploads, team_id, f"image_references[{i}].img_id", ref.img_id)
    if isinstance(request, ExtendCreate):
        found = video_source(uploads, tasks, team_id, "extend", request)
        _check_extend_source(found.width, found.height, found.seconds)
        return Shape(found.width, found.height, found.seconds + seconds)
    return _framed(request, seconds)


def own_shape(request: CreateRequest) -> Shape | None:
    """The shape of a create that references nothing (text to video), read off the
    request alone; None when referenced resources decide it or must be checked."""
    if isinstance(request, ImageCreate | TransitionCreate | FusionCreate | ExtendCreate):
        return None
    return _framed(request, float(request.duration))


def _framed(request: CreateRequest, seconds: float) -> Shape:
    ratio = getattr(request, "aspect_ratio", None) or DEFAULT_RATIO
    return Shape(*rules.output_size(request.quality, ratio), seconds)


def _check_extend_source(width: int, height: int, seconds: float) -> None:
    low, high = rules.EXTEND_SOURCE_SIDES
    if not (low <= width <= high and low <= height <= high):
        raise InvalidParameter(
            f"extend: the source video is {width}x{height}; extend takes sources of "
            f"{low} to {high} px per side",
            reason="extend.source_size",
        )
    if seconds >= rules.EXTEND_SOURCE_MAX_SECONDS:
        raise InvalidParameter(
            f"extend: the source video lasts {seconds:g} s; extend takes sources under "
            f"{rules.EXTEND_SOURCE_MAX_SECONDS:g} s",
            reason="extend.source_length",
        )


def owned_image(uploads: UploadStore, team_id: str, field: str, img_id: int) -> StoredImage:
    image = uploads.images.get(img_id)
    if image is None:
        raise InvalidParameter(
            f"{field}: couldn't find a matching image {img_id}; upload it first",
            reason="unknown_image",
        )
    check_owner(image.team_id, team_id, f"{field}: image {img_id}")
    return image


def picture(quality: str, ratio: str | None, image: StoredImage, seconds: float) -> Shape:
    """I2V and transition follow the image's own ratio unless one is asked for."""
    if ratio is None:
        info = image.info
        ratio = rules.nearest_ratio(info.width, info.height) if info else DEFAULT_RATIO
    return Shape(*rules.output_size(quality, ratio), seconds)


@dataclass(frozen=True)
class VideoSource:
    width: int
    height: int
    seconds: float
    has_audio: bool


URL_SOURCE = VideoSource(*URL_MEDIA_SHAPE, has_audio=False)


def video_source(uploads: UploadStore, tasks: TaskBook, team_id: str, route: str,
                 request: ExtendCreate | EditRequest | MaskSelection) -> VideoSource:
    """The video a task starts from: the caller's finished video (`source_video_id`) or
    uploaded video (`video_media_id`)."""
    if request.source_video_id is not None:
        task = tasks.get(request.source_video_id)
        if task is None:
            raise InvalidParameter(
                f"source_video_id: couldn't find a matching video {request.source_video_id}",
                reason="unknown_video",
            )
        check_owner(task.team_id, team_id, f"source_video_id: video {task.video_id}")
        if task.status is not Status.SUCCEEDED:
            raise InvalidParameter(
                f"source_video_id: video {task.video_id} has status {int(task.status)}; "
                f"only a finished video (status 1) can be used for {route}",
                reason=f"{route}.source_status",
            )
        video = task.video
        return VideoSource(video.width, video.height, video.seconds, video.has_audio)
    assert request.video_media_id is not None
    media = uploads.media.get(request.video_media_id)
    if media is None:
        raise InvalidParameter(
            f"video_media_id: couldn't find a matching media {request.video_media_id}",
            reason="unknown_media",
        )
    check_owner(media.team_id, team_id, f"video_media_id: media {media.media_id}")
    if media.media_type != "video":
        raise InvalidParameter(
            f"video_media_id: invalid media_type: media {media.media_id} is audio, not a video",
            reason=f"{route}.media_type",
        )
    info = media.info
    if info is None or info.width is None or info.height is None:
        return URL_SOURCE
    return VideoSource(info.width, info.height, info.duration, info.has_audio)
