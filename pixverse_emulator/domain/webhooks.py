"""Webhooks: a team's `webhook_url` hears of each task that reaches a final status.

As PixVerse documents them: a JSON POST with `Webhook-Timestamp` (Unix seconds),
`Webhook-Nonce` (32 characters), `Webhook-Signature` (Base64 HMAC-SHA256 with the team's
`webhook_secret` over `{timestamp}\\n{nonce}\\n{body URL-encoded as JavaScript's
encodeURIComponent does}`) and `Ai-Trace-Id`. A delivery counts as done on HTTP 200 with
the body `ok`; otherwise it is tried again 2 s, 10 s, 30 s, 1 min, 5 min, 15 min, 1 h
and 4 h later, by the emulator's clock, and then given up.

This module is the data and the arithmetic; `http/deliverer.py` sends, the scheduler
decides when.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import json
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

RETRY_DELAYS = (2.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0)
ANSWER_KEPT = 200  # characters of a receiver's answer kept with an attempt
DeliveryState = Literal["pending", "delivered", "failed"]


def encode_uri_component(text: str) -> str:
    """JavaScript's encodeURIComponent: everything but A-Z a-z 0-9 - _ . ! ~ * ' ( )."""
    return quote(text, safe="-_.!~*'()")


def signature(secret: str, timestamp: str, nonce: str, body: str) -> str:
    message = f"{timestamp}\n{nonce}\n{encode_uri_component(body)}"
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def payload(video_id: int, status: int, url: str, size: int | None, has_audio: bool,
            credits: int) -> str:
    """The body PixVerse documents: `id` as a string, `url` only on status 1."""
    body: dict[str, Any] = {"id": str(video_id), "status": status}
    if status == 1:
        body.update(url=url, size=size, has_audio=has_audio)
    body["credits"] = credits
    return json.dumps(body, separators=(",", ":"))


@dataclass
class Attempt:
    time: float  # by the emulator's clock
    http_status: int | None  # None: no answer (refused, timed out, dropped)
    answer: str  # the start of the receiver's body, or what went wrong
    ok: bool


@dataclass
class Delivery:
    delivery_id: int
    team_id: str
    video_id: int
    status: int  # the task's final status this delivery announces
    url: str  # where it goes (the team's webhook_url when it was made)
    trace_id: str
    created_at: float
    next_at: float | None  # None: nothing more to do
    state: DeliveryState = "pending"
    attempts: list[Attempt] = field(default_factory=list)

    def record(self, attempt: Attempt) -> None:
        """An attempt's outcome: done, tried again after the next delay, or given up."""
        self.attempts.append(attempt)
        if attempt.ok:
            self.state, self.next_at = "delivered", None
        elif len(self.attempts) > len(RETRY_DELAYS):
            self.state, self.next_at = "failed", None
        else:
            self.next_at = attempt.time + RETRY_DELAYS[len(self.attempts) - 1]

    def view(self) -> dict[str, Any]:
        return {"id": self.delivery_id, "team": self.team_id, "video_id": self.video_id,
                "status": self.status, "url": self.url, "state": self.state,
                "created": self.created_at, "next_at": self.next_at,
                "attempts": [vars(a).copy() for a in self.attempts]}


def accepted(http_status: int | None, answer: str) -> bool:
    return http_status == 200 and answer.strip() == "ok"


class DeliveryBook:
    """Every delivery by id, and a heap of the pending ones by when they are due."""

    def __init__(self) -> None:
        self.by_id: dict[int, Delivery] = {}
        self._due: list[tuple[float, int]] = []
        self.in_flight: set[int] = set()

    def add(self, delivery: Delivery) -> None:
        self.by_id[delivery.delivery_id] = delivery
        if delivery.next_at is not None:
            heapq.heappush(self._due, (delivery.next_at, delivery.delivery_id))

    def put(self, delivery: Delivery) -> None:
        """A delivery as another process of a shared store wrote it (new or newer)."""
        self.in_flight.discard(delivery.delivery_id)
        self.add(delivery)  # the older copy's heap entry goes stale: next_at or identity

    def reschedule(self, delivery: Delivery) -> None:
        self.in_flight.discard(delivery.delivery_id)
        if delivery.next_at is not None:
            heapq.heappush(self._due, (delivery.next_at, delivery.delivery_id))

    def next_due(self) -> float | None:
        while self._due:
            at, delivery_id = self._due[0]
            found = self.by_id.get(delivery_id)
            if found is not None and found.next_at == at and delivery_id not in self.in_flight:
                return at
            heapq.heappop(self._due)  # stale: delivered, removed or moved since
        return None

    def take_due(self, now: float) -> list[Delivery]:
        """The pending deliveries due by `now`, marked in flight."""
        taken: list[Delivery] = []
        while (at := self.next_due()) is not None and at <= now:
            _, delivery_id = heapq.heappop(self._due)
            self.in_flight.add(delivery_id)
            taken.append(self.by_id[delivery_id])
        return taken

    def of_team(self, team_id: str | None) -> list[Delivery]:
        return [d for d in self.by_id.values() if team_id is None or d.team_id == team_id]

    def remove_team(self, team_id: str) -> None:
        self.by_id = {k: d for k, d in self.by_id.items() if d.team_id != team_id}

    def all(self) -> list[Delivery]:
        return list(self.by_id.values())
