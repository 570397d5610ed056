"""The request rules table, through HTTP: every rule, a passing and a failing value."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from support import auth, error_of, resp, text_body

TEXT = "/openapi/v2/video/text/generate"

INVALID_FIELD = [
    ("duration-zero", {"duration": 0}),
    ("duration-16", {"duration": 16}),
    ("duration-string", {"duration": "5"}),
    ("duration-float", {"duration": 5.0}),
    ("duration-bool", {"duration": True}),
    ("duration-missing", {"duration": ...}),
    ("quality-unknown", {"quality": "480p"}),
    ("quality-missing", {"quality": ...}),
    ("ratio-missing", {"aspect_ratio": ...}),
    ("ratio-unknown", {"aspect_ratio": "5:4"}),
    ("motion-unknown", {"motion_mode": "slow"}),
    ("prompt-missing", {"prompt": ...}),
    ("prompt-empty", {"prompt": ""}),
    ("prompt-5001", {"prompt": "x" * 5001}),
    ("prompt-number", {"prompt": 5}),
    ("negative-2049", {"negative_prompt": "x" * 2049}),
    ("seed-negative", {"seed": -1}),
    ("seed-too-big", {"seed": 2147483648}),
    ("seed-string", {"seed": "1"}),
    ("style-unknown", {"style": "noir"}),
    ("audio-string", {"generate_audio_switch": "false"}),
    ("audio-int", {"generate_audio_switch": 0}),
    ("model-number", {"model": 6}),
]


@pytest.mark.parametrize(
    "change", [c for _, c in INVALID_FIELD], ids=[i for i, _ in INVALID_FIELD]
)
def test_invalid_field_is_400013_naming_it(client: TestClient, change: dict[str, Any]) -> None:
    r = client.post(TEXT, json=text_body(**change), headers=auth())
    assert error_of(r) == (400, 400013, "invalid_field")
    (field,) = change
    assert field in r.json()["ErrMsg"]


VALID = [
    ("duration-1", {"duration": 1}),
    ("duration-15", {"duration": 15}),
    ("prompt-5000", {"prompt": "x" * 5000}),
    ("negative-2048", {"negative_prompt": "x" * 2048}),
    ("seed-0", {"seed": 0}),
    ("seed-max", {"seed": 2147483647}),
    ("v6-21-9", {"model": "pixverse-v6", "aspect_ratio": "21:9"}),
    ("motion-normal", {"motion_mode": "normal"}),
    ("unknown-field-ignored", {"camera_movement": "zoom_in", "thinking_type": "auto"}),
    ("nulls-for-optionals", {"seed": None, "style": None, "negative_prompt": None}),
]


@pytest.mark.parametrize("change", [c for _, c in VALID], ids=[i for i, _ in VALID])
def test_valid_values_are_accepted(client: TestClient, change: dict[str, Any]) -> None:
    resp(client.post(TEXT, json=text_body(**change), headers=auth()))


@pytest.mark.parametrize("style", ["anime", "3d_animation", "clay", "comic", "cyberpunk",
                                   "realistic"])
def test_every_style(client: TestClient, style: str) -> None:
    resp(client.post(TEXT, json=text_body(style=style), headers=auth()))


@pytest.mark.parametrize("model", ["v6", "pixverse-v5", "gpt-4o", ""])
def test_unknown_model_is_400001(client: TestClient, model: str) -> None:
    r = client.post(TEXT, json=text_body(model=model), headers=auth())
    assert error_of(r) == (400, 400001, "unsupported_model")
    assert "pixverse-c1" in r.json()["ErrMsg"]


@pytest.mark.parametrize(
    "change",
    [
        {"model": "pixverse-c1", "motion_mode": "fast"},
        {"model": "pixverse-v6", "motion_mode": "fast"},
        {"model": "pixverse-c1", "aspect_ratio": "21:9"},
    ],
    ids=["c1-fast", "v6-fast", "c1-21-9"],
)
def test_value_the_model_does_not_support_is_400017(
    client: TestClient, change: dict[str, Any]
) -> None:
    r = client.post(TEXT, json=text_body(**change), headers=auth())
    assert error_of(r) == (400, 400017, "invalid_parameter")
    assert change["model"] in r.json()["ErrMsg"]


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/openapi/v2/video/transition/generate", {"first_frame_img": 1, "last_frame_img": 2}),
        ("/openapi/v2/video/extend/generate", {"source_video_id": 1}),
    ],
    ids=["transition", "extend"],
)
def test_short_prompt_routes_cap_at_2048(client: TestClient, path: str, extra: dict[str, Any]
                                         ) -> None:
    r = client.post(path, json=text_body(prompt="x" * 2049, **extra), headers=auth())
    assert error_of(r)[1] == 400013
    assert "prompt" in r.json()["ErrMsg"]


def test_fusion_requires_aspect_ratio(client: TestClient) -> None:
    body = text_body(aspect_ratio=..., prompt="@a",
                     image_references=[{"type": "subject", "img_id": 1, "ref_name": "a"}])
    r = client.post("/openapi/v2/video/fusion/generate", json=body, headers=auth())
    assert error_of(r)[1] == 400013
    assert "aspect_ratio" in r.json()["ErrMsg"]


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b"null", b"\"text\"", b"{\"model\": \"pixverse-c1\"", b""],
    ids=["broken", "array", "null", "string", "truncated", "empty"],
)
def test_bodies_that_are_not_objects_are_400013(client: TestClient, body: bytes) -> None:
    r = client.post(TEXT, content=body, headers={**auth(), "Content-Type": "application/json"})
    assert error_of(r) == (400, 400013, "invalid_field")


def test_body_without_content_type_is_still_json(client: TestClient) -> None:
    import json

    resp(client.post(TEXT, content=json.dumps(text_body()).encode(), headers=auth()))
