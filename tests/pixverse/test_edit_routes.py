"""PixVerse's own routes beyond WorldRouter's, through HTTP under `profile = "pixverse"`:
lip sync (the four source and audio combinations), sound effects and the TTS speaker
list. Each edit is a real task (lifecycle, ledger, caps, policies, faults) whose video
keeps its source's picture and length, with sound, checked with FFmpeg's decoders."""

from __future__ import annotations

import io
from typing import Any

import av
import pytest
from starlette.testclient import TestClient
from support import FIXTURES, wav_bytes

from pixverse_emulator import Emulator, Settings, create_app

LIP_SYNC = "/openapi/v2/video/lip_sync/generate"
SOUND = "/openapi/v2/video/sound_effect/generate"
TTS = "/openapi/v2/video/lip_sync/tts_list"
KEY = {"API-KEY": "editor"}
OTHER = {"API-KEY": "someone-else"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"profile": "pixverse", "progression": "instant"}


def ok(response: Any) -> dict[str, Any]:
    answer = response.json()
    assert response.status_code == 200 and answer["ErrCode"] == 0, answer
    resp: dict[str, Any] = answer["Resp"]
    return resp


def refused(response: Any) -> tuple[int, str]:
    answer = response.json()
    assert response.status_code == 200 and set(answer) == {"ErrCode", "ErrMsg", "Resp"}, answer
    return answer["ErrCode"], answer["ErrMsg"]


def generated(client: TestClient, headers: dict[str, str] = KEY, **overrides: Any) -> int:
    body = {"model": "v6", "prompt": "a lighthouse", "duration": 3, "quality": "360p",
            "aspect_ratio": "9:16", **overrides}
    return int(ok(client.post("/openapi/v2/video/text/generate", json=body,
                              headers=headers))["video_id"])


def upload(client: TestClient, name: str, data: bytes, kind: str) -> int:
    files = {"file": (name, data, kind)}
    return int(ok(client.post("/openapi/v2/media/upload", headers=KEY, files=files))["media_id"])


def video_of(client: TestClient, video_id: int
             ) -> tuple[dict[str, Any], tuple[int, int, float, bool]]:
    """The result as its owner reads it, and what FFmpeg finds in the file at its URL:
    (width, height, seconds, has an audio stream)."""
    result = ok(client.get(f"/openapi/v2/video/result/{video_id}", headers=KEY))
    assert result["status"] == 1
    data = client.get(result["url"]).content
    assert len(data) == result["size"]
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        assert container.duration is not None
        found = (video.codec_context.width, video.codec_context.height,
                 container.duration / 1e6, bool(container.streams.audio))
    return result, found


def test_lip_sync_by_tts_on_a_generated_video(client: TestClient, emulator: Emulator) -> None:
    source = generated(client)
    text = "Welcome to the lighthouse, keeper of the night"  # 46 bytes: 4 started 15s
    created = ok(client.post(LIP_SYNC, headers=KEY, json={
        "source_video_id": source, "lip_sync_tts_speaker_id": "Auto",
        "lip_sync_tts_content": text}))
    assert created["credits"] == 16
    result, (width, height, seconds, audio) = video_of(client, created["video_id"])
    assert (width, height) == (360, 640) == (result["outputWidth"], result["outputHeight"])
    assert seconds == pytest.approx(3, abs=0.05) and audio and result["has_audio"] is True
    kinds = [(e.kind, e.amount) for e in emulator.ledger_entries("editor")
             if e.video_id == created["video_id"]]
    assert kinds == [("hold", 16), ("capture", 16)]


def test_lip_sync_with_uploaded_audio_on_an_uploaded_video(client: TestClient) -> None:
    video = upload(client, "clip.mp4", (FIXTURES / "sample.mp4").read_bytes(), "video/mp4")
    audio = upload(client, "voice.wav", wav_bytes(2.2), "audio/wav")
    created = ok(client.post(LIP_SYNC, headers=KEY,
                             json={"video_media_id": video, "audio_media_id": audio}))
    assert created["credits"] == 12  # 4 a started second of audio
    source = client.get(f"/_emulator/media/{video}").json()["probed"]
    result, (width, height, seconds, has_audio) = video_of(client, created["video_id"])
    assert (width, height) == (source["width"], source["height"])
    assert seconds == pytest.approx(source["duration"], abs=0.05) and has_audio


