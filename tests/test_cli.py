"""The command line, as a user runs it: one process, settings from flags, env and TOML."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from pixverse_emulator.cli import parse_args
from pixverse_emulator.version import __version__

ROOT = Path(__file__).resolve().parent.parent


def test_python_dash_m_serves_and_answers_health(tmp_path: Path) -> None:
    env = {**os.environ, "PIXVERSE_EMULATOR_CLOCK": "manual",
           "PIXVERSE_EMULATOR_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "pixverse_emulator", "--port", "0", "--config",
               str(ROOT / "fixtures/emulator.toml")]
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as process:
        try:
            check_live_server(process)
        finally:
            process.terminate()


def check_live_server(process: subprocess.Popen[str]) -> None:
    assert process.stderr is not None
    # Readiness is an event: uvicorn's own line saying where it listens.
    for line in process.stderr:
        found = re.search(r"running on (http://\S+)", line)
        if found:
            base = found.group(1)
            break
    else:
        pytest.fail("the server exited before it was ready")
    with urllib.request.urlopen(f"{base}/_emulator/health", timeout=10) as r:
        assert json.load(r) == {"status": "ok", "version": __version__}
    with urllib.request.urlopen(f"{base}/_emulator/clock", timeout=10) as r:
        assert json.load(r)["mode"] == "manual"
    with urllib.request.urlopen(f"{base}/_emulator/teams/acme", timeout=10) as r:
        assert json.load(r)["credits"] == 500


def test_bad_config_exits_with_a_clear_message(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("run_seconds = -3\n")
    run = subprocess.run([sys.executable, "-m", "pixverse_emulator", "--config", str(config)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "run_seconds" in run.stderr and "bad settings" in run.stderr


def test_missing_config_file_is_reported(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "pixverse_emulator", "--config",
                          str(tmp_path / "nope.toml")], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "nope.toml" in run.stderr


def test_flags() -> None:
    args = parse_args(["--host", "0.0.0.0", "--port", "9", "--config", "x.toml"])
    assert (args.host, args.port, args.config) == ("0.0.0.0", 9, "x.toml")
    assert parse_args([]).port is None


@pytest.mark.skipif(shutil.which("pixverse-emulator") is None,
                    reason="the console script exists only once the package is installed")
def test_console_script_is_installed() -> None:
    run = subprocess.run(["pixverse-emulator", "--version"], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0 and run.stdout.startswith("pixverse-emulator ")


def test_the_server_runs_with_the_collector_tuned_for_serving(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`cli.GC_THRESHOLDS` once start-up is frozen, the collector back on (`__main__`
    turns it off while the app is built); the process's own thresholds come back after."""
    import gc

    from pixverse_emulator import cli

    seen: dict[str, object] = {}

    class Server:
        def __init__(self, app: object) -> None:
            self.app = app

        def run(self, sockets: list[object]) -> None:
            seen["threshold"], seen["enabled"] = gc.get_threshold(), gc.isenabled()
            for sock in sockets:
                sock.close()  # type: ignore[attr-defined]
            self.app.state.emulator.close()  # type: ignore[attr-defined]

    monkeypatch.setattr(cli, "server", lambda app, settings, **_: Server(app))
    before = gc.get_threshold()
    try:
        cli.main(["--port", "0", "--quiet"])
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
    assert seen == {"threshold": cli.GC_THRESHOLDS, "enabled": True}
    assert cli.GC_THRESHOLDS[0] > before[0]
