"""Mask selection (answered at once, 2 credits), swap, mimic and modify under
`profile = "pixverse"`, through HTTP: masks checked against the selection they came
from, each edit a real task of the promised shape (checked with FFmpeg's decoders)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from support import mp4_facts, png_bytes
from support import native_answer as answer
from support import native_resp as resp

from pixverse_emulator import Emulator

MASKS = "/openapi/v2/video/mask/selection"
SWAP = "/openapi/v2/video/swap/generate"
MIMIC = "/openapi/v2/video/mimic/generate"
MODIFY = "/openapi/v2/video/modify/generate"
KEY = {"API-KEY": "editor"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"profile": "pixverse", "progression": "instant"}




def source(client: TestClient) -> int:
    return int(resp(client.post("/openapi/v2/video/text/generate", headers=KEY, json={
        "model": "v6", "prompt": "a dancer", "duration": 4, "quality": "720p",
        "aspect_ratio": "16:9", "generate_audio_switch": True}))["video_id"])


def image(client: TestClient, width: int, height: int) -> int:
    files = {"image": ("subject.png", png_bytes(width, height), "image/png")}
    return int(resp(client.post("/openapi/v2/image/upload", headers=KEY, files=files))["img_id"])


def video(client: TestClient, video_id: int) -> tuple[int, int, float, bool]:
    result = resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=KEY))
    return mp4_facts(client.get(result["url"]).content)


def test_a_selection_answers_at_once_with_pictures_and_costs_2(
    client: TestClient, emulator: Emulator
) -> None:
    video_id = source(client)
    before = resp(client.get("/openapi/v2/account/balance", headers=KEY))["credit_monthly"]
    found = resp(client.post(MASKS, headers=KEY, json={"source_video_id": video_id,
                                                       "keyframe_id": 24}))
    assert found["keyframe_id"] == 24 and found["credits"] == 2
    assert [m["mask_name"] for m in found["mask_info"]] == ["person", "object", "background"]
    for url in [found["keyframe_url"], *(m["mask_url"] for m in found["mask_info"])]:
        picture = client.get(url)
        assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    after = resp(client.get("/openapi/v2/account/balance", headers=KEY))["credit_monthly"]
    assert before - after == 2
    again = resp(client.post(MASKS, headers=KEY, json={"source_video_id": video_id,
                                                       "keyframe_id": 24}))
    assert again["mask_info"] == found["mask_info"]  # the same frame, the same masks
    past = answer(client.post(MASKS, headers=KEY, json={"source_video_id": video_id,
                                                        "keyframe_id": 97}))
    assert past["ErrCode"] == 400017 and "last frame, 96" in past["ErrMsg"]


def test_swap_takes_a_mask_of_the_selected_frame(client: TestClient) -> None:
    video_id, subject = source(client), image(client, 64, 64)
    masks = resp(client.post(MASKS, headers=KEY, json={"source_video_id": video_id}))
    person = masks["mask_info"][0]["mask_id"]
    body = {"source_video_id": video_id, "keyframe_id": 1, "mask_id": person,
            "img_id": subject, "quality": "540p"}
    created = resp(client.post(SWAP, headers=KEY, json=body))
    assert created["credits"] == 10 * 4
    assert video(client, created["video_id"]) == (1024, 576, pytest.approx(4, abs=0.05), True)
    wrong_frame = answer(client.post(SWAP, headers=KEY, json={**body, "keyframe_id": 2}))
    assert wrong_frame["ErrCode"] == 400017 and "not a mask of frame 2" in wrong_frame["ErrMsg"]
    no_1080p = answer(client.post(SWAP, headers=KEY, json={**body, "quality": "1080p"}))
    assert no_1080p["ErrCode"] == 400013 and "quality" in no_1080p["ErrMsg"]


def test_mimic_gives_the_videos_motion_to_the_image(client: TestClient) -> None:
    video_id, portrait = source(client), image(client, 36, 64)
    created = resp(client.post(MIMIC, headers=KEY, json={
        "source_video_id": video_id, "img_id": portrait, "quality": "720p"}))
    assert created["credits"] == 12 * 4
    assert video(client, created["video_id"]) == (720, 1280, pytest.approx(4, abs=0.05), True)


def test_modify_checks_its_masks_and_images(client: TestClient) -> None:
    video_id, prop = source(client), image(client, 64, 64)
    masks = resp(client.post(MASKS, headers=KEY, json={"source_video_id": video_id,
                                                       "keyframe_id": 5}))
    background = masks["mask_info"][2]["mask_id"]
    body = {"source_video_id": video_id, "prompt": "@selection0 turns into @img0",
            "img_ids": [prop], "mask_ids": [background], "keyframe_ids": 5, "quality": "360p"}
    created = resp(client.post(MODIFY, headers=KEY, json=body))
    assert created["credits"] == 9 * 4
    assert video(client, created["video_id"]) == (640, 360, pytest.approx(4, abs=0.05), True)
    others = answer(client.post(MODIFY, headers={"API-KEY": "other"}, json=body))
    assert others["ErrCode"] == 500020  # another team's video
    unknown = answer(client.post(MODIFY, headers=KEY, json={**body, "img_ids": [424242]}))
    assert unknown["ErrCode"] == 400017 and "img_ids[0]" in unknown["ErrMsg"]
    too_many = answer(client.post(MODIFY, headers=KEY, json={**body, "mask_ids": ["a"] * 4}))
    assert too_many["ErrCode"] == 400013
