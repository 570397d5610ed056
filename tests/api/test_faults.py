"""Fault injection through HTTP: the `/_emulator/faults` control plane and every fault
kind as a client sees it. No test sleeps: latency rules use a millisecond and the tests
check the journal, never the clock."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from support import auth, error_of, resp, text_body, wav_bytes

from pixverse_emulator import Emulator, create_app
from pixverse_emulator.http.admin_guard import AdminGuard
from pixverse_emulator.http.connection import ConnectionGuard
from pixverse_emulator.http.fast_path import FastPath
from pixverse_emulator.http.fault_injector import FaultInjector
from pixverse_emulator.http.middleware import BodyLimit, RequestContext
from pixverse_emulator.http.server import LiveServer

FAULTS = "/_emulator/faults"
TEXT = "/openapi/v2/video/text/generate"
RESULT = "/openapi/v2/video/result"
CREATES = ["text", "img", "transition", "fusion", "extend"]


def test_the_app_wires_the_injector_between_context_and_body_limit(emulator: Emulator) -> None:
    stack = [m.cls for m in create_app(emulator).user_middleware]  # outermost first
    assert stack == [ConnectionGuard, RequestContext, AdminGuard, FaultInjector, BodyLimit,
                     FastPath]


def add(client: TestClient, **rule: Any) -> dict[str, Any]:
    r = client.post(FAULTS, json=rule)
    assert r.status_code == 200, r.json()
    fault: dict[str, Any] = r.json()["fault"]
    return fault


def journal(client: TestClient) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get("/_emulator/requests").json()["requests"]
    return entries


def last_entry(client: TestClient) -> dict[str, Any]:
    return journal(client)[-1]


def poll(client: TestClient, key: str = "team-a") -> int:
    """A poll of an unknown video: 404 unless a fault answers instead."""
    return int(client.get(f"{RESULT}/1", headers=auth(key)).status_code)


def finished_video(client: TestClient, emulator: Emulator, key: str = "team-a") -> str:
    """The download URL of a status-1 result video of `key`'s team."""
    video_id = resp(client.post(TEXT, json=text_body(), headers=auth(key)))["video_id"]
    emulator.advance(5)
    url: str = resp(client.get(f"{RESULT}/{video_id}", headers=auth(key)))["url"]
    return url


# -- the control plane ------------------------------------------------------------


def test_add_list_remove_and_clear(client: TestClient) -> None:
    first = add(client, route="result", error="402", team="t1")
    assert first == {"id": 1, "route": "result", "method": None, "team": "t1", "count": None,
                     "probability": None, "seed": 0, "error": "402", "upstream": None,
                     "latency": None, "drop": False, "truncate": None, "fired": 0}
    second = add(client, upstream={"err_code": 500069, "http_status": 503}, team="t2")
    assert second["id"] == 2 and second["upstream"] == {
        "err_code": 500069, "http_status": 503, "message": None, "retry_after": None}
    assert client.get(FAULTS).json() == {"faults": [first, second]}
    assert client.get(FAULTS, params={"team": "t2"}).json() == {"faults": [second]}
    assert client.delete(f"{FAULTS}/1").json() == {"deleted": 1}
    assert error_of(client.delete(f"{FAULTS}/1")) == (404, 404001, "not_found")
    add(client, drop=True, team="t1")
    assert client.delete(FAULTS, params={"team": "t1"}).json() == {"faults": []}
    assert [f["id"] for f in client.get(FAULTS).json()["faults"]] == [2]
    assert client.delete(FAULTS).json() == {"faults": []}
    assert client.get(FAULTS).json() == {"faults": []}


