"""Webhooks end to end with a real receiver on loopback: PixVerse's headers and body, the
signature checked with the documented recipe, retries on the documented schedule driven
by a manual clock, giving up, faults, state that survives a restart, and on a wall clock
the scheduler delivering without any request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from support import text_body

from pixverse_emulator import Emulator, LiveServer, ManualClock, Settings, create_app

START = 1_780_000_000.0
SECRET = "whsec-test-secret"
TEXT = "/openapi/v2/video/text/generate"
KEY = {"Authorization": "Bearer hooked"}
DELAYS = [2, 10, 30, 60, 300, 900, 3600, 14400]


@dataclass
class Received:
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """Answers each POST with the next scripted (status, body); then 200 "ok"."""

    script: list[tuple[int, str]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event | None = None  # when set: answer only once it is set
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            state.received.append(Received(dict(self.headers.items()), body))
            state.arrived.set()
            if state.release is not None:
                state.release.wait(timeout=30)
            status, answer = state.script.pop(0) if state.script else (200, "ok")
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer.encode())
            state.arrived.set()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/pixverse"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator(Settings(clock="manual", quiet=True), clock=ManualClock(START))
    with LiveServer(create_app(emulator)) as server:
        yield emulator, server.base_url
    emulator.close()


def hook(base: str, url: str, secret: str | None = SECRET) -> None:
    body: dict[str, Any] = {"webhook_url": url}
    if secret is not None:
        body["webhook_secret"] = secret
    assert httpx.put(f"{base}/_emulator/teams/hooked", json=body).status_code == 200


def create(base: str, prompt: str = "a kite [emulator:instant]") -> int:
    answer = httpx.post(base + TEXT, json=text_body(prompt=prompt), headers=KEY)
    return int(answer.json()["Resp"]["video_id"])


def advance(base: str, seconds: float) -> None:
    assert httpx.post(f"{base}/_emulator/clock/advance",
                      json={"seconds": seconds}).status_code == 200


def deliveries(base: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.get(f"{base}/_emulator/webhooks").json()["deliveries"]
    return found


def expected_signature(secret: str, timestamp: str, nonce: str, body: str) -> str:
    """PixVerse's recipe, written independently: encodeURIComponent leaves
    A-Z a-z 0-9 - _ . ! ~ * ' ( ) as they are."""
    encoded = quote(body, safe="!*'()")
    message = f"{timestamp}\n{nonce}\n{encoded}".encode()
    return base64.b64encode(hmac.new(SECRET.encode(), message, hashlib.sha256).digest()).decode()


def test_a_finished_task_is_posted_signed_as_pixverse_documents(
    served: tuple[Emulator, str], receiver: Receiver
) -> None:
    _, base = served
    hook(base, receiver.url)
    video_id = create(base, prompt="a kite, café & co [emulator:instant]")
    assert receiver.received == []  # on a manual clock, deliveries go out when time moves
    advance(base, 0)
    (got,) = receiver.received
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["webhook-timestamp"] == str(int(START))
    assert len(headers["webhook-nonce"]) == 32 and headers["ai-trace-id"]
    assert headers["webhook-signature"] == expected_signature(
        SECRET, headers["webhook-timestamp"], headers["webhook-nonce"], got.body)
    body = json.loads(got.body)
    result = httpx.get(f"{base}/openapi/v2/video/result/{video_id}", headers=KEY).json()["Resp"]
    assert body == {"id": str(video_id), "status": 1, "url": result["url"],
                    "size": result["size"], "has_audio": False, "credits": 3}
    assert len(httpx.get(body["url"]).content) == body["size"]
    (delivery,) = deliveries(base)
    assert (delivery["state"], delivery["video_id"], len(delivery["attempts"])) == (
        "delivered", video_id, 1)
    entry = httpx.get(f"{base}/_emulator/requests?route=webhook").json()["requests"][-1]
    assert (entry["path"], entry["status"], entry["video_id"]) == (receiver.url, 200, video_id)


def test_failed_moderated_and_deleted_tasks_are_posted_without_a_url(
    served: tuple[Emulator, str], receiver: Receiver
) -> None:
    _, base = served
    hook(base, receiver.url, secret=None)
    failed = create(base, "a [emulator:failed] [emulator:instant]")
    moderated = create(base, "b [emulator:moderated] [emulator:instant]")
    done = create(base)
    httpx.post(f"{base}/_emulator/tasks/{done}/status", json={"status": 6})
    advance(base, 0)
    bodies = [json.loads(r.body) for r in receiver.received]
    assert sorted((b["id"], b["status"]) for b in bodies) == sorted([
        (str(failed), 8), (str(moderated), 7), (str(done), 1), (str(done), 6)])
    assert all("url" not in b for b in bodies if b["status"] != 1)
    assert all("webhook-signature" not in {k.lower() for k in r.headers}
               for r in receiver.received)  # no secret, no signature


