"""`@pytest.mark.pixverse_emulator(**settings)` gives one test its own emulator, and
`pixverse_emulator_settings` changes the session's defaults."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


pytestmark = pytest.mark.usefixtures("outside_xdist")

BODY = '''
BODY = {"model": "pixverse-c1", "prompt": "a small blue cube", "duration": 1,
        "quality": "360p", "aspect_ratio": "16:9"}
'''


def test_marker_gives_a_dedicated_emulator(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        BODY
        + """
import socket
import urllib.parse

import httpx
import pytest

SHARED = []

def test_unmarked(pixverse_emulator):
    SHARED.extend([pixverse_emulator.emulator, pixverse_emulator.base_url])

@pytest.mark.pixverse_emulator(progression="instant", default_credits=50)
def test_instant(pixverse_emulator):
    emu = pixverse_emulator
    assert emu.emulator is not SHARED[0] and emu.base_url != SHARED[1]  # its own server
    assert emu.emulator.settings.clock == "manual"  # the plugin's default stays
    with httpx.Client(base_url=emu.base_url, headers=emu.headers) as client:
        video_id = client.post("/openapi/v2/video/text/generate",
                               json=BODY).json()["Resp"]["video_id"]
        first = client.get(f"/openapi/v2/video/result/{video_id}").json()["Resp"]
    assert first["status"] == 1 and first["url"].startswith(emu.base_url)
    assert emu.team()["credits"] == 47
    SHARED.append(emu.base_url)

def test_unmarked_again(pixverse_emulator):
    assert pixverse_emulator.emulator is SHARED[0]
    assert pixverse_emulator.base_url == SHARED[1]
    gone = urllib.parse.urlsplit(SHARED[2])  # the marked test's server has stopped
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((gone.hostname, gone.port), timeout=10)
    assert pixverse_emulator.emulator.settings.progression is None
"""
    )
    pytester.runpytest().assert_outcomes(passed=3)


def test_marker_auth_strict(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        BODY
        + """
import httpx
import pytest

@pytest.mark.pixverse_emulator(auth="strict")
def test_only_the_handles_key_works(pixverse_emulator):
    emu = pixverse_emulator
    with httpx.Client(base_url=emu.base_url) as client:
        ok = client.post("/openapi/v2/video/text/generate", json=BODY, headers=emu.headers)
        assert ok.status_code == 200
        refused = client.post("/openapi/v2/video/text/generate", json=BODY,
                              headers={"Authorization": "Bearer someone-else"})
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "invalid_api_key"

def test_open_by_default(pixverse_emulator):
    with httpx.Client(base_url=pixverse_emulator.base_url) as client:
        answer = client.post("/openapi/v2/video/text/generate", json=BODY,
                             headers={"API-KEY": pixverse_emulator.team_id + "-x"})
        assert answer.status_code == 200
    pixverse_emulator.emulator.reset(pixverse_emulator.team_id + "-x")
"""
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_closest_marker_wins_key_by_key(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

pytestmark = pytest.mark.pixverse_emulator(run_seconds=2, auth="strict")

def test_module_marker(pixverse_emulator_app):
    settings = pixverse_emulator_app.emulator.settings
    assert (settings.run_seconds, settings.auth) == (2, "strict")

@pytest.mark.pixverse_emulator(run_seconds=3)
def test_function_marker(pixverse_emulator_app):
    settings = pixverse_emulator_app.emulator.settings
    assert (settings.run_seconds, settings.auth) == (3, "strict")
"""
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_bad_markers_are_clear_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

@pytest.mark.pixverse_emulator(run_seconds=-1)
def test_bad_value(pixverse_emulator):
    pass

@pytest.mark.pixverse_emulator(no_such_setting=1)
def test_unknown_setting(pixverse_emulator_app):
    pass

@pytest.mark.pixverse_emulator("instant")
def test_positional(pixverse_emulator_app):
    pass
"""
    )
    result = pytester.runpytest("--strict-markers")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "*pixverse-emulator: bad settings*run_seconds*",
            "*pixverse-emulator: bad settings*no_such_setting*",
            "*pixverse_emulator takes settings as keyword arguments only*",
        ]
    )


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.pixverse_emulator(**settings):*"])


def test_settings_fixture_overrides_the_session_defaults(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(scope="session")
def pixverse_emulator_settings():
    return {"default_credits": 40, "run_seconds": 2}
"""
    )
    pytester.makepyfile(
        """
import pytest

def test_session(pixverse_emulator):
    assert pixverse_emulator.team()["credits"] == 40
    assert pixverse_emulator.emulator.settings.run_seconds == 2

@pytest.mark.pixverse_emulator(run_seconds=7)
def test_marker_goes_on_top(pixverse_emulator_app):
    assert pixverse_emulator_app.team()["credits"] == 40
    assert pixverse_emulator_app.emulator.settings.run_seconds == 7
"""
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_the_plugin_works_the_same_under_the_pixverse_profile(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import httpx
import pytest

NATIVE = {"model": "v5", "prompt": "a fox", "duration": 5, "quality": "540p",
          "aspect_ratio": "16:9"}

@pytest.mark.pixverse_emulator(profile="pixverse")
def test_native(pixverse_emulator):
    emu = pixverse_emulator
    assert emu.headers == {"API-KEY": emu.api_key}
    with httpx.Client(base_url=emu.base_url, headers=emu.headers) as client:
        created = client.post("/openapi/v2/video/text/generate", json=NATIVE).json()
        assert created["ErrCode"] == 0 and created["Resp"]["credits"] == 45
        resp = emu.wait_for(created["Resp"]["video_id"])
        assert resp["status"] == 1 and "credits_unit" not in resp
        video = client.get(resp["url"])
        assert video.status_code == 200 and len(video.content) == resp["size"]
"""
    )
    pytester.runpytest().assert_outcomes(passed=1)
