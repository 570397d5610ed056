"""Domain objects -> wire dicts. URLs are built here from the caller's base URL."""

from __future__ import annotations

import functools
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Protocol

from ..domain import rules
from ..domain.ledger import Entry
from ..domain.tasks import Status, Task
from ..domain.uploads import StoredFile, StoredImage, StoredMedia


class Origin(Protocol):
    """Where URLs point: asked for only when an answer holds a URL."""

    @property
    def base_url(self) -> str: ...


@functools.lru_cache(maxsize=4096)  # polls render the same two times over and over
def iso(ts: float) -> str:
    """ISO 8601 UTC. A manual clock can be moved past year 9999; that reads as its end."""
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return "9999-12-31T23:59:59Z"


def file_url(base: str, token: str, name: str) -> str:
    return f"{base}/files/{token}/{name}"


def video_name(task: Task) -> str:
    return f"{task.video_id}_seed{task.seed}.mp4"


def created(task: Task, credits_unit: str | None) -> dict[str, Any]:
    resp: dict[str, Any] = {"video_id": task.video_id, "credits": task.price}
    return _with_unit(resp, credits_unit)


def _with_unit(resp: dict[str, Any], credits_unit: str | None) -> dict[str, Any]:
    """`credits_unit` beside `credits` where the API names its unit (WorldRouter does)."""
    if credits_unit is not None:
        resp["credits_unit"] = credits_unit
    return resp


def result(task: Task, origin: Origin, credits_unit: str | None = rules.CREDITS_UNIT
           ) -> dict[str, Any]:
    resp: dict[str, Any] = {"id": task.video_id, "status": int(task.status)}
    if task.status is not Status.SUCCEEDED:
        return resp
    request, shape = task.request, task.shape
    resp.update(
        url=file_url(origin.base_url, task.token, video_name(task)),
        outputWidth=shape.width,
        outputHeight=shape.height,
        has_audio=shape.has_audio,
        size=task.size,
        seed=task.seed,
        prompt=request.get("prompt", ""),
        negative_prompt=request.get("negative_prompt") or "",
        style=request.get("style") or "",
        resolution_ratio=rules.RESOLUTION_RATIO[task.quality],
        create_time=iso(task.created_at),
        modify_time=iso(task.modified_at),
        credits=task.price,
    )
    return _with_unit(resp, credits_unit)


def _stored_url(base: str, stored: StoredFile | None, source_url: str | None) -> str:
    if stored is not None:
        return file_url(base, stored.token, stored.name)
    return source_url or ""


def image(img: StoredImage, base: str) -> dict[str, Any]:
    return {"img_id": img.img_id, "img_url": _stored_url(base, img.file, img.source_url)}


def media(med: StoredMedia, base: str) -> dict[str, Any]:
    url = _stored_url(base, med.file, med.source_url)
    return {"media_id": med.media_id, "media_type": med.media_type, "url": url}


def _file_detail(stored: StoredFile | None) -> dict[str, Any] | None:
    if stored is None:
        return None
    return {"name": stored.name, "content_type": stored.content_type, "size": stored.size}


def _upload_detail(record: StoredImage | StoredMedia) -> dict[str, Any]:
    """What the control plane shows of any upload: owner, file and what probing found."""
    return {
        "team": record.team_id,
        "created_at": record.created_at,
        "source_url": record.source_url,
        "file": _file_detail(record.file),
        "probed": asdict(record.info) if record.info else None,
    }


def image_detail(img: StoredImage) -> dict[str, Any]:
    return {"img_id": img.img_id, **_upload_detail(img)}


def media_detail(med: StoredMedia) -> dict[str, Any]:
    return {"media_id": med.media_id, "media_type": med.media_type, **_upload_detail(med)}


def task_detail(task: Task) -> dict[str, Any]:
    """The control plane's view of a task: everything, any owner."""
    video = task.video
    return {
        "video_id": task.video_id,
        "team": task.team_id,
        "route": task.route,
        "request": task.request,
        "trace_id": task.trace_id,
        "status": int(task.status),
        "outcome": int(task.outcome),
        "progression": task.progression,
        "reads": task.reads,
        "due_polls": task.due_polls,
        "credits": task.price,
        "created_at": task.created_at,
        "due_at": task.due_at,
        "video": {
            "width": video.width,
            "height": video.height,
            "seconds": video.seconds,
            "has_audio": video.has_audio,
            "seed": video.seed,
            "size": task.size,
        },
        "timeline": [{"time": t, "status": int(s), "reason": why}
                     for t, s, why in task.timeline],
    }


def task_summary(task: Task, base: str) -> dict[str, Any]:
    """A task in the control plane's list: enough to find it and see how it went."""
    url = file_url(base, task.token, video_name(task)) if task.status is Status.SUCCEEDED else None
    return {"video_id": task.video_id, "team": task.team_id, "route": task.route,
            "status": int(task.status), "created": task.created_at, "price": task.price,
            "url": url}


def ledger_entry(entry: Entry) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "seq": entry.seq,
        "time": entry.time,
        "kind": entry.kind,
        "amount": entry.amount,
        "video_id": entry.video_id,
        "balance": entry.balance,
    }
    if entry.pool != "monthly":  # package credits exist on PixVerse's own platform only
        shown["pool"] = entry.pool
    return shown
