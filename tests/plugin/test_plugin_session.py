"""The plugin as a run sees it: loaded by entry point and cheap to load, its report
header, the coverage report, and pytest-xdist workers each with their own server."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from pixverse_emulator.version import __version__

pytest_plugins = ["pytester"]


pytestmark = pytest.mark.usefixtures("outside_xdist")

CREATE_AND_WAIT = '''
import os
import httpx
import pytest

BODY = {"model": "pixverse-c1", "prompt": "a small blue cube", "duration": 1,
        "quality": "360p", "aspect_ratio": "16:9"}


def create_and_wait(emu, prompt="a small blue cube"):
    with httpx.Client(base_url=emu.base_url, headers=emu.headers) as client:
        created = client.post("/openapi/v2/video/text/generate",
                              json={**BODY, "prompt": prompt}).json()
        resp = emu.wait_for(created["Resp"]["video_id"])
        assert client.get(resp["url"]).status_code == 200
    return resp
'''


def test_registered_by_entry_point_only() -> None:
    (plugin,) = [e for e in entry_points(group="pytest11") if e.name == "pixverse_emulator"]
    assert plugin.value == "pixverse_emulator.pytest_plugin"
    root = Path(__file__).resolve().parents[2]
    for conftest in root.glob("tests/**/conftest.py"):
        assert "pixverse_emulator.pytest_plugin" not in conftest.read_text(), conftest


def test_a_project_with_its_own_emulator_module_loads_the_plugin(
    pytester: pytest.Pytester,
) -> None:
    """`python -m pytest` puts the project folder first on sys.path: a user's own
    `emulator.py` must not shadow the plugin (the package imports as pixverse_emulator)."""
    pytester.makepyfile(emulator="WHOSE = 'the project'\n")
    pytester.makepyfile(CREATE_AND_WAIT + """
import emulator

def test_both(pixverse_emulator):
    assert emulator.WHOSE == "the project"
    assert create_and_wait(pixverse_emulator)["status"] == 1
""")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert "Error while loading plugin" not in result.stderr.str()
    result.assert_outcomes(passed=1)


def test_importing_the_plugin_loads_no_web_stack() -> None:
    code = (
        "import sys, pixverse_emulator.pytest_plugin\n"
        "heavy = [m for m in ('fastapi', 'starlette', 'uvicorn', 'pydantic',"
        " 'pixverse_emulator.core')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr


def test_a_run_that_uses_no_fixture_loads_no_web_stack(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_nothing_heavy():
            assert "fastapi" not in sys.modules and "pixverse_emulator.core" not in sys.modules
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_report_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest()
    result.stdout.fnmatch_lines([
        f"pixverse-emulator {__version__}: clock manual "
        "(per-test teams; --pixverse-coverage for a coverage report)",
    ])
    with_coverage = pytester.runpytest("--pixverse-coverage")
    with_coverage.stdout.fnmatch_lines(
        [f"pixverse-emulator {__version__}: clock manual (*coverage report at the end)"]
    )


def test_coverage_report_merges_every_emulator_of_the_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        CREATE_AND_WAIT
        + '''
def test_shared(pixverse_emulator):
    create_and_wait(pixverse_emulator)

@pytest.mark.pixverse_emulator(progression="instant")
def test_dedicated(pixverse_emulator):
    with httpx.Client(base_url=pixverse_emulator.base_url) as client:
        client.get("/openapi/v2/video/result/1", headers=pixverse_emulator.headers)
    pixverse_emulator.emulator.reset()  # coverage outlives resets
'''
    )
    result = pytester.runpytest("--pixverse-coverage")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*- pixverse-emulator coverage -*",
            "routes  * exercised (3): download, result, text",
            "*missing (6): img, transition, fusion, extend, image_upload, media_upload",
            "err_codes * exercised (2): 0, 404001",
            "*missing (*): 401001, *",
            "statuses * exercised (2): 1, 5",
            "*missing (3): 6, 7, 8",
            "directives * exercised (0): -",
        ]
    )


def test_no_coverage_report_without_the_option_or_an_emulator(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    unused = pytester.runpytest("--pixverse-coverage")
    unused.assert_outcomes(passed=1)
    unused.stdout.no_fnmatch_line("*pixverse-emulator coverage*")
    pytester.makepyfile(CREATE_AND_WAIT + "def test_used(pixverse_emulator_app): pass\n")
    plain = pytester.runpytest()
    plain.assert_outcomes(passed=1)
    plain.stdout.no_fnmatch_line("*pixverse-emulator coverage*")


def test_xdist_workers_each_get_their_own_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = pytester.path / "seen.txt"
    monkeypatch.setenv("PIXVERSE_PLUGIN_TEST_SEEN", str(seen))
    pytester.makepyfile(
        CREATE_AND_WAIT
        + '''
@pytest.mark.parametrize("n", range(8))
def test_many(pixverse_emulator, n):
    prompt = "a cube [emulator:failed]" if n == 0 else "a cube"
    if n == 0:
        pixverse_emulator.policy(outcomes="failed")
        with httpx.Client(base_url=pixverse_emulator.base_url,
                          headers=pixverse_emulator.headers) as client:
            created = client.post("/openapi/v2/video/text/generate",
                                  json={**BODY, "prompt": prompt}).json()
        pixverse_emulator.wait_for(created["Resp"]["video_id"], status=8)
    else:
        create_and_wait(pixverse_emulator, prompt)
    assert pixverse_emulator.advance(1) == pixverse_emulator.now()
    with open(os.environ["PIXVERSE_PLUGIN_TEST_SEEN"], "a") as seen:
        seen.write(f"{os.environ['PYTEST_XDIST_WORKER']} {pixverse_emulator.base_url}\\n")
'''
    )
    result = pytester.runpytest_subprocess("-n", "2", "-p", "xdist", "--pixverse-coverage")
    result.assert_outcomes(passed=8)
    servers = {line.split()[0]: set() for line in seen.read_text().splitlines()}
    for line in seen.read_text().splitlines():
        worker, base_url = line.split()
        servers[worker].add(base_url)
    assert sorted(servers) == ["gw0", "gw1"]
    assert all(len(urls) == 1 for urls in servers.values())
    assert servers["gw0"] != servers["gw1"]
    # One report for the run, merged from both workers (only one of them saw status 8).
    assert result.stdout.str().count("pixverse-emulator coverage") == 1
    result.stdout.fnmatch_lines(
        [
            "statuses * exercised (3): 1, 5, 8",
            "directives * exercised (1): failed",
        ]
    )
