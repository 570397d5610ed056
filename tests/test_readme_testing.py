"""README, "Testing your client": every Python example runs as a client's test suite
would run it (the plugin loaded by its entry point), and the Compose service starts
the way its environment and healthcheck say."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pixverse_emulator.pytest_plugin import PixverseEmulator

pytest_plugins = ["pytester"]


pytestmark = pytest.mark.usefixtures("outside_xdist")

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
TITLE = "## Testing your client"
SECTION = README.partition(TITLE)[2].partition("\n## ")[0]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", SECTION, flags=re.S)


def example_projects() -> list[dict[str, str]]:
    """Each example is a file named by its first line (`# test_x.py`); a `conftest.py`
    example belongs with the example that follows it."""
    projects: list[dict[str, str]] = []
    files: dict[str, str] = {}
    for block in blocks("python"):
        name = block.splitlines()[0].removeprefix("# ").strip()
        files[name] = block
        if name != "conftest.py":
            projects.append(files)
            files = {}
    assert not files, "a conftest.py example with no test example after it"
    return projects


PROJECTS = example_projects()


def test_the_section_sits_before_docker() -> None:
    assert SECTION.strip()
    assert README.index(TITLE) < README.index("## Docker")
    assert README.index(TITLE) + len(TITLE) + len(SECTION) == README.index("\n## Docker")


def test_the_section_shows_every_kind_of_client() -> None:
    every = "".join("".join(project.values()) for project in PROJECTS)
    assert "httpx.Client(base_url=emu.base_url" in every
    assert "httpx.AsyncClient(transport=transport" in every
    assert "httpx.ASGITransport(app=emu.app)" in every
    assert "subprocess.run([sys.executable" in every and "PIXVERSE_BASE_URL" in every
    assert "@pytest.mark.pixverse_emulator(" in every
    assert "def pixverse_emulator_settings" in every


def test_the_section_documents_the_whole_handle() -> None:
    public = [name for name in vars(PixverseEmulator) if not name.startswith("_")]
    for name in public:
        assert f"`{name}(" in SECTION, name
    for attribute in ("base_url", "api_key", "team_id", "headers", "app", "emulator"):
        assert f"`{attribute}`" in SECTION, attribute
    for term in ("pixverse_emulator_app", "pixverse_emulator_settings", "--pixverse-coverage",
                 "pytest -n", "pytest11"):
        assert term in SECTION, term


@pytest.mark.parametrize(
    "files", PROJECTS, ids=[next(reversed(project)) for project in PROJECTS]
)
def test_python_example_passes(pytester: pytest.Pytester, files: dict[str, str]) -> None:
    for name, source in files.items():
        (pytester.path / name).write_text(source)
    tests = sum(len(re.findall(r"^(?:async )?def test_", s, flags=re.M)) for s in files.values())
    assert tests > 0
    # A process of its own, as a user's run: the examples' module names are theirs to
    # choose, and this run's own test modules are already imported in this one.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 0, "\n".join(result.outlines[-80:] + result.errlines[-40:])
    result.assert_outcomes(passed=tests)


# -- the Compose service, without a Docker engine ---------------------------------------


def compose_environment(service: str) -> dict[str, str]:
    """The `KEY: value` lines under `service:` -> `environment:` (plain lines only)."""
    (compose,) = blocks("yaml")
    body = re.search(rf"^  {service}:\n((?:    .*\n|\n)*)", compose, flags=re.M)
    assert body, f"no service {service!r}"
    environment = re.search(r"^    environment:\n((?:      .*\n)*)", body.group(1), flags=re.M)
    assert environment, f"service {service!r} has no environment"
    pairs = re.findall(r"^      (\w+): *(.*)$", environment.group(1), flags=re.M)
    return {key: value.strip().strip("'\"") for key, value in pairs}


def dockerfile_healthcheck() -> str:
    dockerfile = (ROOT / "Dockerfile").read_text()
    found = re.search(r'CMD python -c "(.*)"\n', dockerfile)
    assert found, "the Dockerfile's HEALTHCHECK is no longer a python one-liner"
    return found.group(1)


@pytest.fixture
def compose_emulator(tmp_path: Path) -> Iterator[str]:
    """`python -m pixverse_emulator` with the emulator service's environment; its base URL once
    uvicorn says it is listening (an event, not a sleep)."""
    env = {**os.environ, **compose_environment("emulator"),
           "PIXVERSE_EMULATOR_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "pixverse_emulator", "--host", "127.0.0.1", "--port", "0"]
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stderr is not None
            for line in process.stderr:
                found = re.search(r"running on (http://\S+)", line)
                if found:
                    yield found.group(1)
                    break
            else:
                pytest.fail("the emulator exited before it was ready")
        finally:
            process.terminate()


def test_compose_services_are_wired_together() -> None:
    (compose,) = blocks("yaml")
    emulator = compose_environment("emulator")
    assert emulator["PIXVERSE_EMULATOR_CLOCK"] == "manual"
    assert compose_environment("app")["PIXVERSE_BASE_URL"] == "http://emulator:8080"
    assert "build: ." in compose
    assert "emulator: {condition: service_healthy}" in compose
    assert dockerfile_healthcheck() in compose  # the image's own healthcheck


def test_compose_emulator_starts_healthy_with_its_environment(compose_emulator: str) -> None:
    check = dockerfile_healthcheck().replace("http://127.0.0.1:8080", compose_emulator)
    health = subprocess.run([sys.executable, "-c", check], capture_output=True, timeout=60)
    assert health.returncode == 0, health.stderr
    token = compose_environment("app")["PIXVERSE_ADMIN_TOKEN"]
    assert token == compose_environment("emulator")["PIXVERSE_EMULATOR_ADMIN_TOKEN"]
    admin = {"Authorization": f"Bearer {token}"}
    locked = urllib.request.Request(f"{compose_emulator}/_emulator/clock")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(locked, timeout=10)
    assert refused.value.code == 401
    refused.value.close()
    clock = urllib.request.Request(f"{compose_emulator}/_emulator/clock", headers=admin)
    with urllib.request.urlopen(clock, timeout=10) as answer:
        assert json.load(answer)["mode"] == "manual"
    create = urllib.request.Request(
        f"{compose_emulator}/openapi/v2/video/text/generate",
        data=json.dumps({"model": "pixverse-c1", "prompt": "a cube", "duration": 1,
                         "quality": "360p", "aspect_ratio": "16:9"}).encode(),
        headers={"Authorization": "Bearer ci-team", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(create, timeout=10) as answer:
        video_id = json.load(answer)["Resp"]["video_id"]
    advance = urllib.request.Request(
        f"{compose_emulator}/_emulator/clock/advance",
        data=json.dumps({"seconds": 1, "team": "ci-team"}).encode(), method="POST",
        headers=admin)
    urllib.request.urlopen(advance, timeout=10).close()
    result = urllib.request.Request(f"{compose_emulator}/openapi/v2/video/result/{video_id}",
                                    headers={"API-KEY": "ci-team"})
    with urllib.request.urlopen(result, timeout=10) as answer:
        resp = json.load(answer)["Resp"]
    assert resp["status"] == 1  # RUN_SECONDS "1" from the environment
    assert resp["url"].startswith("http://emulator:8080/files/")  # PUBLIC_URL
