"""Sending one webhook delivery: a JSON POST with PixVerse's headers, and what came back.

The standard library's client: a delivery is one short request from a background thread
or a control-plane call, and no receiver should need more than `TIMEOUT` to answer.
"""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from collections.abc import Callable

from ..domain.webhooks import ANSWER_KEPT, signature

TIMEOUT = 10.0
# (url, body, secret or None, timestamp, trace id) -> (HTTP status or None, answer)
Sender = Callable[[str, str, str | None, int, str], tuple[int | None, str]]


def headers_for(body: str, secret: str | None, timestamp: int, trace_id: str) -> dict[str, str]:
    nonce = secrets.token_hex(16)  # 32 characters
    headers = {"Content-Type": "application/json", "Webhook-Timestamp": str(timestamp),
               "Webhook-Nonce": nonce, "Ai-Trace-Id": trace_id,
               "User-Agent": "pixverse-emulator webhook"}
    if secret is not None:
        headers["Webhook-Signature"] = signature(secret, str(timestamp), nonce, body)
    return headers


def send(url: str, body: str, secret: str | None, timestamp: int,
         trace_id: str) -> tuple[int | None, str]:
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers=headers_for(body, secret, timestamp, trace_id))
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
            return answer.status, answer.read(ANSWER_KEPT).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(ANSWER_KEPT).decode("utf-8", "replace")
    except (OSError, ValueError) as exc:  # refused, timed out, reset, a bad URL
        return None, f"no answer: {exc}"
