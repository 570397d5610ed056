"""Turn an upload (a streamed file part or a URL form field) into a stored, probed record.

The file part is already in the store when probing starts (`form.py` writes it as it
arrives); probing reads it in a worker thread, outside the emulator's lock. Whatever
fails after the bytes arrived, the file goes again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO, TypeVar
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..core import Emulator
from ..domain.uploads import StoredImage, StoredMedia
from ..errors import InvalidField, InvalidParameter
from ..media.probe import ProbeError, probe_image, probe_media
from ..store.files import Incoming
from .form import UploadForm, read_upload_form

URL_MAX = 2048
AUDIO_CONTAINERS = frozenset({"mp3", "wav", "m4a", "aac"})
VIDEO_EXTENSIONS = frozenset({"mp4", "mov", "webm"})
T = TypeVar("T")


def one_source(file_field: str, file: object | None, url_field: str, url: str | None) -> None:
    if file is None and url is None:
        raise InvalidField(f"{file_field}: send a file in '{file_field}' or a URL in '{url_field}'")
    if file is not None and url is not None:
        raise InvalidParameter(f"send either '{file_field}' or '{url_field}', not both")


def check_url(field: str, url: str) -> str:
    parts = urlsplit(url)
    if len(url) > URL_MAX or parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidField(f"{field}: must be an http or https URL of at most {URL_MAX} characters")
    return url


async def _form(emulator: Emulator, request: Request, file_field: str) -> UploadForm:
    return await read_upload_form(request, file_field, emulator.receive_file,
                                  emulator.discard_file)


async def image(emulator: Emulator, team: str, request: Request) -> StoredImage:
    form = await _form(emulator, request, "image")
    try:
        url = form.fields.get("image_url")
        one_source("image", form.file, "image_url", url)
        if form.file is None:
            assert url is not None
            return emulator.add_image(team, None, check_url("image_url", url), None)
        info = await run_in_threadpool(_probe, probe_image, form.file, "image", "image_probe")
        return emulator.add_image(team, form.file, None, info)
    except BaseException:
        if form.file is not None:
            emulator.discard_file(form.file)
        raise


async def media(emulator: Emulator, team: str, request: Request) -> StoredMedia:
    form = await _form(emulator, request, "file")
    try:
        url = form.fields.get("file_url")
        one_source("file", form.file, "file_url", url)
        if form.file is None:
            assert url is not None
            kind = _url_media_type(check_url("file_url", url), form.fields.get("media_type"))
            return emulator.add_media(team, kind, None, url, None)
        info = await run_in_threadpool(_probe, probe_media, form.file, "file", "media_probe")
        return emulator.add_media(team, info.kind, form.file, None, info)
    except BaseException:
        if form.file is not None:
            emulator.discard_file(form.file)
        raise


def _probe(probe: Callable[[BinaryIO], T], incoming: Incoming, field: str, reason: str) -> T:
    """What the received file really is, by its content."""
    try:
        with Path(incoming.path).open("rb") as received:
            return probe(received)
    except ProbeError as exc:
        raise InvalidField(f"{field}: {exc}", reason=reason) from exc


def _url_media_type(url: str, declared: str | None) -> str:
    """A URL is never fetched: its kind comes from `media_type`, else its extension."""
    if declared is not None:
        if declared not in ("video", "audio"):
            raise InvalidField("media_type: must be 'video' or 'audio'")
        return declared
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower().lstrip(".")
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    if suffix in AUDIO_CONTAINERS:
        return "audio"
    raise InvalidField(
        "file_url: cannot tell whether this URL is video or audio; send media_type "
        "('video' or 'audio') or a URL ending in .mp4, .mov, .webm, .mp3, .wav, .m4a or .aac"
    )