def test_a_form_content_type_still_parses(client: TestClient) -> None:
    """`curl -d` sends application/x-www-form-urlencoded; the body is read as JSON."""
    r = client.post(FAULTS, content=json.dumps({"drop": True}),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and r.json()["fault"]["drop"] is True


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"error": "402", "latency": 1}, "error, latency"),
        ({}, "exactly one of"),
        ({"drop": False}, "exactly one of"),
        ({"route": "nowhere", "drop": True}, "route"),
        ({"route": "text", "truncate": 0.5}, "truncate"),
        ({"truncate": 0.5}, "truncate"),
        ({"drop": True, "probability": 2}, "probability"),
        ({"error": "no_such_error"}, "error"),
        ({"error": "405"}, "error"),
        ({"error": "999999"}, "error"),
        ({"error": 402}, "error"),
        ({"latency": 0}, "latency"),
        ({"drop": True, "count": 0}, "count"),
        ({"drop": True, "id": 5}, "id"),
        ({"drop": True, "fired": 3}, "fired"),
        ({"drop": True, "method": "PUT"}, "method"),
        ({"route": "text", "method": "GET", "drop": True}, "method"),
        ({"upstream": {"err_code": 500044, "http_status": 200}}, "upstream.http_status"),
        ({"upstream": {"err_code": 500044, "extra": 1}}, "upstream.extra"),
        ({"drop": True, "colour": "red"}, "colour"),
    ],
    ids=["two-faults", "none", "drop-false", "unknown-route", "truncate-on-text",
         "truncate-on-every-route", "probability-2", "unknown-error-name", "error-not-in-catalogue",
         "unknown-errcode", "error-not-a-string", "zero-latency", "zero-count", "id",
         "fired", "unknown-method", "method-the-route-never-sees", "upstream-2xx",
         "upstream-extra", "unknown-field"],
)
def test_bad_rules_are_400013_naming_the_field(
    client: TestClient, body: dict[str, Any], named: str
) -> None:
    r = client.post(FAULTS, json=body)
    assert error_of(r) == (400, 400013, "invalid_field")
    assert named in r.json()["ErrMsg"]
    assert client.get(FAULTS).json() == {"faults": []}


def test_bad_json_and_bad_ids_are_400013(client: TestClient) -> None:
    assert error_of(client.post(FAULTS, content=b"{not json"))[1] == 400013
    assert error_of(client.delete(f"{FAULTS}/one"))[1] == 400013


def test_reset_clears_faults(client: TestClient) -> None:
    add(client, drop=True, team="team-a")
    add(client, drop=True, team="team-b")
    client.post("/_emulator/reset", params={"team": "team-a"})
    assert [f["team"] for f in client.get(FAULTS).json()["faults"]] == ["team-b"]
    client.post("/_emulator/reset")
    assert client.get(FAULTS).json() == {"faults": []}
    assert poll(client, "team-b") == 404


# -- error ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("pixverse_balance_too_low", (402, 402001, "pixverse_balance_too_low")),
        ("402001", (402, 402001, "pixverse_balance_too_low")),
        ("402", (402, 402001, "pixverse_balance_too_low")),
        ("429", (429, 429001, "pixverse_too_many_pending_tasks")),
        ("413", (413, 413001, "payload_too_large")),
        ("401001", (401, 401001, "invalid_api_key")),
        ("403", (403, 403001, "media_resource_access_denied")),
        ("400", (400, 400001, "unsupported_model")),
        ("400017", (400, 400017, "invalid_parameter")),
    ],
    ids=["code-name", "errcode", "status-402", "status-429", "status-413", "errcode-401001",
         "status-403", "status-400-first-listed", "errcode-400017"],
)
def test_error_by_name_errcode_or_status(
    client: TestClient, emulator: Emulator, error: str, expected: tuple[int, int, str]
) -> None:
    fault = add(client, route="text", error=error)
    r = client.post(TEXT, json=text_body(), headers=auth())
    assert error_of(r) == expected
    assert f"fault {fault['id']}" in r.json()["ErrMsg"]
    entry = last_entry(client)
    assert (entry["status"], entry["err_code"], entry["reason"], entry["team"]) == (
        expected[0], expected[1], f"fault:{fault['id']}", "team-a")
    assert emulator.requests(route="text")[-1]["reason"] == f"fault:{fault['id']}"


def test_an_error_fault_answers_before_the_body_limit(client: TestClient) -> None:
    """FaultInjector runs outside BodyLimit: the fault, not the 413, reaches the client."""
    huge = {"Content-Length": str(10**9), **auth()}
    upload = "/openapi/v2/image/upload"
    assert error_of(client.post(upload, headers=huge))[0] == 413
    add(client, route="image_upload", error="pixverse_balance_too_low")
    assert error_of(client.post(upload, headers=huge))[0] == 402


# -- upstream ---------------------------------------------------------------------