def test_a_receiver_that_fails_twice_is_retried_on_the_schedule(
    served: tuple[Emulator, str], receiver: Receiver
) -> None:
    _, base = served
    receiver.script = [(500, "busy"), (200, "not ok")]
    hook(base, receiver.url)
    create(base)
    advance(base, 0)
    assert len(receiver.received) == 1 and deliveries(base)[0]["next_at"] == START + 2
    advance(base, 1.5)
    assert len(receiver.received) == 1  # not due yet
    advance(base, 0.5)
    assert len(receiver.received) == 2 and deliveries(base)[0]["next_at"] == START + 12
    advance(base, 10)
    (delivery,) = deliveries(base)
    assert [(a["http_status"], a["ok"]) for a in delivery["attempts"]] == [
        (500, False), (200, False), (200, True)]
    assert delivery["state"] == "delivered" and delivery["next_at"] is None
    reasons = [e["reason"] for e in httpx.get(
        f"{base}/_emulator/requests?route=webhook").json()["requests"]]
    assert reasons == ["webhook_rejected", "webhook_rejected", None]


def test_after_the_last_retry_the_delivery_is_given_up(
    served: tuple[Emulator, str], receiver: Receiver
) -> None:
    _, base = served
    receiver.script = [(503, "down")] * 20
    hook(base, receiver.url)
    create(base)
    advance(base, 0)
    for delay in DELAYS:
        advance(base, delay)
    (delivery,) = deliveries(base)
    assert len(receiver.received) == 9 and delivery["state"] == "failed"
    times = [a["time"] - START for a in delivery["attempts"]]
    assert times == [0, 2, 12, 42, 102, 402, 1302, 4902, 19302]
    advance(base, 100_000)
    assert len(receiver.received) == 9


def test_an_unreachable_receiver_and_a_fault_count_as_failed_attempts(
    served: tuple[Emulator, str], receiver: Receiver
) -> None:
    _, base = served
    hook(base, "http://127.0.0.1:9/nobody-listens")
    create(base)
    advance(base, 0)
    (first,) = deliveries(base)
    assert first["attempts"][0]["http_status"] is None and first["state"] == "pending"
    hook(base, receiver.url)
    fault = httpx.post(f"{base}/_emulator/faults",
                       json={"route": "webhook", "count": 1, "drop": True}).json()["fault"]
    create(base)
    advance(base, 0)
    second = deliveries(base)[1]
    assert second["attempts"][0]["answer"].startswith(f"fault:{fault['id']}")
    assert receiver.received == []
    advance(base, 2)
    assert deliveries(base)[1]["state"] == "delivered" and len(receiver.received) == 1


def test_settings_are_checked_and_the_secret_never_shown(served: tuple[Emulator, str]) -> None:
    _, base = served
    bad = httpx.put(f"{base}/_emulator/teams/hooked", json={"webhook_url": "ftp://x"})
    assert bad.status_code == 400 and "webhook_url" in bad.json()["ErrMsg"]
    hook(base, "http://127.0.0.1:9/x")
    team = httpx.get(f"{base}/_emulator/teams/hooked").json()
    assert team["webhook_url"] == "http://127.0.0.1:9/x" and team["webhook_secret"] == "<redacted>"
    assert SECRET not in httpx.get(f"{base}/_emulator/teams/hooked").text
    httpx.put(f"{base}/_emulator/teams/hooked", json={"webhook_url": ""})
    create(base)
    advance(base, 0)
    assert deliveries(base) == []


def test_settings_and_pending_deliveries_survive_a_restart(
    tmp_path: Path, receiver: Receiver
) -> None:
    settings = Settings(clock="manual", quiet=True, data_dir=str(tmp_path / "data"))
    emulator = Emulator(settings, clock=ManualClock(START))
    with LiveServer(create_app(emulator)) as server:
        hook(server.base_url, receiver.url)
        video_id = create(server.base_url)
    emulator.close()
    emulator = Emulator(settings, clock=ManualClock(START))
    with LiveServer(create_app(emulator)) as server:
        assert deliveries(server.base_url)[0]["state"] == "pending"
        advance(server.base_url, 0)
        (got,) = receiver.received
        assert json.loads(got.body)["id"] == str(video_id)
        assert deliveries(server.base_url)[0]["state"] == "delivered"
    emulator.close()


def test_on_a_wall_clock_the_scheduler_delivers_without_any_request(receiver: Receiver) -> None:
    emulator = Emulator(Settings(quiet=True))
    with LiveServer(create_app(emulator)) as server:
        hook(server.base_url, receiver.url)
        video_id = create(server.base_url, "a kite [emulator:seconds=0.3]")
        assert receiver.arrived.wait(timeout=30), "no delivery arrived"
        assert json.loads(receiver.received[0].body)["status"] == 1
        routes = [e["route"] for e in emulator.requests()]
        assert routes[0] == "text" and "result" not in routes  # nobody polled
        assert emulator.task(video_id).timeline[-1][2] == "due (seconds:0.3)"
    emulator.close()


def test_a_slow_receiver_does_not_hold_up_other_requests_during_an_advance(
    served: tuple[Emulator, str], receiver: Receiver
) -> None:
    _, base = served
    receiver.release = threading.Event()
    hook(base, receiver.url)
    create(base)
    advancing = threading.Thread(target=advance, args=(base, 0))
    advancing.start()
    try:
        assert receiver.arrived.wait(timeout=30)  # the delivery is in flight, held
        assert httpx.get(f"{base}/_emulator/health", timeout=10).status_code == 200
    finally:
        receiver.release.set()
        advancing.join(timeout=30)
    assert deliveries(base)[0]["state"] == "delivered"
