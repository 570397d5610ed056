"""Uploaded images and media: probed files on disk, or URLs recorded as given."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from ..media.probe import ImageInfo, MediaInfo

CONTENT_TYPES: dict[str, str] = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
}
EXTENSIONS: dict[str, str] = {"jpeg": "jpg"}

MediaKind = Literal["video", "audio"]


@dataclass(frozen=True)
class StoredFile:
    """A file on disk served at `/files/{token}/{name}`."""

    token: str
    name: str
    path: Path
    content_type: str
    size: int


@dataclass(frozen=True)
class StoredImage:
    img_id: int
    team_id: str
    created_at: float
    file: StoredFile | None  # None: uploaded by URL
    source_url: str | None
    info: ImageInfo | None


@dataclass(frozen=True)
class StoredMedia:
    media_id: int
    team_id: str
    created_at: float
    media_type: MediaKind
    file: StoredFile | None
    source_url: str | None
    info: MediaInfo | None


def file_name(kind: str, fmt: str) -> str:
    return f"{kind}.{EXTENSIONS.get(fmt, fmt)}"


def save(source: BinaryIO, root: Path, token: str, name: str, fmt: str) -> StoredFile:
    """Copy an upload (already spooled by the multipart parser) into the store, in chunks."""
    folder = root / token
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    source.seek(0)
    with path.open("wb") as target:
        shutil.copyfileobj(source, target, 1024 * 1024)
    return StoredFile(token, name, path, CONTENT_TYPES[fmt], path.stat().st_size)


class UploadStore:
    """Images and media by id, and every stored file by its token."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.images: dict[int, StoredImage] = {}
        self.media: dict[int, StoredMedia] = {}
        self.files: dict[str, StoredFile] = {}
        self.owners: dict[str, str] = {}

    def add_image(self, image: StoredImage) -> None:
        self.images[image.img_id] = image
        if image.file:
            self.files[image.file.token] = image.file
            self.owners[image.file.token] = image.team_id

    def add_media(self, media: StoredMedia) -> None:
        self.media[media.media_id] = media
        if media.file:
            self.files[media.file.token] = media.file
            self.owners[media.file.token] = media.team_id

    def owner_of_token(self, token: str) -> str | None:
        return self.owners.get(token)

    def remove_team(self, team_id: str) -> None:
        for img in [i for i in self.images.values() if i.team_id == team_id]:
            self._drop(img.file)
            del self.images[img.img_id]
        for med in [m for m in self.media.values() if m.team_id == team_id]:
            self._drop(med.file)
            del self.media[med.media_id]

    def clear(self) -> None:
        for stored in list(self.files.values()):
            self._drop(stored)
        self.images.clear()
        self.media.clear()

    def _drop(self, stored: StoredFile | None) -> None:
        if stored is None:
            return
        self.files.pop(stored.token, None)
        self.owners.pop(stored.token, None)
        shutil.rmtree(stored.path.parent, ignore_errors=True)