def test_upstream_500044_as_429_with_retry_after(client: TestClient) -> None:
    fault = add(client, route="create",
                upstream={"err_code": 500044, "http_status": 429, "retry_after": 7})
    r = client.post(TEXT, json=text_body(), headers=auth())
    message = "Reached the limit for concurrent generations"
    assert r.status_code == 429 and r.headers["retry-after"] == "7"
    assert r.json() == {"ErrCode": 500044, "ErrMsg": message, "Resp": {},
                        "error": {"code": "upstream_error", "message": message,
                                  "type": "api_error"}}
    entry = last_entry(client)
    assert (entry["status"], entry["err_code"], entry["reason"]) == (
        429, 500044, f"fault:{fault['id']}")


def test_upstream_500069_as_503(client: TestClient) -> None:
    add(client, upstream={"err_code": 500069, "http_status": 503})
    r = client.get(f"{RESULT}/1", headers=auth())
    assert r.status_code == 503 and "retry-after" not in r.headers
    assert r.json()["ErrMsg"] == "The system is overloaded, please try again later"
    assert last_entry(client)["err_code"] == 500069


def test_upstream_message_and_default(client: TestClient) -> None:
    add(client, upstream={"err_code": 500123}, count=1)
    add(client, upstream={"err_code": 500123, "message": "boom"}, count=1)
    first, second = (client.get(f"{RESULT}/1", headers=auth()) for _ in range(2))
    assert first.status_code == 500 and first.json()["ErrMsg"] == "Upstream error"
    assert second.json()["error"]["message"] == "boom"


# -- latency ----------------------------------------------------------------------


def test_latency_then_the_normal_answer(client: TestClient) -> None:
    fault = add(client, route="text", latency=0.001)
    assert resp(client.post(TEXT, json=text_body(), headers=auth()))["credits"] == 3
    entry = last_entry(client)
    assert (entry["status"], entry["err_code"], entry["reason"], entry["team"]) == (
        200, 0, f"fault:{fault['id']}", "team-a")
    assert client.get(FAULTS).json()["faults"][0]["fired"] == 1


def test_latency_keeps_the_apps_own_errors(client: TestClient) -> None:
    """A delayed request still runs every check: an error it earns is its own reason."""
    add(client, route="text", latency=0.001)
    assert error_of(client.post(TEXT, json=text_body(duration=99)))[0] == 401
    assert last_entry(client)["reason"] == "auth"


# -- drop -------------------------------------------------------------------------


def test_drop_in_process_sends_a_short_body(client: TestClient) -> None:
    """In process there is no connection to close: the body stops short of its length."""
    fault = add(client, route="result", drop=True)
    r = client.get(f"{RESULT}/1", headers=auth())
    assert r.status_code == 200
    assert len(r.content) < int(r.headers["content-length"])
    entry = last_entry(client)
    assert (entry["err_code"], entry["reason"], entry["team"]) == (
        None, f"fault:{fault['id']}", "team-a")


def test_drop_on_a_live_server_is_a_connection_error(emulator: Emulator) -> None:
    """uvicorn closes the connection when the app returns mid-body: no 500, an error."""
    app = create_app(emulator)
    with LiveServer(app) as server, httpx.Client(base_url=server.base_url) as http:
        http.post(FAULTS, json={"route": "result", "drop": True, "count": 1})
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(f"{RESULT}/1", headers=auth())
        assert http.get(f"{RESULT}/1", headers=auth()).status_code == 404
        reasons = [e["reason"] for e in http.get("/_emulator/requests").json()["requests"]]
    assert reasons == ["fault:1", "unknown_video"]


# -- truncate ---------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.5, 0.999, 0.0])
def test_truncate_a_result_video(
    client: TestClient, emulator: Emulator, fraction: float
) -> None:
    url = finished_video(client, emulator)
    full = client.get(url).content
    fault = add(client, route="download", truncate=fraction)
    r = client.get(url)
    length = math.floor(len(full) * fraction)
    assert r.status_code == 200 and r.headers["content-length"] == str(length)
    assert len(r.content) == length and full.startswith(r.content)
    assert last_entry(client)["reason"] == f"fault:{fault['id']}"


