"""The README's compose stack with Redis and two replicas, without a Docker engine: a real
redis-server and two emulator processes started with the emulator service's environment
(Redis's address and the files volume replaced by the test's). An image uploaded through
one replica is used by a create on the other, and each serves the other's files."""

from __future__ import annotations

import re
from contextlib import ExitStack
from pathlib import Path

import httpx
from processes import ROOT, started
from redis_server import RedisServer
from support import png_bytes, text_body

README = (ROOT / "README.md").read_text()
SECTION = README.partition("\n## Several processes on one Redis\n")[2].partition("\n## ")[0]
KEY = {"Authorization": "Bearer compose-team"}


def service_environment(service: str) -> dict[str, str]:
    (block,) = re.findall(r"```yaml\n(.*?)```", SECTION, flags=re.S)
    body = re.search(rf"^  {service}:\n((?:    .*\n)*)", block, flags=re.M)
    assert body, service
    pairs = re.findall(r"^      (PIXVERSE_\w+): *(.*)$", body.group(1), flags=re.M)
    return {key: value.strip().strip("'\"") for key, value in pairs}


def test_two_replicas_with_the_compose_environment_act_as_one(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis").start()
    environment = service_environment("emulator")
    assert environment["PIXVERSE_EMULATOR_STORE"] == "redis://redis:6379/0"
    env = {**environment, "PIXVERSE_EMULATOR_STORE": server.url,
           "PIXVERSE_EMULATOR_DATA_DIR": str(tmp_path / "emulator-files"),
           "PIXVERSE_EMULATOR_CLOCK": "manual", "PIXVERSE_EMULATOR_QUIET": "true"}
    admin = {"Authorization": f"Bearer {environment['PIXVERSE_EMULATOR_ADMIN_TOKEN']}"}
    try:
        with ExitStack() as stack:
            first, second = (stack.enter_context(started(env=env))[1] for _ in range(2))
            files = {"image": ("a.png", png_bytes(64, 48), "image/png")}
            upload = httpx.post(f"{first}/openapi/v2/image/upload", files=files, headers=KEY)
            image = upload.json()["Resp"]
            created = httpx.post(f"{second}/openapi/v2/video/img/generate", headers=KEY,
                                 json={**text_body(), "img_id": image["img_id"]}).json()
            assert created["ErrCode"] == 0, created
            httpx.post(f"{second}/_emulator/clock/advance", headers=admin,
                       json={"seconds": 60}).raise_for_status()
            result = httpx.get(f"{first}/openapi/v2/video/result/"
                               f"{created['Resp']['video_id']}", headers=KEY).json()["Resp"]
            assert result["status"] == 1
            # URLs name the public address; each replica serves every file.
            for url, base in ((result["url"], second), (image["img_url"], second)):
                path = url.removeprefix(environment["PIXVERSE_EMULATOR_PUBLIC_URL"])
                fetched = httpx.get(base + path)
                assert fetched.status_code == 200 and len(fetched.content) > 0
            assert httpx.get(second + image["img_url"].removeprefix(
                environment["PIXVERSE_EMULATOR_PUBLIC_URL"])).content == files["image"][1]
    finally:
        server.stop()


def test_the_image_has_the_redis_client() -> None:
    """The compose service runs the image: without the extra, a replica would stop at
    start ("needs the Redis client")."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^RUN pip install '\.\[redis\]'", dockerfile, flags=re.M)
