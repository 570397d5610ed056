"""Whatever a client sends, the answer is an envelope; never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from support import auth, error_of, text_body

TEXT = "/openapi/v2/video/text/generate"


def test_unknown_route_is_404_envelope(client: TestClient) -> None:
    r = client.get("/openapi/v2/nope", headers=auth())
    assert error_of(r) == (404, 404001, "not_found")
    assert "/openapi/v2/nope" in r.json()["ErrMsg"]


def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    r = client.get(TEXT, headers=auth())
    assert error_of(r) == (405, 405001, "method_not_allowed")
    assert r.headers["allow"] == "POST"


def test_json_body_over_the_limit_is_413(client: TestClient) -> None:
    r = client.post(TEXT, content=b"{" + b" " * (1024 * 1024 + 1) + b"}",
                    headers={**auth(), "Content-Type": "application/json"})
    assert error_of(r) == (413, 413001, "payload_too_large")
    assert "json_body_limit" in r.json()["ErrMsg"]


def test_chunked_json_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(20):
            yield b" " * 65536

    r = client.post(TEXT, content=chunks(), headers={**auth(), "Content-Type": "application/json"})
    assert error_of(r)[0] == 413


def test_bad_content_length_is_400013(client: TestClient) -> None:
    r = client.post(TEXT, content=b"{}", headers={**auth(), "Content-Length": "abc"})
    assert error_of(r)[1] == 400013


@pytest.mark.parametrize(
    "body",
    [{"image_references": "x"}, {"duration": 10**30}, {"prompt": "\u0000" * 10},
     {"seed": 1e308}, {"aspect_ratio": ["16:9"]}],
    ids=["refs-string", "huge-int", "nul-prompt", "huge-float", "list-ratio"],
)
def test_odd_values_never_500(client: TestClient, body: dict[str, Any]) -> None:
    r = client.post(TEXT, json=text_body(**body), headers=auth())
    assert r.status_code < 500
    assert "ErrCode" in r.json()
