"""The README's Docker service, without a Docker engine: the Dockerfile declares the data
folder for its non-root user, the compose example mounts a named volume there, and the
emulator started with that service's environment keeps its state across a restart."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

from processes import ROOT, served

README = (ROOT / "README.md").read_text()
SECTION = README.partition("\n## Docker\n")[2].partition("\n## ")[0]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def compose() -> str:
    (block,) = re.findall(r"```yaml\n(.*?)```", SECTION, flags=re.S)
    return str(block)


def service_environment(service: str) -> dict[str, str]:
    body = re.search(rf"^  {service}:\n((?:    .*\n)*)", compose(), flags=re.M)
    assert body, service
    pairs = re.findall(r"^      (PIXVERSE_\w+): *(.*)$", body.group(1), flags=re.M)
    return {key: value.strip().strip("'\"") for key, value in pairs}


def test_the_image_declares_the_data_folder_for_its_user() -> None:
    user = re.search(r"^USER (\w+)", DOCKERFILE, flags=re.M)
    assert user and user.group(1) != "root"
    assert re.search(r"^VOLUME /data$", DOCKERFILE, flags=re.M)
    assert f"chown {user.group(1)}:{user.group(1)} /data" in DOCKERFILE
    assert DOCKERFILE.index("VOLUME /data") < DOCKERFILE.index(f"USER {user.group(1)}")


def test_the_compose_example_mounts_a_named_volume_there() -> None:
    environment = service_environment("pixverse")
    assert environment["PIXVERSE_EMULATOR_DATA_DIR"] == "/data"
    assert "      - pixverse-data:/data\n" in compose()
    assert re.search(r"^volumes:\n  pixverse-data:", compose(), flags=re.M)


def test_the_service_environment_keeps_state_across_a_restart(tmp_path: Path) -> None:
    volume = tmp_path / "pixverse-data"
    env = {key: value.replace("/data", str(volume))
           for key, value in service_environment("pixverse").items()}
    body = json.dumps({"model": "pixverse-c1", "prompt": "a cube", "duration": 1,
                       "quality": "360p", "aspect_ratio": "16:9"}).encode()
    headers = {"Authorization": "Bearer compose-team"}
    with served(env=env) as (_, base):
        create = urllib.request.Request(f"{base}/openapi/v2/video/text/generate", data=body,
                                        headers=headers)
        with urllib.request.urlopen(create, timeout=10) as answer:
            video_id = json.load(answer)["Resp"]["video_id"]
    assert (volume / "state.db").is_file()
    with served(env=env) as (_, base):
        result = urllib.request.Request(f"{base}/openapi/v2/video/result/{video_id}",
                                        headers=headers)
        with urllib.request.urlopen(result, timeout=10) as answer:
            assert json.load(answer)["Resp"]["id"] == video_id
