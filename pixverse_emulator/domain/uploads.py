"""Uploaded images and media: probed files, or URLs recorded as given.

Records only: the bytes live in the store's file area (`store/files.py`), found by
the file's token.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

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
    """A file served at `/files/{token}/{name}`: the token is the secret in its URL."""

    token: str
    name: str
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


Upload = StoredImage | StoredMedia


def file_name(kind: str, fmt: str) -> str:
    return f"{kind}.{EXTENSIONS.get(fmt, fmt)}"


def stored_file(token: str, kind: str, fmt: str, size: int) -> StoredFile:
    return StoredFile(token, file_name(kind, fmt), CONTENT_TYPES[fmt], size)


def upload_id(upload: Upload) -> int:
    return upload.img_id if isinstance(upload, StoredImage) else upload.media_id


class UploadStore:
    """Images and media by id, and every stored file by its token."""

    def __init__(self) -> None:
        self.images: dict[int, StoredImage] = {}
        self.media: dict[int, StoredMedia] = {}
        self.files: dict[str, StoredFile] = {}
        self.owners: dict[str, str] = {}
        self.bytes: Counter[str] = Counter()  # stored bytes per team

    def __contains__(self, upload_id: int) -> bool:
        return upload_id in self.images or upload_id in self.media

    def add(self, upload: Upload) -> None:
        if isinstance(upload, StoredImage):
            self.images[upload.img_id] = upload
        else:
            self.media[upload.media_id] = upload
        if upload.file:
            self.files[upload.file.token] = upload.file
            self.owners[upload.file.token] = upload.team_id
            self.bytes[upload.team_id] += upload.file.size

    def remove(self, upload: Upload) -> str | None:
        """Forget one upload; returns its file's token, if it has a file."""
        if isinstance(upload, StoredImage):
            del self.images[upload.img_id]
        else:
            del self.media[upload.media_id]
        if upload.file is None:
            return None
        self.files.pop(upload.file.token, None)
        self.owners.pop(upload.file.token, None)
        self.bytes[upload.team_id] -= upload.file.size
        return upload.file.token

    def oldest_of(self, team_id: str) -> list[Upload]:
        """The team's uploads with files, oldest first (ids only grow)."""
        return sorted((u for u in self.of_team(team_id) if u.file is not None), key=upload_id)

    def all(self) -> list[Upload]:
        return [*self.images.values(), *self.media.values()]

    def of_team(self, team_id: str) -> list[Upload]:
        return [upload for upload in self.all() if upload.team_id == team_id]

    def owner_of_token(self, token: str) -> str | None:
        return self.owners.get(token)

    def remove_team(self, team_id: str) -> list[str]:
        """Forget the team's uploads; returns the tokens of their files."""
        tokens = [self.remove(upload) for upload in self.of_team(team_id)]
        self.bytes.pop(team_id, None)
        return [token for token in tokens if token is not None]
