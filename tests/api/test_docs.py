"""The API docs work offline: /docs and /redoc load nothing from outside the emulator."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(https?:)?//""", re.I)
ASSETS = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_reference_no_outside_host(client: TestClient, page: str) -> None:
    answer = client.get(page)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert not EXTERNAL.search(answer.text), EXTERNAL.findall(answer.text)
    assert "fonts.googleapis" not in answer.text and "cdn.jsdelivr" not in answer.text
    assets = ASSETS.findall(answer.text)
    assert assets and all(a.startswith("/_emulator/static/") for a in assets), assets
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 500, asset


def test_the_docs_read_the_emulators_own_openapi(client: TestClient) -> None:
    assert "/openapi.json" in client.get("/docs").text
    assert client.get("/openapi.json").json()["info"]["title"] == "pixverse-emulator"


def test_the_vendored_assets_come_with_their_licences(client: TestClient) -> None:
    for name in ("swagger-ui.LICENSE", "redoc.LICENSE", "htmx.LICENSE", "VENDORED.md"):
        assert client.get(f"/_emulator/static/vendor/{name}").status_code == 200, name
