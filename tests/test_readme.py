"""The README's examples, run as written against a live emulator."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import served

from pixverse_emulator import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


@pytest.fixture
def quickstart_server() -> Iterator[str]:
    """The server exactly as the quickstart starts it (but on a free port)."""
    with served() as (_, base):
        yield base


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")),
                    reason="the README's shell examples need curl and jq")
def test_bash_examples_run_as_written_twice_against_the_quickstart_server(
    quickstart_server: str, tmp_path: Path
) -> None:
    script = "set -euo pipefail\n" + "\n".join(blocks("bash"))
    script = script.replace("http://127.0.0.1:8080", quickstart_server)
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    for attempt in ("first", "second"):
        run = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, attempt + run.stdout[-3000:] + run.stderr[-3000:]


def test_quickstart_commands_are_the_documented_ones() -> None:
    first = blocks("sh")[0]
    assert "pip install -e . && pixverse-emulator" in first
    assert "pip install -e '.[test]' && pytest" in first
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet -e '.[test]' && pytest" in ci


def test_toml_example_is_the_fixture_and_loads() -> None:
    (example,) = blocks("toml")
    assert tomllib.loads(example) == tomllib.loads((ROOT / "fixtures/emulator.toml").read_text())
    settings = Settings.load(ROOT / "fixtures/emulator.toml")
    assert settings.auth == "strict" and settings.teams[0].keys == ("acme-key-1", "acme-key-2")


def test_every_error_code_is_in_the_readme_table() -> None:
    from pixverse_emulator.errors import CATALOGUE

    for error in CATALOGUE:
        row = f"| {error.http_status} | {error.err_code} | {error.code} |"
        assert row in README, row


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`{name}`" in README, name


def test_dockerfile_runs_non_root_with_a_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim", dockerfile, flags=re.M)
    assert re.search(r"^USER (?!root)\w+", dockerfile, flags=re.M)
    assert "HEALTHCHECK" in dockerfile and "/_emulator/health" in dockerfile
    assert '"--host", "0.0.0.0", "--port", "8080"' in dockerfile


def test_python_examples_outside_the_testing_section_run() -> None:
    before_testing = README.partition("## Testing your client")[0]
    examples = re.findall(r"```python\n(.*?)```", before_testing, flags=re.S)
    assert examples
    for example in examples:
        run = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True,
                             timeout=60, cwd=ROOT)
        assert run.returncode == 0, run.stderr[-2000:]
