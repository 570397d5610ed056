"""Creates that name images, videos and media: existence, ownership, shapes."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from support import auth, error_of, png_bytes, resp, text_body, wav_bytes

from pixverse_emulator import Emulator
from pixverse_emulator.clock import MAX_ADVANCE

V2 = "/openapi/v2"


def upload_png(client: TestClient, width: int = 64, height: int = 36, key: str = "team-a"
               ) -> int:
    files = {"image": ("a.png", png_bytes(width, height), "image/png")}
    img_id: int = resp(client.post(f"{V2}/image/upload", files=files, headers=auth(key)))[
        "img_id"]
    return img_id


def body(**fields: Any) -> dict[str, Any]:
    return text_body(**{"model": "pixverse-v6", "aspect_ratio": ..., **fields})


def finished(client: TestClient, emulator: Emulator, path: str, payload: dict[str, Any],
             key: str = "team-a") -> dict[str, Any]:
    video_id = resp(client.post(f"{V2}{path}", json=payload, headers=auth(key)))["video_id"]
    emulator.advance(60)
    return resp(client.get(f"{V2}/video/result/{video_id}", headers=auth(key)))


@pytest.mark.parametrize(
    ("size", "expected"),
    [((64, 36), (640, 360)), ((30, 40), (480, 640)), ((50, 50), (640, 640)),
     ((36, 64), (360, 640))],
    ids=["16:9", "3:4", "1:1", "9:16"],
)
def test_image_to_video_follows_the_image_ratio(
    client: TestClient, emulator: Emulator, size: tuple[int, int], expected: tuple[int, int]
) -> None:
    img_id = upload_png(client, *size)
    done = finished(client, emulator, "/video/img/generate", body(img_id=img_id))
    assert (done["outputWidth"], done["outputHeight"]) == expected


def test_explicit_aspect_ratio_wins(client: TestClient, emulator: Emulator) -> None:
    img_id = upload_png(client, 64, 36)
    done = finished(client, emulator, "/video/img/generate",
                    body(img_id=img_id, aspect_ratio="1:1"))
    assert (done["outputWidth"], done["outputHeight"]) == (640, 640)


def test_transition_follows_the_first_frame(client: TestClient, emulator: Emulator) -> None:
    first, last = upload_png(client, 36, 64), upload_png(client, 64, 36)
    done = finished(client, emulator, "/video/transition/generate",
                    body(first_frame_img=first, last_frame_img=last))
    assert (done["outputWidth"], done["outputHeight"]) == (360, 640)


@pytest.mark.parametrize(
    ("path", "field"),
    [("/video/img/generate", "img_id"), ("/video/transition/generate", "first_frame_img"),
     ("/video/transition/generate", "last_frame_img")],
)
def test_unknown_image_is_400017_and_another_teams_is_403(
    client: TestClient, path: str, field: str
) -> None:
    mine, theirs = upload_png(client), upload_png(client, key="team-b")
    fields = {"img_id": mine, "first_frame_img": mine, "last_frame_img": mine}
    keep = {k: v for k, v in fields.items() if k in ("img_id",) or path.endswith(
        "transition/generate") and k != "img_id"}
    r = client.post(f"{V2}{path}", json=body(**{**keep, field: 999}), headers=auth())
    assert error_of(r)[1] == 400017 and field in r.json()["ErrMsg"]
    r = client.post(f"{V2}{path}", json=body(**{**keep, field: theirs}), headers=auth())
    assert error_of(r) == (403, 403001, "media_resource_access_denied")


def fusion(refs: list[tuple[str, int]], prompt: str) -> dict[str, Any]:
    references = [{"type": "subject", "img_id": i, "ref_name": n} for n, i in refs]
    return body(prompt=prompt, aspect_ratio="4:3", image_references=references)


def test_fusion_success(client: TestClient, emulator: Emulator) -> None:
    a, b = upload_png(client), upload_png(client)
    done = finished(client, emulator, "/video/fusion/generate",
                    fusion([("product", a), ("studio", b)], "Place @product on @studio"))
    assert (done["outputWidth"], done["outputHeight"]) == (640, 480)


@pytest.mark.parametrize(
    ("names", "prompt", "code", "word"),
    [
        (["a", "a"], "@a and @a", 400017, "more than once"),
        (["a", "b"], "@a only", 400017, "@b"),
        (["prod"], "@product", 400017, "@prod"),
        ([], "nothing", 400013, "image_references"),
        ([f"n{i}" for i in range(8)], " ".join(f"@n{i}" for i in range(8)), 400013,
         "image_references"),
    ],
    ids=["duplicate", "not-mentioned", "prefix-is-not-a-mention", "none", "eight"],
)
def test_fusion_rules(client: TestClient, names: list[str], prompt: str, code: int, word: str
                      ) -> None:
    img = upload_png(client)
    r = client.post(f"{V2}/video/fusion/generate",
                    json=fusion([(n, img) for n in names], prompt), headers=auth())
    assert error_of(r)[1] == code
    assert word in r.json()["ErrMsg"]


def test_fusion_reference_of_another_team_is_403(client: TestClient) -> None:
    theirs = upload_png(client, key="team-b")
    r = client.post(f"{V2}/video/fusion/generate", json=fusion([("x", theirs)], "@x"),
                    headers=auth())
    assert error_of(r)[0] == 403
    assert "image_references[0].img_id" in r.json()["ErrMsg"]


def test_extend_of_a_finished_video(client: TestClient, emulator: Emulator) -> None:
    source = finished(client, emulator, "/video/text/generate",
                      text_body(model="pixverse-v6", quality="540p", aspect_ratio="9:16"))
    done = finished(client, emulator, "/video/extend/generate",
                    body(source_video_id=source["id"], duration=3))
    assert (done["outputWidth"], done["outputHeight"]) == (576, 1024)
    detail = client.get(f"/_emulator/tasks/{done['id']}").json()
    assert detail["video"]["seconds"] == 1 + 3


def test_extend_of_a_running_or_failed_video_is_400017(client: TestClient, emulator: Emulator
                                                        ) -> None:
    running = resp(client.post(f"{V2}/video/text/generate", json=text_body(),
                               headers=auth()))["video_id"]
    r = client.post(f"{V2}/video/extend/generate", json=body(source_video_id=running),
                    headers=auth())
    assert error_of(r)[1] == 400017 and "status 5" in r.json()["ErrMsg"]
    emulator.set_status(running, 8)
    r = client.post(f"{V2}/video/extend/generate", json=body(source_video_id=running),
                    headers=auth())
    assert error_of(r)[1] == 400017 and "status 8" in r.json()["ErrMsg"]


def test_extend_of_another_teams_video_is_403(client: TestClient, emulator: Emulator) -> None:
    source = finished(client, emulator, "/video/text/generate", text_body(), key="team-b")
    r = client.post(f"{V2}/video/extend/generate", json=body(source_video_id=source["id"]),
                    headers=auth())
    assert error_of(r)[0] == 403


@pytest.mark.parametrize(
    "fields",
    [{}, {"source_video_id": 1, "video_media_id": 2}, {"source_video_id": 12345},
     {"video_media_id": 12345}],
    ids=["neither", "both", "unknown-video", "unknown-media"],
)
def test_extend_sources(client: TestClient, fields: dict[str, int]) -> None:
    r = client.post(f"{V2}/video/extend/generate", json=body(**fields), headers=auth())
    assert error_of(r)[1] == 400017


def test_extend_from_audio_media_is_400017(client: TestClient) -> None:
    media_id = resp(client.post(f"{V2}/media/upload", files={"file": ("a.wav", wav_bytes(1))},
                                headers=auth()))["media_id"]
    r = client.post(f"{V2}/video/extend/generate", json=body(video_media_id=media_id),
                    headers=auth())
    assert error_of(r)[1] == 400017 and "audio" in r.json()["ErrMsg"]


def test_extend_from_a_media_url_assumes_a_default_source(client: TestClient,
                                                          emulator: Emulator) -> None:
    media_id = resp(client.post(f"{V2}/media/upload",
                                data={"file_url": "https://x.invalid/in.mp4"},
                                headers=auth()))["media_id"]
    done = finished(client, emulator, "/video/extend/generate",
                    body(video_media_id=media_id, duration=2))
    assert (done["outputWidth"], done["outputHeight"]) == (1280, 720)


def test_extend_chain_stops_at_the_source_limit(client: TestClient, emulator: Emulator) -> None:
    """Extending an extend grows the source; past 40 s it is refused, not rendered."""
    done = finished(client, emulator, "/video/text/generate",
                    text_body(model="pixverse-v6", duration=15))
    for expected_seconds in (30, 45):
        done = finished(client, emulator, "/video/extend/generate",
                        body(source_video_id=done["id"], duration=15))
        assert abs(client.get(f"/_emulator/tasks/{done['id']}").json()["video"]["seconds"]
                   - expected_seconds) < 1e-9
    r = client.post(f"{V2}/video/extend/generate", json=body(source_video_id=done["id"]),
                    headers=auth())
    assert error_of(r)[1] == 400017 and "40 s" in r.json()["ErrMsg"]


def test_extend_of_an_oversized_upload_is_400017(client: TestClient,
                                                 emulator: Emulator) -> None:
    from pixverse_emulator.media.probe import MediaInfo

    info = MediaInfo("video", "mp4", 5.0, 3840, 2160, False)
    media = emulator.add_media("team-a", "video", None, "https://x.invalid/4k.mp4", info)
    r = client.post(f"{V2}/video/extend/generate", json=body(video_media_id=media.media_id),
                    headers=auth())
    assert error_of(r)[1] == 400017 and "1920" in r.json()["ErrMsg"]


def test_a_clock_past_year_9999_still_answers(client: TestClient, emulator: Emulator) -> None:
    for _ in range(81):  # a century at a time: past 9999 from 2026
        emulator.advance(MAX_ADVANCE)
    created = client.post(f"{V2}/video/text/generate",
                          json=text_body(prompt="[emulator:instant] x"), headers=auth())
    done = resp(client.get(f"{V2}/video/result/{resp(created)['video_id']}", headers=auth()))
    assert done["status"] == 1
    assert done["create_time"] == done["modify_time"] == "9999-12-31T23:59:59Z"