def test_truncate_ignores_range_and_heads_match(client: TestClient, emulator: Emulator) -> None:
    url = finished_video(client, emulator)
    full = client.get(url).content
    add(client, route="download", truncate=0.5)
    ranged = client.get(url, headers={"Range": "bytes=10-20"})
    assert ranged.status_code == 200 and "content-range" not in ranged.headers
    assert ranged.content == full[: len(full) // 2]
    head = client.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(full) // 2)


def test_truncate_a_streamed_upload_of_several_chunks(client: TestClient) -> None:
    """Uploads stream from disk in 64 KiB chunks: the cut falls in the second one."""
    data = wav_bytes(6)
    assert len(data) > 64 * 1024 + 10
    files = {"file": ("a.wav", data, "audio/wav")}
    url = resp(client.post("/openapi/v2/media/upload", files=files, headers=auth()))["url"]
    add(client, route="download", truncate=0.9)
    body = client.get(url).content
    assert body == data[: math.floor(len(data) * 0.9)]


def test_download_faults_match_the_owner_team(client: TestClient, emulator: Emulator) -> None:
    """File URLs carry no key: a download's team is the team that owns the file."""
    mine, theirs = finished_video(client, emulator), finished_video(client, emulator, "team-b")
    my_file, their_file = client.get(mine).content, client.get(theirs).content
    add(client, route="download", truncate=0.5, team="team-b")
    assert client.get(mine).content == my_file
    assert client.get(theirs).content == their_file[: len(their_file) // 2]
    add(client, route="download", error="403", team="team-a")
    assert error_of(client.get(mine))[:2] == (403, 403001)
    entry = last_entry(client)
    assert (entry["route"], entry["team"], entry["reason"]) == ("download", None, "fault:2")


# -- matching ---------------------------------------------------------------------


def test_route_method_and_team_matching(client: TestClient) -> None:
    add(client, route="result", error="402", team="team-b")
    add(client, method="post", error="429", team="team-c")
    assert poll(client, "team-a") == 404  # another team's rule
    assert poll(client, "team-b") == 402
    assert client.get(f"{RESULT}/1", headers={"API-KEY": "team-b"}).status_code == 402
    assert client.post(TEXT, json=text_body(), headers=auth("team-b")).status_code == 200
    assert poll(client, "team-c") == 404  # the rule is for POSTs
    assert client.post(TEXT, json=text_body(), headers=auth("team-c")).status_code == 429


def test_create_matches_the_five_create_routes(client: TestClient) -> None:
    add(client, route="create", error="429")
    for name in CREATES:
        r = client.post(f"/openapi/v2/video/{name}/generate", json={}, headers=auth())
        assert error_of(r)[:2] == (429, 429001), name
    assert poll(client) == 404
    assert error_of(client.post("/openapi/v2/image/upload", headers=auth()))[1] == 400013
    assert client.get(FAULTS).json()["faults"][0]["fired"] == 5


def test_every_route_but_not_the_control_plane_or_unknown_paths(client: TestClient) -> None:
    add(client, error="402")
    assert poll(client) == 402
    assert client.get(f"{RESULT}/1").status_code == 402  # before auth: no key needed
    assert client.get("/_emulator/health").status_code == 200
    assert error_of(client.get("/nowhere"))[0] == 404


def test_count_fires_n_times_then_the_rule_is_gone(client: TestClient) -> None:
    add(client, route="result", error="402", count=2)
    assert [poll(client) for _ in range(4)] == [402, 402, 404, 404]
    assert client.get(FAULTS).json() == {"faults": []}


def firing_pattern(client: TestClient, probability: float, seed: int) -> list[bool]:
    client.delete(FAULTS)
    add(client, route="result", error="402", probability=probability, seed=seed)
    return [poll(client) == 402 for _ in range(50)]


def test_probability_is_repeatable_with_a_seed(client: TestClient) -> None:
    pattern = firing_pattern(client, 0.5, 7)
    assert 0 < sum(pattern) < 50
    assert firing_pattern(client, 0.5, 7) == pattern
    assert firing_pattern(client, 0.5, 8) != pattern
    assert not any(firing_pattern(client, 0, 7))
    assert all(firing_pattern(client, 1, 7))


def test_the_first_matching_rule_wins(client: TestClient) -> None:
    add(client, route="result", error="402")
    add(client, error="429")
    assert poll(client) == 402
    assert client.post(TEXT, json=text_body(), headers=auth()).status_code == 429
    assert [e["reason"] for e in journal(client)] == ["fault:1", "fault:2"]
    assert [f["fired"] for f in client.get(FAULTS).json()["faults"]] == [1, 1]
