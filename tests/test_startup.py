"""What a server does before its first answer: load only what every request may need,
with the garbage collector off while it builds.

Each check runs in a fresh interpreter, so what this test session has imported (or done
to the collector) does not count. benchmarks/bench_startup.py measures the time; these
hold the structure.
"""

from __future__ import annotations

import subprocess
import sys

from pixverse_emulator.http import admin_snapshots, app

# A CLI server as `python -m pixverse_emulator` builds it, then one health request.
STARTED = """\
import sys
from starlette.testclient import TestClient
from pixverse_emulator import cli
emulator = cli.open_emulator(cli.load_settings(cli.parse_args(["--quiet"])))
client = TestClient(cli.create_app(emulator, close_at_shutdown=True))
assert client.get("/_emulator/health").status_code == 200
"""


CONTROL_PLANE = ("pixverse_emulator.http.admin", "pixverse_emulator.http.admin_faults",
                 "pixverse_emulator.http.admin_snapshots")

# The CLI's entry point with uvicorn replaced: it reports the collector's state while the
# app is built and once it is about to be served, then stops.
ENTRY = """\
import gc, sys
from pixverse_emulator import __main__ as entry, cli

def create_app(*args, **kwargs):
    print("building, collector on:", gc.isenabled())
    return made(*args, **kwargs)

def server(app, settings, **_):
    class Stopped:
        def run(self, sockets):
            print("serving, collector on:", gc.isenabled(), "frozen:", gc.get_freeze_count() > 0)
            sockets[0].close()
            app.state.emulator.close()
    return Stopped()

made, cli.create_app, cli.server = cli.create_app, create_app, server
sys.argv = ["pixverse-emulator", "--port", "0", "--quiet"]
entry.run()
"""


def loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` are imported once `code` has run in a new interpreter."""
    check = f"{code}\nprint(','.join(m for m in {modules!r} if m in sys.modules))\n"
    run = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    return [name for name in run.stdout.strip().split(",") if name]


def test_a_started_server_has_not_loaded_the_console_tls_or_control_plane() -> None:
    heavy = ("jinja2", "cryptography", "pixverse_emulator.console.pages",
             "pixverse_emulator.http.tls", *CONTROL_PLANE)
    assert loaded_after(STARTED, heavy) == []


def test_the_first_control_plane_request_loads_the_control_plane() -> None:
    code = STARTED + 'assert client.get("/_emulator/faults").status_code == 200\n'
    assert loaded_after(code, CONTROL_PLANE) == list(CONTROL_PLANE)


def test_the_snapshot_upload_limit_covers_the_snapshot_routes() -> None:
    assert app.SNAPSHOTS == admin_snapshots.PREFIX  # app.py cannot import it at start


def test_the_first_console_page_loads_the_console() -> None:
    code = STARTED + 'assert client.get("/_emulator/ui/tasks").status_code == 200\n'
    assert loaded_after(code, ("jinja2",)) == ["jinja2"]


def test_the_cli_builds_with_the_collector_off_and_serves_with_it_on() -> None:
    run = subprocess.run([sys.executable, "-c", ENTRY], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["building, collector on: False",
                                       "serving, collector on: True frozen: True"]
