"""Downloads behave like a CDN: length, ETag, conditional GET, byte ranges."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from support import FIXTURES, auth, error_of, resp, text_body

from pixverse_emulator import Emulator
from pixverse_emulator.errors import RangeNotSatisfiable
from pixverse_emulator.http.downloads import byte_range

SAMPLE = (FIXTURES / "sample.png").read_bytes()


@pytest.fixture(params=["upload", "result"])
def served(request: pytest.FixtureRequest, client: TestClient, emulator: Emulator
           ) -> tuple[str, bytes]:
    """A URL and the bytes it must serve: an uploaded file, or a rendered result."""
    if request.param == "upload":
        files = {"image": ("a.png", SAMPLE, "image/png")}
        url = resp(client.post("/openapi/v2/image/upload", files=files, headers=auth()))["img_url"]
        return url, SAMPLE
    video_id = resp(client.post("/openapi/v2/video/text/generate", json=text_body(),
                                headers=auth()))["video_id"]
    emulator.advance(5)
    url = resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth()))["url"]
    return url, client.get(url).content


def test_full_download_has_length_etag_and_accepts_ranges(
    client: TestClient, served: tuple[str, bytes]
) -> None:
    url, data = served
    r = client.get(url)
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-length"] == str(len(data))
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["etag"].startswith('"') and r.headers["etag"].endswith('"')


def test_head_has_headers_and_no_body(client: TestClient, served: tuple[str, bytes]) -> None:
    url, data = served
    r = client.head(url)
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-length"] == str(len(data))


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-9", 0, 9), ("bytes=10-", 10, None), ("bytes=-7", -7, None),
     ("bytes=5-999999999", 5, None), ("bytes=0-0", 0, 0)],
    ids=["first-ten", "open-ended", "suffix", "past-the-end-is-clamped", "one-byte"],
)
def test_single_range_is_206(client: TestClient, served: tuple[str, bytes], header: str,
                             start: int, end: int | None) -> None:
    url, data = served
    expected = data[start:] if end is None else data[start : end + 1]
    r = client.get(url, headers={"Range": header})
    assert r.status_code == 206 and r.content == expected
    first = start % len(data)
    assert r.headers["content-range"] == f"bytes {first}-{first + len(expected) - 1}/{len(data)}"
    assert r.headers["content-length"] == str(len(expected))


@pytest.mark.parametrize("header", ["bytes=999999999-", "bytes=-0"], ids=["past-end", "empty"])
def test_unsatisfiable_range_is_416_envelope(client: TestClient, served: tuple[str, bytes],
                                             header: str) -> None:
    url, data = served
    r = client.get(url, headers={"Range": header})
    assert error_of(r) == (416, 416001, "range_not_satisfiable")
    assert r.headers["content-range"] == f"bytes */{len(data)}"


@pytest.mark.parametrize("header", ["bytes=0-1,4-5", "items=0-5", "bytes=9-3", "bytes=x-y"],
                         ids=["multi", "other-unit", "reversed", "garbage"])
def test_ranges_we_do_not_serve_get_the_whole_file(
    client: TestClient, served: tuple[str, bytes], header: str
) -> None:
    url, data = served
    r = client.get(url, headers={"Range": header})
    assert r.status_code == 200 and r.content == data


def test_conditional_requests(client: TestClient, served: tuple[str, bytes]) -> None:
    url, data = served
    etag = client.get(url).headers["etag"]
    r = client.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b""
    r = client.get(url, headers={"Range": "bytes=0-3", "If-Range": etag})
    assert r.status_code == 206 and r.content == data[:4]
    r = client.get(url, headers={"Range": "bytes=0-3", "If-Range": '"stale"'})
    assert r.status_code == 200 and r.content == data


def test_unknown_token_is_404_envelope(client: TestClient) -> None:
    assert error_of(client.get("/files/not-a-token/video.mp4")) == (404, 404001, "not_found")


def test_range_parser_edges() -> None:
    assert byte_range(None, 10) is None
    assert byte_range("bytes=-20", 10) == (0, 9)
    assert byte_range("bytes = 2 - 3", 10) == (2, 3)
    with pytest.raises(RangeNotSatisfiable):
        byte_range("bytes=0-", 0)
    with pytest.raises(RangeNotSatisfiable):
        byte_range("bytes=10-", 10)
