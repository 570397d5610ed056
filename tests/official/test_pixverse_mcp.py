"""The official PixVerse MCP server, `pixverse-mcp` 0.2.2 from PyPI, unmodified, against
`pixverse-emulator --profile pixverse` as a user starts it: its own tools upload, create
(text, image, transition, extend, fusion, lip sync by TTS and by uploaded audio, sound
effect), list TTS speakers and poll each task to completion; every video it is handed is
downloaded and opened with FFmpeg's decoders, and matches the task the emulator made.

pixverse-mcp needs Python >= 3.12 and `mcp<2`: the test builds that virtualenv itself,
once, in the user cache folder, with a Python 3.12 it finds (pyenv's shim needs
PYENV_VERSION, which it sets from `pyenv versions`). See NOTES.md beside this file.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from processes import served

HERE = Path(__file__).resolve().parent
PACKAGES = ["pixverse-mcp==0.2.2", "mcp<2"]
GENERATIONS = ["text_to_video", "image_to_video", "transition_video", "extend_video",
               "fusion_video", "lip_sync_tts", "lip_sync_audio", "sound_effect_video"]
OTHER_STEPS = ["list_tools", "tts_speakers", "upload_image_png", "upload_image_jpg",
               "upload_video", "upload_audio", "client_wait_for_video_completion"]


def python_312() -> tuple[str, dict[str, str]]:
    """A Python >= 3.12 and the environment it runs in."""
    env = dict(os.environ)
    pyenv = shutil.which("pyenv")
    if pyenv:
        bare = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True)
        found = [v.strip() for v in bare.stdout.splitlines() if v.strip().startswith("3.12")]
        if found:
            env["PYENV_VERSION"] = found[-1]
            root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
            direct = Path(root, "versions", found[-1], "bin", "python3.12")
            if direct.exists():
                return str(direct), env
    for candidate in (shutil.which("python3.12"), *sorted(glob.glob("/usr/bin/python3.1[2-9]"))):
        if candidate:
            return candidate, env
    pytest.fail("no Python 3.12 for pixverse-mcp: install one (pyenv install 3.12, or "
                "apt-get install python3.12-venv) and run again")


def official_venv() -> Path:
    """The cached venv with pixverse-mcp 0.2.2 (built on first use, ~20 s)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    venv = cache / "pixverse-emulator" / "pixverse-mcp-0.2.2"
    ready = venv / ".installed"
    if ready.exists():
        return venv
    python, env = python_312()
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(venv)], env=env, check=True, timeout=300)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *PACKAGES],
                   env=env, check=True, timeout=600)
    ready.write_text(" ".join(PACKAGES) + "\n")
    return venv


def video_facts(path: Path) -> tuple[int, int, float, bool]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert container.duration is not None
        return (stream.codec_context.width, stream.codec_context.height,
                container.duration / 1e6, bool(container.streams.audio))


def test_the_official_pixverse_mcp_client_runs_unmodified(tmp_path: Path) -> None:
    venv = official_venv()
    env = {"PIXVERSE_EMULATOR_CLOCK": "manual"}  # tasks run 5 s; the driver moves time
    with served("--profile", "pixverse", "--quiet", env=env) as (_, base):
        run = subprocess.run(
            [str(venv / "bin" / "python"), str(HERE / "pixverse_mcp_driver.py"),
             "--base-url", base, "--api-key", "official-client", "--workdir", str(tmp_path),
             "--poll-interval", "5"],
            capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"})
        steps = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
        summary = steps[-1]
        assert summary["step"] == "summary" and summary["ok"] and not summary["failed"]
        assert set(GENERATIONS + OTHER_STEPS) <= set(summary["passed"])
        made = {step["step"]: step for step in steps if step["step"] in GENERATIONS}
        for name, step in made.items():
            task: dict[str, Any] = httpx.get(f"{base}/_emulator/tasks/{step['video_id']}").json()
            width, height, seconds, audio = video_facts(Path(step["file"]))
            expected = task["video"]
            assert (width, height) == (expected["width"], expected["height"]), name
            assert seconds == pytest.approx(expected["seconds"], abs=0.05), name
            assert audio == expected["has_audio"] and task["team"] == "official-client", name
        assert made["lip_sync_tts"]["has_audio"] and made["sound_effect_video"]["has_audio"]
        assert all(step["statuses"][0] == "pending" for step in made.values())  # they ran
        routes = httpx.get(f"{base}/_emulator/coverage").json()["routes"]
        assert {"lip_sync", "sound_effect", "tts_list"} <= set(routes["exercised"])
