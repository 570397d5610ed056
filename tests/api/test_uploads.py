"""Image and media uploads: probing, limits, ownership, and serving the files back."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from support import FIXTURES, auth, error_of, png_bytes, resp, wav_bytes

from pixverse_emulator import Emulator

IMAGE = "/openapi/v2/image/upload"
MEDIA = "/openapi/v2/media/upload"


@pytest.mark.parametrize(
    ("name", "fmt", "size"),
    [("sample.png", "png", None), ("sample.jpg", "jpeg", None), ("sample.webp", "webp", None)],
)
def test_image_upload_is_probed_and_served_back(
    client: TestClient, emulator: Emulator, name: str, fmt: str, size: Any
) -> None:
    data = (FIXTURES / name).read_bytes()
    # A misleading file name and type: the content decides.
    files = {"image": ("photo.gif", data, "application/octet-stream")}
    uploaded = resp(client.post(IMAGE, files=files, headers=auth()))
    assert set(uploaded) == {"img_id", "img_url"} and isinstance(uploaded["img_id"], int)
    stored = emulator.uploads.images[uploaded["img_id"]]
    assert stored.info is not None and stored.info.format == fmt and stored.team_id == "team-a"
    served = client.get(uploaded["img_url"])
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-type"].startswith("image/")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"GIF89a" + b"\x00" * 100, "not a PNG"),
        (b"hello world", "not a PNG"),
        (b"", "not a PNG"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG"),
        (png_bytes(1, 1)[:30], "truncated"),
        (png_bytes(10001, 1), "10000"),
    ],
    ids=["gif", "text", "empty", "png-header-on-noise", "truncated-png", "too-wide"],
)
def test_bad_images_are_400013_saying_why(client: TestClient, data: bytes, why: str) -> None:
    r = client.post(IMAGE, files={"image": ("x.png", data, "image/png")}, headers=auth())
    assert error_of(r) == (400, 400013, "invalid_field")
    assert why.lower() in r.json()["ErrMsg"].lower()


def test_image_url_is_recorded_not_fetched(client: TestClient) -> None:
    url = "https://example.invalid/cat.png"
    uploaded = resp(client.post(IMAGE, data={"image_url": url}, headers=auth()))
    assert uploaded["img_url"] == url


@pytest.mark.parametrize(
    ("data", "files", "code"),
    [
        ({}, None, 400013),
        ({"image_url": "ftp://x/y.png"}, None, 400013),
        ({"image_url": "not a url"}, None, 400013),
        ({"image_url": "https://x/y.png"}, {"image": ("a.png", png_bytes(2, 2), "image/png")},
         400017),
        ({"image": "just a string"}, None, 400013),
    ],
    ids=["nothing", "ftp", "no-scheme", "both", "image-as-text"],
)
def test_image_upload_needs_one_source(
    client: TestClient, data: dict[str, str], files: Any, code: int
) -> None:
    r = client.post(IMAGE, data=data, files=files, headers=auth())
    assert error_of(r)[1] == code


def test_image_upload_needs_a_key(client: TestClient) -> None:
    r = client.post(IMAGE, files={"image": ("a.png", png_bytes(2, 2), "image/png")})
    assert error_of(r)[0] == 401


class TestLimits:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"image_upload_limit": 4096, "media_upload_limit": 8192}

    def test_image_over_the_limit_is_413(self, client: TestClient) -> None:
        big = png_bytes(200, 200) + b"\x00" * 5000
        r = client.post(IMAGE, files={"image": ("a.png", big, "image/png")}, headers=auth())
        assert error_of(r) == (413, 413001, "payload_too_large")
        assert "image_upload_limit" in r.json()["ErrMsg"]

    def test_chunked_media_over_the_limit_is_413(self, client: TestClient) -> None:
        boundary = "xyz"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                "filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n").encode()

        def body() -> Any:
            yield head
            for _ in range(10):
                yield b"\x00" * 1024
            yield f"\r\n--{boundary}--\r\n".encode()

        r = client.post(MEDIA, content=body(), headers={
            **auth(), "Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert error_of(r) == (413, 413001, "payload_too_large")
        assert "media_upload_limit" in r.json()["ErrMsg"]

    def test_under_the_limit_is_fine(self, client: TestClient) -> None:
        resp(client.post(IMAGE, files={"image": ("a.png", png_bytes(8, 8), "image/png")},
                         headers=auth()))


@pytest.mark.parametrize(
    ("name", "kind"),
    [("sample.mp4", "video"), ("sample.wav", "audio"), ("sample.mp3", "audio")],
)
def test_media_upload(client: TestClient, emulator: Emulator, name: str, kind: str) -> None:
    data = (FIXTURES / name).read_bytes()
    uploaded = resp(client.post(MEDIA, files={"file": ("upload.bin", data)}, headers=auth()))
    assert set(uploaded) == {"media_id", "media_type", "url"}
    assert uploaded["media_type"] == kind
    assert client.get(uploaded["url"]).content == data


def test_media_that_is_not_audio_or_video_is_400013(client: TestClient) -> None:
    r = client.post(MEDIA, files={"file": ("a.mp4", png_bytes(4, 4), "video/mp4")},
                    headers=auth())
    assert error_of(r)[1] == 400013
    assert "file" in r.json()["ErrMsg"]


@pytest.mark.parametrize(
    ("data", "kind"),
    [({"file_url": "https://x.invalid/clip.MP4"}, "video"),
     ({"file_url": "https://x.invalid/a.mp3?sig=1"}, "audio"),
     ({"file_url": "https://x.invalid/blob", "media_type": "video"}, "video")],
)
def test_media_url_kind(client: TestClient, data: dict[str, str], kind: str) -> None:
    uploaded = resp(client.post(MEDIA, data=data, headers=auth()))
    assert uploaded["media_type"] == kind and uploaded["url"] == data["file_url"]


@pytest.mark.parametrize(
    "data",
    [{"file_url": "https://x.invalid/blob"},
     {"file_url": "https://x.invalid/a.mp4", "media_type": "picture"}],
    ids=["unknown-extension", "bad-media-type"],
)
def test_media_url_of_unknown_kind_is_400013(client: TestClient, data: dict[str, str]) -> None:
    assert error_of(client.post(MEDIA, data=data, headers=auth()))[1] == 400013


def test_wav_built_in_the_test_is_audio(client: TestClient, emulator: Emulator) -> None:
    uploaded = resp(client.post(MEDIA, files={"file": ("x", wav_bytes(1.5))}, headers=auth()))
    info = emulator.uploads.media[uploaded["media_id"]].info
    assert info is not None and abs(info.duration - 1.5) < 0.01


def test_unknown_file_token_is_404(client: TestClient) -> None:
    assert error_of(client.get("/files/nope/x.png"))[0] == 404


def test_reset_removes_uploaded_files(client: TestClient, emulator: Emulator) -> None:
    uploaded = resp(client.post(IMAGE, files={"image": ("a.png", png_bytes(2, 2))},
                                headers=auth()))
    stored = emulator.uploads.images[uploaded["img_id"]].file
    assert stored is not None
    path = emulator.files.path(stored.token, stored.name)
    assert path.read_bytes() == png_bytes(2, 2)
    client.post("/_emulator/reset")
    emulator.files.drain()  # files go on the remover thread: wait for it
    assert not path.exists()
    assert error_of(client.get(uploaded["img_url"]))[0] == 404


def test_control_plane_shows_owner_and_probe(client: TestClient) -> None:
    data = (FIXTURES / "sample.jpg").read_bytes()
    img_id = resp(client.post(IMAGE, files={"image": ("x", data)}, headers=auth()))["img_id"]
    detail = client.get(f"/_emulator/images/{img_id}").json()
    assert detail["team"] == "team-a" and detail["file"]["size"] == len(data)
    assert detail["probed"] == {"format": "jpeg", "width": 480, "height": 640}
    media = (FIXTURES / "sample.mp4").read_bytes()
    media_id = resp(client.post(MEDIA, files={"file": ("x", media)}, headers=auth()))["media_id"]
    probed = client.get(f"/_emulator/media/{media_id}").json()["probed"]
    assert (probed["kind"], probed["container"], probed["width"], probed["height"]) == (
        "video", "mp4", 320, 240)
    assert abs(probed["duration"] - 2.0) < 0.05
    assert error_of(client.get("/_emulator/images/1"))[0] == 404
    assert error_of(client.get("/_emulator/media/1"))[0] == 404


def test_extend_of_uploaded_video_uses_the_probed_size(client: TestClient, emulator: Emulator
                                                       ) -> None:
    media = (FIXTURES / "sample.mp4").read_bytes()
    media_id = resp(client.post(MEDIA, files={"file": ("x", media)}, headers=auth()))["media_id"]
    body = {"model": "pixverse-v6", "video_media_id": media_id, "prompt": "more",
            "duration": 3, "quality": "540p"}
    video_id = resp(client.post("/openapi/v2/video/extend/generate", json=body,
                                headers=auth()))["video_id"]
    emulator.advance(5)
    done = resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth()))
    assert (done["outputWidth"], done["outputHeight"]) == (320, 240)
    assert abs(client.get(f"/_emulator/tasks/{video_id}").json()["video"]["seconds"] - 5.0) < 0.05
