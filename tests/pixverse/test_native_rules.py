"""`profile = "pixverse"` through HTTP: the native models and their rules, prices in
PixVerse credits, `API-KEY` only, and the native ErrCodes in the bare envelope."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from support import png_bytes

from pixverse_emulator import Emulator

TEXT = "/openapi/v2/video/text/generate"
IMG = "/openapi/v2/video/img/generate"
FUSION = "/openapi/v2/video/fusion/generate"
EXTEND = "/openapi/v2/video/extend/generate"
KEY = {"API-KEY": "native-team"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"profile": "pixverse"}


def body(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"model": "v5", "prompt": "a fox in the snow", "duration": 5,
                              "quality": "540p", "aspect_ratio": "16:9"}
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def native_error(response: Any) -> tuple[int, int, str]:
    """(HTTP status, ErrCode, ErrMsg) of a native error: the envelope alone."""
    answer = response.json()
    assert set(answer) == {"ErrCode", "ErrMsg", "Resp"} and answer["Resp"] == {}, answer
    assert answer["ErrCode"] != 0 and answer["ErrMsg"]
    return response.status_code, answer["ErrCode"], answer["ErrMsg"]


def created(client: TestClient, path: str = TEXT, **overrides: Any) -> dict[str, Any]:
    answer = client.post(path, json=body(**overrides), headers=KEY).json()
    assert answer["ErrCode"] == 0, answer
    resp: dict[str, Any] = answer["Resp"]
    return resp


@pytest.mark.parametrize(("model", "quality", "duration", "extra", "credits"), [
    ("v5", "540p", 5, {}, 45),
    ("v5", "360p", 8, {}, 90),
    ("v5", "720p", 8, {}, 120),
    ("v5", "1080p", 8, {}, 240),
    ("v4.5", "1080p", 5, {}, 120),
    ("v4", "540p", 5, {"motion_mode": "fast"}, 90),
    ("v3.5", "720p", 5, {"motion_mode": "fast"}, 120),
    ("v5.6", "540p", 5, {"generate_audio_switch": True}, 80),
    ("v5.5", "1080p", 8, {}, 192),
    ("v6", "720p", 4, {"generate_audio_switch": True}, 48),
    ("v6", "1080p", 15, {}, 270),
    ("c1", "540p", 5, {"generate_audio_switch": True}, 25),
    ("c1", "360p", 1, {"aspect_ratio": "21:9"}, 3),
])
def test_native_models_create_at_their_price_without_a_unit(
    client: TestClient, model: str, quality: str, duration: int, extra: dict[str, Any],
    credits: int
) -> None:
    resp = created(client, model=model, quality=quality, duration=duration, **extra)
    assert resp["credits"] == credits and "credits_unit" not in resp
    client.post(f"/_emulator/tasks/{resp['video_id']}/status", json={"status": 1})
    result = client.get(f"/openapi/v2/video/result/{resp['video_id']}", headers=KEY).json()
    assert result["Resp"]["credits"] == credits and "credits_unit" not in result["Resp"]


@pytest.mark.parametrize(("overrides", "names"), [
    ({"model": "v5", "duration": 6}, "duration: 6 is not supported by v5 (supported: 5, 8)"),
    ({"model": "v4", "quality": "1080p", "duration": 8}, "v4 at 1080p (supported: 5)"),
    ({"model": "v5.5", "quality": "1080p", "duration": 10}, "v5.5 at 1080p (supported: 5, 8)"),
    ({"model": "v5", "aspect_ratio": "21:9"}, "aspect_ratio: 21:9 is not supported by v5"),
    ({"model": "c1", "motion_mode": "fast"},
     "motion_mode:fast is only supported for models v3.5, v4, and v4.5."),
    ({"model": "v4", "motion_mode": "fast", "duration": 8}, "fast is only supported for 5 s"),
    ({"model": "v4", "motion_mode": "fast", "quality": "1080p"}, "fast is not supported at 1080p"),
    ({"model": "v5", "generate_audio_switch": True}, "generate_audio_switch: v5 cannot"),
])
def test_what_a_model_does_not_support_is_400017_naming_it(
    client: TestClient, overrides: dict[str, Any], names: str
) -> None:
    status, err_code, message = native_error(client.post(TEXT, json=body(**overrides),
                                                         headers=KEY))
    assert (status, err_code) == (200, 400017) and names in message
    assert client.get("/_emulator/teams/native-team").status_code == 404  # nothing held


def test_routes_a_model_lacks_and_fusion_reference_counts(client: TestClient) -> None:
    image = client.post("/openapi/v2/image/upload", headers=KEY,
                        files={"image": ("a.png", png_bytes(64, 64), "image/png")}).json()
    img_id = image["Resp"]["img_id"]
    refs = [{"type": "subject", "img_id": img_id, "ref_name": f"r{i}"} for i in range(4)]
    prompt = " ".join(f"@r{i} " for i in range(4)) + "dance"
    for model, path, extra, names in [
        ("c1", EXTEND, {"source_video_id": 1, "aspect_ratio": None}, "c1 does not support extend"),
        ("v3.5", FUSION, {"image_references": refs[:1], "prompt": "@r0 dances"},
         "v3.5 does not support fusion"),
        ("v4.5", FUSION, {"image_references": refs, "prompt": prompt}, "at most 3 references"),
    ]:
        answer = client.post(path, json=body(model=model, **extra), headers=KEY)
        status, err_code, message = native_error(answer)
        assert (status, err_code) == (200, 400017) and names in message, message
    fusion = created(client, FUSION, model="v6", image_references=refs, prompt=prompt)
    assert fusion["credits"] == 35
    assert created(client, IMG, model="v4.5", img_id=img_id, aspect_ratio=None)["credits"] == 45


@pytest.mark.parametrize(("overrides", "err_code"), [
    ({"model": "pixverse-c1"}, 400013),  # WorldRouter's names are not native ones
    ({"model": "v7"}, 400013),
    ({"prompt": None}, 400011),
    ({"duration": "5"}, 400013),
    ({"prompt": "x" * 5001}, 400018),
    ({"negative_prompt": "x" * 2049}, 400019),
    ({"duration": 16, "model": "v6"}, 400013),
])
def test_field_errors_have_their_native_codes(
    client: TestClient, overrides: dict[str, Any], err_code: int
) -> None:
    status, found, message = native_error(client.post(TEXT, json=body(**overrides), headers=KEY))
    assert (status, found) == (200, err_code), message


def test_keys_go_in_api_key_only(client: TestClient) -> None:
    bearer = client.post(TEXT, json=body(), headers={"Authorization": "Bearer native-team"})
    status, err_code, message = native_error(bearer)
    assert (status, err_code) == (200, 10003) and "API-KEY" in message
    assert created(client)["video_id"] > 0


def test_an_unknown_key_in_strict_mode_is_10001(emulator: Emulator) -> None:
    from pixverse_emulator import Settings, create_app
    from pixverse_emulator.settings import TeamConfig

    strict = Emulator(Settings(profile="pixverse", auth="strict", quiet=True,
                               teams=(TeamConfig(id="acme", keys=("acme-key",)),)))
    with TestClient(create_app(strict)) as client:
        answer = client.get("/openapi/v2/video/result/1", headers={"API-KEY": "guess"})
        assert native_error(answer)[:2] == (200, 10001)
    strict.close()


def test_balance_pending_cap_and_unknown_ids_have_native_codes(client: TestClient) -> None:
    client.put("/_emulator/teams/poor", json={"credits": 10, "pending_cap": 1})
    poor = {"API-KEY": "poor"}
    assert native_error(client.post(TEXT, json=body(), headers=poor))[:2] == (200, 500090)
    client.put("/_emulator/teams/poor", json={"credits": 1000})
    assert client.post(TEXT, json=body(prompt="x [emulator:stuck]"), headers=poor).json()[
        "ErrCode"] == 0
    assert native_error(client.post(TEXT, json=body(), headers=poor))[:2] == (200, 500044)
    assert native_error(client.get("/openapi/v2/video/result/12345", headers=KEY))[:2] == (
        200, 500008)
    theirs = created(client)["video_id"]
    assert native_error(client.get(f"/openapi/v2/video/result/{theirs}", headers=poor))[:2] == (
        200, 500020)
    assert native_error(client.get("/openapi/v2/video/nowhere", headers=KEY))[:2] == (404, 500008)
    upload = client.post("/openapi/v2/image/upload", headers=KEY,
                         files={"image": ("a.png", b"not an image", "image/png")})
    assert native_error(upload)[:2] == (200, 500032)


def test_the_journal_keeps_native_codes_and_the_control_plane_its_own(client: TestClient) -> None:
    client.post(TEXT, json=body(model="pixverse-v6"), headers=KEY)
    entry = client.get("/_emulator/requests").json()["requests"][-1]
    assert (entry["status"], entry["err_code"], entry["reason"]) == (200, 400013, "model")
    control = client.get("/_emulator/tasks/424242")
    assert control.status_code == 404 and control.json()["error"]["code"] == "not_found"
