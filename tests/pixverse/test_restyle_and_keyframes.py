"""Restyle (and its preset list) and multi-transition under `profile = "pixverse"`,
through HTTP: each a real task whose video has the promised shape (checked with FFmpeg's
decoders), priced as the README's table says, refused with a 400017 naming the problem."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from support import FIXTURES, mp4_facts, png_bytes
from support import native_answer as answer
from support import native_resp as resp

RESTYLE = "/openapi/v2/video/restyle/generate"
PRESETS = "/openapi/v2/video/restyle/list"
KEYFRAMES = "/openapi/v2/video/multi_transition/generate"
KEY = {"API-KEY": "styler"}
SIMPSON = 322878269109312


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"profile": "pixverse", "progression": "instant"}




def video(client: TestClient, video_id: int) -> tuple[int, int, float, bool]:
    result = resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=KEY))
    return mp4_facts(client.get(result["url"]).content)


def image(client: TestClient, width: int, height: int) -> int:
    files = {"image": ("frame.png", png_bytes(width, height), "image/png")}
    return int(resp(client.post("/openapi/v2/image/upload", headers=KEY, files=files))["img_id"])


def test_the_preset_list_pages_and_its_covers_are_pictures(client: TestClient) -> None:
    first = resp(client.get(PRESETS, headers=KEY, params={"page_num": 1, "page_size": 2}))
    assert [p["restyle_name"] for p in first] == ["Simpson", "Van Gogh"]
    assert first[0]["restyle_id"] == SIMPSON and first[0]["restyle_prompt"]
    cover = client.get(first[0]["cover_url"])
    assert cover.status_code == 200 and cover.content.startswith(b"\x89PNG")
    everything = resp(client.get(PRESETS, headers=KEY, params={"page_size": 100}))
    assert len({p["restyle_id"] for p in everything}) == len(everything) >= 6
    assert resp(client.get(PRESETS, headers=KEY, params={"page_num": 9})) == []


def test_restyle_keeps_the_uploaded_videos_shape_and_sound(client: TestClient) -> None:
    files = {"file": ("clip.mp4", (FIXTURES / "sample.mp4").read_bytes(), "video/mp4")}
    media_id = resp(client.post("/openapi/v2/media/upload", headers=KEY, files=files))["media_id"]
    probed = client.get(f"/_emulator/media/{media_id}").json()["probed"]
    by_preset = resp(client.post(RESTYLE, headers=KEY,
                                 json={"video_media_id": media_id, "restyle_id": SIMPSON}))
    assert by_preset["credits"] == 9 * 2  # 9 per started second of a 2 s source
    width, height, seconds, audio = video(client, by_preset["video_id"])
    assert (width, height, audio) == (probed["width"], probed["height"], probed["has_audio"])
    assert seconds == pytest.approx(probed["duration"], abs=0.05)
    described = resp(client.post(RESTYLE, headers=KEY, json={
        "video_media_id": media_id, "restyle_prompt": "pencil sketch", "seed": 7}))
    assert described["credits"] == 18


@pytest.mark.parametrize(("body", "names"), [
    ({}, 'Either "restyle_id" or "restyle_prompt"'),
    ({"restyle_id": SIMPSON, "restyle_prompt": "both"}, 'Either "restyle_id"'),
    ({"restyle_id": 1}, "no preset 1"),
])
def test_restyle_needs_one_known_style(client: TestClient, body: dict[str, Any],
                                       names: str) -> None:
    source = resp(client.post("/openapi/v2/video/text/generate", headers=KEY, json={
        "model": "v6", "prompt": "a cat", "duration": 3, "quality": "360p",
        "aspect_ratio": "16:9"}))["video_id"]
    refused = answer(client.post(RESTYLE, headers=KEY, json={"source_video_id": source, **body}))
    assert refused["ErrCode"] == 400017 and names in refused["ErrMsg"]


def test_restyle_takes_sources_up_to_16_seconds(client: TestClient) -> None:
    long = resp(client.post("/openapi/v2/video/text/generate", headers=KEY, json={
        "model": "v6", "prompt": "a long take", "duration": 15, "quality": "360p",
        "aspect_ratio": "16:9"}))["video_id"]
    extended = resp(client.post("/openapi/v2/video/extend/generate", headers=KEY, json={
        "model": "v6", "prompt": "more", "duration": 5, "quality": "360p",
        "source_video_id": long}))["video_id"]
    assert resp(client.post(RESTYLE, headers=KEY, json={
        "source_video_id": long, "restyle_id": SIMPSON}))["credits"] == 135
    refused = answer(client.post(RESTYLE, headers=KEY, json={
        "source_video_id": extended, "restyle_id": SIMPSON}))
    assert refused["ErrCode"] == 400017 and "up to 16 s" in refused["ErrMsg"]


def test_multi_transition_runs_through_its_images_for_their_total(client: TestClient) -> None:
    frames = [image(client, 36, 64), image(client, 64, 64), image(client, 64, 36)]
    created = resp(client.post(KEYFRAMES, headers=KEY, json={
        "model": "v5", "quality": "720p", "multi_transition": [
            {"img_id": frames[0], "duration": 3, "prompt": "dawn"},
            {"img_id": frames[1], "duration": 4, "prompt": "noon"},
            {"img_id": frames[2]}]}))
    assert created["credits"] == 60 * 7 // 5  # the 720p rate, 7 s
    width, height, seconds, audio = video(client, created["video_id"])
    assert (width, height, audio) == (720, 1280, False)  # the first image's 9:16
    assert seconds == pytest.approx(7, abs=0.05)


@pytest.mark.parametrize(("model", "frames", "err_code", "names"), [
    ("v6", [(3, None), (0, None)], 400017, "v6 does not support multi_transition"),
    ("v5", [(0, None), (3, None)], 400017, "only the last image may last 0 s"),
    ("v5", [(20, None), (11, None)], 400017, "add up to 31 s"),
    ("v5", [(3, None)], 400013, "multi_transition"),
    ("v5", [(3, None), (3, 424242)], 400017, "couldn't find a matching image 424242"),
])
def test_multi_transition_refusals_name_the_problem(
    client: TestClient, model: str, frames: list[tuple[int, int | None]], err_code: int,
    names: str
) -> None:
    mine = image(client, 64, 64)
    keyframes = [{"img_id": img or mine, "duration": seconds} for seconds, img in frames]
    refused = answer(client.post(KEYFRAMES, headers=KEY, json={
        "model": model, "quality": "540p", "multi_transition": keyframes}))
    assert refused["ErrCode"] == err_code and names in refused["ErrMsg"], refused
