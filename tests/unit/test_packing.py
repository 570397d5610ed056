"""A task's request kept packed reads back as the dict `model_dump` gave: same keys,
same order, same values, for every create and edit shape (flat ones are packed without
the dump, nested ones through it)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from pixverse_emulator.domain import schemas
from pixverse_emulator.domain.packing import pack, pack_model, shared, unpack

PROMPT = "A small blue cube rotating on a white desk, clean studio lighting"
BODIES: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (schemas.TextCreate, {"model": "pixverse-c1", "prompt": PROMPT, "duration": 1,
                          "quality": "360p", "aspect_ratio": "16:9",
                          "generate_audio_switch": False}),
    (schemas.TextCreate, {"aspect_ratio": "9:16", "seed": 12, "negative_prompt": "",
                          "quality": "540p", "duration": 5, "prompt": "p",
                          "model": "pixverse-v6", "style": "anime", "ignored": [1]}),
    (schemas.ImageCreate, {"model": "pixverse-c1", "prompt": "p", "img_id": 7,
                           "duration": 5, "quality": "720p", "aspect_ratio": None}),
    (schemas.FusionCreate, {"model": "pixverse-c1", "prompt": "@a and @b", "duration": 5,
                            "quality": "540p", "aspect_ratio": "1:1",
                            "image_references": [{"img_id": 1, "ref_name": "a"},
                                                 {"type": "background", "img_id": 2,
                                                  "ref_name": "b"}]}),
    (schemas.ModifyCreate, {"source_video_id": 3, "prompt": "p", "img_ids": [4, 5],
                            "quality": "360p"}),
    (schemas.MultiTransitionCreate, {"model": "v5", "quality": "360p",
                                     "multi_transition": [{"img_id": 1, "duration": 2},
                                                          {"img_id": 2, "prompt": "q"}]}),
]


@pytest.mark.parametrize(("model", "body"), BODIES,
                         ids=[f"{m.__name__}-{i}" for i, (m, _) in enumerate(BODIES)])
def test_a_packed_request_reads_back_as_its_dump(model: type[BaseModel],
                                                 body: dict[str, Any]) -> None:
    request = model.model_validate(body)
    dumped = request.model_dump(mode="json", exclude_unset=True)
    for packed in (pack_model(request), pack(dumped)):
        assert list(unpack(packed).items()) == list(dumped.items())


def test_requests_alike_share_their_keys_and_strings() -> None:
    body = BODIES[0][1]
    first, second = (pack_model(schemas.TextCreate.model_validate(dict(body)))
                     for _ in range(2))
    assert first == second
    assert all(a is b for a, b in zip(first, second, strict=True))


def test_each_read_is_a_new_dict() -> None:
    packed = pack({"prompt": "p"})
    unpack(packed)["prompt"] = "changed"
    assert unpack(packed) == {"prompt": "p"}


def test_only_strings_short_enough_are_shared() -> None:
    long = "x" * 513
    assert shared(long) is long
    assert shared("".join(["pixverse", "-c1"])) is shared("pixverse-c1")
    assert shared(5) == 5