@pytest.mark.parametrize(("body", "err_code", "names"), [
    ({"lip_sync_tts_speaker_id": "7"}, 400017, "both lip_sync_tts_speaker_id"),
    ({"lip_sync_tts_speaker_id": "99", "lip_sync_tts_content": "hi"}, 400017, "no speaker '99'"),
    ({"lip_sync_tts_speaker_id": 7, "lip_sync_tts_content": "hi"}, 400013,
     "lip_sync_tts_speaker_id"),
    ({"lip_sync_tts_speaker_id": "7", "lip_sync_tts_content": "x" * 201}, 400013,
     "lip_sync_tts_content"),
    ({"audio_media_id": "VIDEO"}, 400017, "not an audio resource"),
    ({"audio_media_id": "AUDIO", "lip_sync_tts_speaker_id": "7", "lip_sync_tts_content": "hi"},
     400017, "not both"),
    ({"audio_media_id": 424242}, 400017, "couldn't find a matching media 424242"),
])
def test_lip_sync_refusals_name_what_is_wrong(
    client: TestClient, body: dict[str, Any], err_code: int, names: str
) -> None:
    video = upload(client, "clip.mp4", (FIXTURES / "sample.mp4").read_bytes(), "video/mp4")
    audio = upload(client, "voice.wav", wav_bytes(1), "audio/wav")
    ids = {"VIDEO": video, "AUDIO": audio}
    sent = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    found, message = refused(client.post(LIP_SYNC, headers=KEY,
                                         json={"video_media_id": video, **sent}))
    assert found == err_code and names in message, message


def test_sources_must_be_the_callers_and_finished(client: TestClient) -> None:
    theirs = generated(client, OTHER)
    tts = {"lip_sync_tts_speaker_id": "7", "lip_sync_tts_content": "hello"}
    assert refused(client.post(LIP_SYNC, headers=KEY,
                               json={"source_video_id": theirs, **tts}))[0] == 500020
    running = generated(client, prompt="a lighthouse [emulator:stuck]")
    code, message = refused(client.post(SOUND, headers=KEY, json={"source_video_id": running}))
    assert code == 400017 and "only a finished video" in message
    code, message = refused(client.post(SOUND, headers=KEY, json={}))
    assert code == 400017 and "exactly one of source_video_id or video_media_id" in message


@pytest.mark.parametrize(("duration", "credits"), [(5, 10), (8, 20), (10, 20), (11, 30)])
def test_sound_effects_cost_10_per_started_5_seconds_and_keep_the_picture(
    client: TestClient, duration: int, credits: int
) -> None:
    source = generated(client, duration=duration)
    created = ok(client.post(SOUND, headers=KEY, json={
        "source_video_id": source, "sound_effect_content": "waves",
        "original_sound_switch": True}))
    assert created["credits"] == credits
    _, (width, height, seconds, audio) = video_of(client, created["video_id"])
    assert (width, height, audio) == (360, 640, True)
    assert seconds == pytest.approx(duration, abs=0.05)


def test_edits_follow_the_teams_policies_caps_and_faults(client: TestClient) -> None:
    source = generated(client)
    client.put("/_emulator/teams/editor", json={"outcomes": ["failed"], "pending_cap": 1,
                                                "progression": "manual"})
    first = ok(client.post(SOUND, headers=KEY, json={"source_video_id": source}))["video_id"]
    assert refused(client.post(SOUND, headers=KEY, json={"source_video_id": source}))[0] == 500044
    client.post(f"/_emulator/tasks/{first}/status", json={"status": 8})
    assert ok(client.get(f"/openapi/v2/video/result/{first}", headers=KEY))["status"] == 8
    client.post("/_emulator/faults", json={"route": "lip_sync", "count": 1,
                                           "upstream": {"err_code": 500069}})
    answer = client.post(LIP_SYNC, headers=KEY, json={
        "source_video_id": source, "lip_sync_tts_speaker_id": "7", "lip_sync_tts_content": "hi"})
    assert answer.json()["ErrCode"] == 500069
    routes = client.get("/_emulator/coverage").json()["routes"]["exercised"]
    assert {"sound_effect", "lip_sync"} <= set(routes)


def test_the_tts_list_pages_the_documented_speakers(client: TestClient) -> None:
    first = ok(client.get(TTS, headers=KEY, params={"page_num": 1, "page_size": 30}))
    assert first["total"] == 15 and len(first["data"]) == 15
    assert first["data"][0] == {"speaker_id": "7", "name": "Harper"}
    assert first["data"][-1] == {"speaker_id": "Auto", "name": "Auto"}
    second = ok(client.get(TTS, headers=KEY, params={"page_num": 2, "page_size": 10}))
    assert [s["name"] for s in second["data"]] == ["James", "Oliver", "Adrian", "Ethan", "Auto"]
    assert ok(client.get(TTS, headers=KEY, params={"page_num": 3, "page_size": 10}))["data"] == []
    assert refused(client.get(TTS, headers=KEY, params={"page_size": 0}))[0] == 400013
    assert refused(client.get(TTS))[0] == 10003


def test_under_worldrouter_these_routes_do_not_exist() -> None:
    emulator = Emulator(Settings(quiet=True))
    with TestClient(create_app(emulator)) as client:
        for method, path in (("POST", LIP_SYNC), ("POST", SOUND), ("GET", TTS)):
            assert client.request(method, path, headers={"API-KEY": "k"}).status_code == 404
        assert "lip_sync" not in client.get("/_emulator/coverage").json()["routes"]["missing"]
    emulator.close()
