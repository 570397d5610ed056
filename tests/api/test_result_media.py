"""Every finished task's file, fetched over HTTP and opened with PyAV (FFmpeg's decoders).

Each result's `url` must serve an MP4 whose H.264 picture has the result's
`outputWidth` x `outputHeight`, which lasts the requested `duration` (for an extend:
the source's length plus the extension), which has an AAC track exactly when
`has_audio` (= the `generate_audio_switch` sent) is true, and whose byte count is the
result's `size`. Covered for text, image, transition, fusion and extend tasks.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import FIXTURES, auth, png_bytes, resp, text_body

from pixverse_emulator import Emulator

av = pytest.importorskip("av", reason="PyAV (test extra) decodes the generated videos")

V2 = "/openapi/v2"
QUALITIES = ["360p", "540p", "720p", "1080p"]
LONG_EDGE = {"360p": 640, "540p": 1024, "720p": 1280, "1080p": 1920}
RATIOS = ["16:9", "4:3", "1:1", "3:4", "9:16", "2:3", "3:2", "21:9"]
AUDIO = [False, True]
DURATION_TOLERANCE = 0.1  # seconds

SAMPLE_MP4 = FIXTURES / "sample.mp4"
SAMPLE_SIZE = (320, 240)
SAMPLE_SECONDS = 2.0


# -- expectations --------------------------------------------------------------------------


def expected_size(quality: str, ratio: str) -> tuple[int, int]:
    """README: the long edge from quality, the short edge from the ratio, rounded to even."""
    across, down = (int(part) for part in ratio.split(":"))
    long_edge = LONG_EDGE[quality]
    short_edge = 2 * int(long_edge * min(across, down) / max(across, down) / 2 + 0.5)
    return (long_edge, short_edge) if across >= down else (short_edge, long_edge)


def audio_id(audio: bool) -> str:
    return "audio" if audio else "mute"


def ratio_id(ratio: str | None) -> str:
    return "image-ratio" if ratio is None else ratio.replace(":", "x")


# -- requests --------------------------------------------------------------------------------


def v6_body(**fields: Any) -> dict[str, Any]:
    """A pixverse-v6 create body; `aspect_ratio` only when given (`...` or None drops it)."""
    fields.setdefault("aspect_ratio", ...)
    if fields["aspect_ratio"] is None:
        fields["aspect_ratio"] = ...
    return text_body(model="pixverse-v6", **fields)


def upload_png(client: TestClient, width: int, height: int) -> int:
    files = {"image": ("frame.png", png_bytes(width, height), "image/png")}
    img_id: int = resp(client.post(f"{V2}/image/upload", files=files, headers=auth()))["img_id"]
    return img_id


def upload_sample_mp4(client: TestClient) -> int:
    files = {"file": ("sample.mp4", SAMPLE_MP4.read_bytes(), "video/mp4")}
    uploaded = resp(client.post(f"{V2}/media/upload", files=files, headers=auth()))
    assert uploaded["media_type"] == "video"
    media_id: int = uploaded["media_id"]
    return media_id


def finished(client: TestClient, emulator: Emulator, route: str, body: dict[str, Any]
             ) -> dict[str, Any]:
    """Create on `route` (text, img, ...), let it run out, and return the status-1 Resp."""
    video_id = resp(client.post(f"{V2}/video/{route}/generate", json=body,
                                headers=auth()))["video_id"]
    emulator.advance(60)
    done = resp(client.get(f"{V2}/video/result/{video_id}", headers=auth()))
    assert done["status"] == 1, done
    return done


def download(client: TestClient, done: dict[str, Any]) -> bytes:
    """The file at the result's URL (no key, like a CDN link), checked against `size`."""
    response = client.get(done["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    data: bytes = response.content
    assert len(data) == done["size"]
    return data


# -- inspection ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """What FFmpeg sees in a file: streams, sizes, durations and the first decoded frame."""

    video_codec: str
    stream_size: tuple[int, int]
    frame_size: tuple[int, int]
    container_seconds: float
    video_seconds: float
    audio_codecs: tuple[str, ...]
    audio_seconds: float | None


def stream_seconds(stream: Any) -> float:
    return float(stream.duration * stream.time_base)


def probe(data: bytes) -> Probe:
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        audio = list(container.streams.audio)
        assert container.duration is not None
        stream_size = (video.codec_context.width, video.codec_context.height)
        video_codec = video.codec_context.name
        video_seconds = stream_seconds(video)
        container_seconds = container.duration / 1e6
        first = next(container.decode(video=0))
        return Probe(
            video_codec=video_codec,
            stream_size=stream_size,
            frame_size=(first.width, first.height),
            container_seconds=container_seconds,
            video_seconds=video_seconds,
            audio_codecs=tuple(stream.codec_context.name for stream in audio),
            audio_seconds=stream_seconds(audio[0]) if audio else None,
        )


def assert_result_file(client: TestClient, done: dict[str, Any], seconds: float, audio: bool
                       ) -> Probe:
    """The downloaded file is what the result says it is, and lasts `seconds`."""
    assert done["has_audio"] is audio
    info = probe(download(client, done))
    assert info.video_codec == "h264"
    assert info.frame_size == (done["outputWidth"], done["outputHeight"])
    assert info.stream_size == info.frame_size
    assert info.container_seconds == pytest.approx(seconds, abs=DURATION_TOLERANCE)
    assert info.video_seconds == pytest.approx(seconds, abs=DURATION_TOLERANCE)
    if audio:
        assert info.audio_codecs == ("aac",)
        assert info.audio_seconds == pytest.approx(seconds, abs=DURATION_TOLERANCE)
    else:
        assert info.audio_codecs == ()
    return info


# -- text to video ----------------------------------------------------------------------------

TEXT_GRID = [(q, r, a) for q in QUALITIES for r in RATIOS for a in AUDIO]


@pytest.mark.parametrize(
    ("quality", "ratio", "audio"),
    TEXT_GRID,
    ids=[f"{q}-{ratio_id(r)}-{audio_id(a)}" for q, r, a in TEXT_GRID],
)
def test_text_to_video_file_for_every_quality_ratio_and_audio(
    client: TestClient, emulator: Emulator, quality: str, ratio: str, audio: bool
) -> None:
    body = v6_body(quality=quality, aspect_ratio=ratio, generate_audio_switch=audio)
    done = finished(client, emulator, "text", body)
    assert (done["outputWidth"], done["outputHeight"]) == expected_size(quality, ratio)
    assert_result_file(client, done, 1.0, audio)


TEXT_DURATIONS = [
    ("pixverse-v6", "1080p", "16:9", 15, True),
    ("pixverse-v6", "1080p", "9:16", 5, False),
    ("pixverse-v6", "360p", "21:9", 15, False),
    ("pixverse-v6", "720p", "1:1", 5, True),
    ("pixverse-c1", "540p", "4:3", 5, True),
    ("pixverse-c1", "360p", "2:3", 15, False),
]


@pytest.mark.parametrize(
    ("model", "quality", "ratio", "duration", "audio"),
    TEXT_DURATIONS,
    ids=[f"{m[9:]}-{q}-{ratio_id(r)}-{d}s-{audio_id(a)}" for m, q, r, d, a in TEXT_DURATIONS],
)
def test_text_to_video_file_lasts_the_requested_duration(
    client: TestClient, emulator: Emulator, model: str, quality: str, ratio: str,
    duration: int, audio: bool,
) -> None:
    body = text_body(model=model, quality=quality, aspect_ratio=ratio, duration=duration,
                     generate_audio_switch=audio)
    done = finished(client, emulator, "text", body)
    assert (done["outputWidth"], done["outputHeight"]) == expected_size(quality, ratio)
    assert_result_file(client, done, float(duration), audio)


# -- image to video and transition ------------------------------------------------------------

# (uploaded image width x height, aspect_ratio sent or None, quality, the ratio the output has)
PICTURE_CASES = [
    ((64, 36), None, "360p", "16:9"),
    ((36, 64), None, "720p", "9:16"),
    ((40, 30), None, "540p", "4:3"),
    ((64, 36), "1:1", "540p", "1:1"),
    ((36, 64), "21:9", "1080p", "21:9"),
]
PICTURE_GRID = [(*case, a) for case in PICTURE_CASES for a in AUDIO]
PICTURE_IDS = [
    f"{w}x{h}-{ratio_id(sent)}-{q}-{audio_id(a)}" for (w, h), sent, q, _, a in PICTURE_GRID
]


@pytest.mark.parametrize(("image", "sent_ratio", "quality", "output_ratio", "audio"),
                         PICTURE_GRID, ids=PICTURE_IDS)
def test_image_to_video_file(
    client: TestClient, emulator: Emulator, image: tuple[int, int], sent_ratio: str | None,
    quality: str, output_ratio: str, audio: bool,
) -> None:
    img_id = upload_png(client, *image)
    body = v6_body(img_id=img_id, aspect_ratio=sent_ratio, quality=quality, duration=2,
                   generate_audio_switch=audio)
    done = finished(client, emulator, "img", body)
    assert (done["outputWidth"], done["outputHeight"]) == expected_size(quality, output_ratio)
    assert_result_file(client, done, 2.0, audio)


@pytest.mark.parametrize(("first_frame", "sent_ratio", "quality", "output_ratio", "audio"),
                         PICTURE_GRID, ids=PICTURE_IDS)
def test_transition_file(
    client: TestClient, emulator: Emulator, first_frame: tuple[int, int],
    sent_ratio: str | None, quality: str, output_ratio: str, audio: bool,
) -> None:
    first = upload_png(client, *first_frame)
    last = upload_png(client, 50, 50)  # a different shape: the first frame decides
    body = v6_body(first_frame_img=first, last_frame_img=last, aspect_ratio=sent_ratio,
                   quality=quality, duration=3, generate_audio_switch=audio)
    done = finished(client, emulator, "transition", body)
    assert (done["outputWidth"], done["outputHeight"]) == expected_size(quality, output_ratio)
    assert_result_file(client, done, 3.0, audio)


# -- fusion -------------------------------------------------------------------------------------

FUSION_CASES = [("360p", "4:3", 1), ("720p", "9:16", 5), ("1080p", "3:2", 2)]
FUSION_GRID = [(*case, a) for case in FUSION_CASES for a in AUDIO]


@pytest.mark.parametrize(
    ("quality", "ratio", "duration", "audio"),
    FUSION_GRID,
    ids=[f"{q}-{ratio_id(r)}-{d}s-{audio_id(a)}" for q, r, d, a in FUSION_GRID],
)
def test_fusion_file(
    client: TestClient, emulator: Emulator, quality: str, ratio: str, duration: int,
    audio: bool,
) -> None:
    product, studio = upload_png(client, 36, 64), upload_png(client, 64, 36)
    references = [{"type": "subject", "img_id": product, "ref_name": "product"},
                  {"type": "background", "img_id": studio, "ref_name": "studio"}]
    body = v6_body(prompt="Place @product on @studio", image_references=references,
                   aspect_ratio=ratio, quality=quality, duration=duration,
                   generate_audio_switch=audio)
    done = finished(client, emulator, "fusion", body)
    assert (done["outputWidth"], done["outputHeight"]) == expected_size(quality, ratio)
    assert_result_file(client, done, float(duration), audio)


# -- extend -------------------------------------------------------------------------------------

# source (quality, ratio, duration, audio), then the extension's (quality, duration)
EXTEND_CASES = [
    (("540p", "9:16", 1, False), ("540p", 3)),
    (("1080p", "21:9", 5, True), ("360p", 2)),
    (("360p", "4:3", 15, False), ("720p", 15)),
]
EXTEND_GRID = [(*case, a) for case in EXTEND_CASES for a in AUDIO]


@pytest.mark.parametrize(
    ("source", "extension", "audio"),
    EXTEND_GRID,
    ids=[f"{s[0]}-{ratio_id(s[1])}-{s[2]}s-plus-{e[1]}s-{audio_id(a)}"
         for s, e, a in EXTEND_GRID],
)
def test_extend_of_a_finished_video_keeps_its_size_and_adds_the_duration(
    client: TestClient, emulator: Emulator, source: tuple[str, str, int, bool],
    extension: tuple[str, int], audio: bool,
) -> None:
    quality, ratio, seconds, source_audio = source
    original = finished(client, emulator, "text", v6_body(
        quality=quality, aspect_ratio=ratio, duration=seconds,
        generate_audio_switch=source_audio))
    assert_result_file(client, original, float(seconds), source_audio)

    extend_quality, extend_seconds = extension
    done = finished(client, emulator, "extend", v6_body(
        source_video_id=original["id"], quality=extend_quality, duration=extend_seconds,
        generate_audio_switch=audio))
    assert (done["outputWidth"], done["outputHeight"]) == (
        original["outputWidth"], original["outputHeight"])
    assert_result_file(client, done, float(seconds + extend_seconds), audio)


def test_sample_mp4_fixture_is_what_the_extend_tests_assume() -> None:
    info = probe(SAMPLE_MP4.read_bytes())
    assert info.frame_size == SAMPLE_SIZE
    assert info.container_seconds == pytest.approx(SAMPLE_SECONDS, abs=0.01)


EXTEND_UPLOAD_GRID = [(q, d, a) for q, d in [("360p", 1), ("1080p", 5)] for a in AUDIO]


@pytest.mark.parametrize(
    ("quality", "duration", "audio"),
    EXTEND_UPLOAD_GRID,
    ids=[f"{q}-plus-{d}s-{audio_id(a)}" for q, d, a in EXTEND_UPLOAD_GRID],
)
def test_extend_of_an_uploaded_video_keeps_its_size_and_adds_the_duration(
    client: TestClient, emulator: Emulator, quality: str, duration: int, audio: bool
) -> None:
    media_id = upload_sample_mp4(client)
    done = finished(client, emulator, "extend", v6_body(
        video_media_id=media_id, quality=quality, duration=duration,
        generate_audio_switch=audio))
    assert (done["outputWidth"], done["outputHeight"]) == SAMPLE_SIZE
    assert_result_file(client, done, SAMPLE_SECONDS + duration, audio)


# -- seeds ----------------------------------------------------------------------------------------


def seeded_file(client: TestClient, emulator: Emulator, seed: int, **fields: Any) -> bytes:
    done = finished(client, emulator, "text", v6_body(
        aspect_ratio="16:9", quality="540p", duration=2, seed=seed, **fields))
    assert done["seed"] == seed
    return download(client, done)


@pytest.mark.parametrize("audio", AUDIO, ids=audio_id)
def test_same_request_and_seed_give_byte_identical_files(
    client: TestClient, emulator: Emulator, audio: bool
) -> None:
    first = seeded_file(client, emulator, 4242, generate_audio_switch=audio)
    second = seeded_file(client, emulator, 4242, generate_audio_switch=audio)
    assert first == second


@pytest.mark.parametrize("audio", AUDIO, ids=audio_id)
def test_different_seeds_give_different_files(
    client: TestClient, emulator: Emulator, audio: bool
) -> None:
    first = seeded_file(client, emulator, 4242, generate_audio_switch=audio)
    second = seeded_file(client, emulator, 4243, generate_audio_switch=audio)
    assert first != second
    for data in (first, second):  # both still valid files of the same shape
        info = probe(data)
        assert info.frame_size == (1024, 576)
        assert info.container_seconds == pytest.approx(2.0, abs=DURATION_TOLERANCE)
