"""Turn an upload (a streamed file part or a URL form field) into a stored, probed record.

The file part is already in the store when probing starts (`form.py` writes it as it
arrives); probing reads it in a worker thread, outside the emulator's lock. Whatever
fails after the bytes arrived, the file goes again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO, TypeVar
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..core import Emulator
from ..domain.uploads import StoredImage, StoredMedia
from ..errors import InvalidField, InvalidParameter
from ..media import probe as probes  # the probes themselves load at the first upload
from ..media.probe import ProbeError
from ..store.files import Incoming
from .form import UploadForm, read_upload_form

URL_MAX = 2048
AUDIO_CONTAINERS = frozenset({"mp3", "wav", "m4a", "aac"})
VIDEO_EXTENSIONS = frozenset({"mp4", "mov", "webm"})
T = TypeVar("T")
Info = TypeVar("Info")  # what a probe reports
R = TypeVar("R")  # the stored upload


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
    return await read_upload_form(request, file_field, emulator)


@contextmanager
def _discarding(emulator: Emulator, form: UploadForm) -> Iterator[None]:
    """Whatever fails once the bytes arrived, the received file goes again."""
    try:
        yield
    except BaseException:
        if form.file is not None:
            emulator.discard_file(form.file)
        raise


async def image(emulator: Emulator, team: str, request: Request) -> StoredImage:
    return await _upload(
        emulator, request, ("image", "image_url"), (probes.probe_image, "image_probe"),
        lambda url, _: emulator.add_image(team, None, url, None),
        lambda file, info: emulator.add_image(team, file, None, info),
    )


async def media(emulator: Emulator, team: str, request: Request) -> StoredMedia:
    return await _upload(
        emulator, request, ("file", "file_url"), (probes.probe_media, "media_probe"),
        lambda url, fields: emulator.add_media(
            team, _url_media_type(url, fields.get("media_type")), None, url, None),
        lambda file, info: emulator.add_media(team, info.kind, file, None, info),
    )


async def _upload(
    emulator: Emulator,
    request: Request,
    fields: tuple[str, str],
    probing: tuple[Callable[[BinaryIO], Info], str],
    from_url: Callable[[str, dict[str, str]], R],
    from_file: Callable[[Incoming, Info], R],
) -> R:
    """One upload route: a file in `fields[0]` (probed by content) or a URL in
    `fields[1]` (recorded as given), never both."""
    file_field, url_field = fields
    form = await _form(emulator, request, file_field)
    with _discarding(emulator, form):
        url = form.fields.get(url_field)
        one_source(file_field, form.file, url_field, url)
        if form.file is None:
            assert url is not None
            return from_url(check_url(url_field, url), form.fields)
        probe, reason = probing
        info = await run_in_threadpool(_probe, probe, form.file, file_field, reason)
        return from_file(form.file, info)


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
