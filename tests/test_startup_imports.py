"""What a server loads before its first answer: only what every request may need.

Each check runs in a fresh interpreter, so what this test session has imported already
does not count. benchmarks/bench_startup.py measures the time; these hold the structure.
"""

from __future__ import annotations

import subprocess
import sys

# A CLI server as `python -m pixverse_emulator` builds it, then one health request.
STARTED = """\
import sys
from starlette.testclient import TestClient
from pixverse_emulator import cli
emulator = cli.open_emulator(cli.load_settings(cli.parse_args(["--quiet"])))
client = TestClient(cli.create_app(emulator, close_at_shutdown=True))
assert client.get("/_emulator/health").status_code == 200
"""


def loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` are imported once `code` has run in a new interpreter."""
    check = f"{code}\nprint(','.join(m for m in {modules!r} if m in sys.modules))\n"
    run = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    return [name for name in run.stdout.strip().split(",") if name]


def test_a_started_server_has_not_loaded_the_console_or_tls() -> None:
    heavy = ("jinja2", "cryptography", "pixverse_emulator.console.pages",
             "pixverse_emulator.http.tls")
    assert loaded_after(STARTED, heavy) == []


def test_the_first_console_page_loads_the_console() -> None:
    code = STARTED + 'assert client.get("/_emulator/ui/tasks").status_code == 200\n'
    assert loaded_after(code, ("jinja2",)) == ["jinja2"]
