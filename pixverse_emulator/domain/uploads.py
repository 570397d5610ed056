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
# What an upload by URL counts toward its team's allowance besides the URL itself: the
# record it keeps is small but not free, and without a size it could never be evicted.
URL_RECORD_BYTES = 512


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


def url_size(url: str | None) -> int:
    """The nominal size of an upload by URL (no bytes stored)."""
    return len(url or "") + URL_RECORD_BYTES


def size_of(upload: Upload) -> int:
    """What the upload counts toward its team's allowance."""
    return upload.file.size if upload.file else url_size(upload.source_url)


class UploadStore:
    """Images and media by id, every stored file by its token, and each team's uploads
    oldest first (ids only grow; a load that adds them out of order marks the team,
    which is sorted once when next asked)."""

    def __init__(self) -> None:
        self.images: dict[int, StoredImage] = {}
        self.media: dict[int, StoredMedia] = {}
        self.files: dict[str, StoredFile] = {}
        self.owners: dict[str, str] = {}
        self.bytes: Counter[str] = Counter()  # bytes per team (uploads by URL: nominal)
        self._teams: dict[str, dict[int, Upload]] = {}
        self._unsorted: set[str] = set()

    def __contains__(self, upload_id: int) -> bool:
        return upload_id in self.images or upload_id in self.media

    def add(self, upload: Upload) -> None:
        if isinstance(upload, StoredImage):
            self.images[upload.img_id] = upload
        else:
            self.media[upload.media_id] = upload
        team = self._teams.setdefault(upload.team_id, {})
        if team and upload_id(upload) < next(reversed(team)):
            self._unsorted.add(upload.team_id)
        team[upload_id(upload)] = upload
        self.bytes[upload.team_id] += size_of(upload)
        if upload.file:
            self.files[upload.file.token] = upload.file
            self.owners[upload.file.token] = upload.team_id

    def remove(self, upload: Upload) -> str | None:
        """Forget one upload; returns its file's token, if it has a file."""
        if isinstance(upload, StoredImage):
            del self.images[upload.img_id]
        else:
            del self.media[upload.media_id]
        self._teams[upload.team_id].pop(upload_id(upload), None)
        self.bytes[upload.team_id] -= size_of(upload)
        if upload.file is None:
            return None
        self.files.pop(upload.file.token, None)
        self.owners.pop(upload.file.token, None)
        return upload.file.token

    def _team(self, team_id: str) -> dict[int, Upload]:
        team = self._teams.get(team_id, {})
        if team_id in self._unsorted:
            self._unsorted.discard(team_id)
            team = self._teams[team_id] = dict(sorted(team.items()))
        return team

    def oldest(self, team_id: str) -> Upload | None:
        """The team's oldest upload, by file or by URL."""
        return next(iter(self._team(team_id).values()), None)

    def all(self) -> list[Upload]:
        return [*self.images.values(), *self.media.values()]

    def of_team(self, team_id: str) -> list[Upload]:
        """The team's uploads, oldest first."""
        return list(self._team(team_id).values())

    def owner_of_token(self, token: str) -> str | None:
        return self.owners.get(token)

    def remove_team(self, team_id: str) -> list[str]:
        """Forget the team's uploads; returns the tokens of their files."""
        tokens = [self.remove(upload) for upload in self.of_team(team_id)]
        self.bytes.pop(team_id, None)
        self._teams.pop(team_id, None)
        return [token for token in tokens if token is not None]
