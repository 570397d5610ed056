"""Turn an upload (a spooled file or a URL form field) into a stored, probed record.

Probing and copying run in a worker thread: they read files from disk and touch no
emulator state, so they stay outside the emulator's lock.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import BinaryIO
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..core import Emulator
from ..domain.uploads import StoredFile, StoredImage, StoredMedia
from ..errors import InvalidField, InvalidParameter
from ..media.probe import ImageInfo, MediaInfo, ProbeError, probe_image, probe_media

URL_MAX = 2048
AUDIO_CONTAINERS = frozenset({"mp3", "wav", "m4a", "aac"})
VIDEO_EXTENSIONS = frozenset({"mp4", "mov", "webm"})


def one_source(file_field: str, file: UploadFile | None, url_field: str, url: str | None) -> None:
    if file is None and url is None:
        raise InvalidField(f"{file_field}: send a file in '{file_field}' or a URL in '{url_field}'")
    if file is not None and url is not None:
        raise InvalidParameter(f"send either '{file_field}' or '{url_field}', not both")


def check_url(field: str, url: str) -> str:
    parts = urlsplit(url)
    if len(url) > URL_MAX or parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidField(f"{field}: must be an http or https URL of at most {URL_MAX} characters")
    return url


async def image(
    emulator: Emulator, team: str, file: UploadFile | None, url: str | None
) -> StoredImage:
    one_source("image", file, "image_url", url)
    if file is None:
        assert url is not None
        return emulator.add_image(team, None, check_url("image_url", url), None)
    stored, info = await run_in_threadpool(_store_image, emulator, file.file)
    return emulator.add_image(team, stored, None, info)


def _store_image(emulator: Emulator, source: BinaryIO) -> tuple[StoredFile, ImageInfo]:
    try:
        source.seek(0)
        info = probe_image(source)
    except ProbeError as exc:
        raise InvalidField(f"image: {exc}", reason="image_probe") from exc
    return emulator.store_file(source, "image", info.format), info


async def media(
    emulator: Emulator,
    team: str,
    file: UploadFile | None,
    url: str | None,
    media_type: str | None,
) -> StoredMedia:
    one_source("file", file, "file_url", url)
    if file is None:
        assert url is not None
        kind = _url_media_type(check_url("file_url", url), media_type)
        return emulator.add_media(team, kind, None, url, None)
    stored, info = await run_in_threadpool(_store_media, emulator, file.file)
    return emulator.add_media(team, info.kind, stored, None, info)


def _store_media(emulator: Emulator, source: BinaryIO) -> tuple[StoredFile, MediaInfo]:
    try:
        source.seek(0)
        info = probe_media(source)
    except ProbeError as exc:
        raise InvalidField(f"file: {exc}", reason="media_probe") from exc
    return emulator.store_file(source, "media", info.container), info


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
