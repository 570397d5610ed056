"""Quality sets the long edge; the short edge follows the aspect ratio, rounded to even."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from support import auth, resp, text_body

from pixverse_emulator import Emulator

LONG = {"360p": 640, "540p": 1024, "720p": 1280, "1080p": 1920}
RATIOS = ["16:9", "4:3", "1:1", "3:4", "9:16", "2:3", "3:2", "21:9"]


@pytest.mark.parametrize("quality", list(LONG))
@pytest.mark.parametrize("ratio", RATIOS)
def test_output_size(client: TestClient, emulator: Emulator, quality: str, ratio: str) -> None:
    body = text_body(model="pixverse-v6", quality=quality, aspect_ratio=ratio)
    video_id = resp(client.post("/openapi/v2/video/text/generate", json=body,
                                headers=auth()))["video_id"]
    emulator.advance(5)
    done = resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth()))
    w, h = (int(x) for x in ratio.split(":"))
    long_edge = LONG[quality]
    assert max(done["outputWidth"], done["outputHeight"]) == long_edge
    short = min(done["outputWidth"], done["outputHeight"])
    assert short % 2 == 0
    assert abs(short - long_edge * min(w, h) / max(w, h)) <= 1
    assert (done["outputWidth"] >= done["outputHeight"]) == (w >= h)
    assert done["resolution_ratio"] == int(quality[:-1])
