"""`wait_for` drives a task to a status by moving the team's manual clock or reading the
result, never by sleeping, and says plainly when the awaited status cannot come."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


pytestmark = pytest.mark.usefixtures("outside_xdist")

CONFTEST = '''
import pytest

BODY = {"model": "pixverse-c1", "prompt": "a small blue cube", "duration": 1,
        "quality": "360p", "aspect_ratio": "16:9"}


@pytest.fixture
def create(pixverse_emulator_app):
    """Create a text task in-process and return its video id (the API path, not a shortcut:
    the task gets its policy exactly as a client's create would)."""
    from starlette.testclient import TestClient

    emu = pixverse_emulator_app

    def create(prompt="a small blue cube"):
        with TestClient(emu.app, base_url=emu.base_url) as client:
            answer = client.post("/openapi/v2/video/text/generate",
                                 json={**BODY, "prompt": prompt}, headers=emu.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["Resp"]["video_id"]

    return create
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    return pytester


def test_wait_for_progressions(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        def test_seconds_advances_the_team_clock_to_the_due_time(pixverse_emulator_app, create):
            emu = pixverse_emulator_app
            start = emu.now()
            video_id = create()
            resp = emu.wait_for(video_id)
            assert resp["status"] == 1 and resp["url"].startswith(emu.base_url)
            assert emu.now() == start + 5  # run_seconds, no more
            assert emu.task(video_id)["reads"] == 0

        def test_fractional_seconds(pixverse_emulator_app, create):
            emu = pixverse_emulator_app
            start = emu.now()
            emu.wait_for(create("[emulator:seconds=2.5]"))
            assert emu.now() == start + 2.5

        def test_instant_needs_no_step(pixverse_emulator_app, create):
            emu = pixverse_emulator_app
            emu.policy("instant")
            start = emu.now()
            assert emu.wait_for(create())["status"] == 1
            assert emu.now() == start

        def test_polls_reads_the_result_as_the_owner(pixverse_emulator_app, create):
            emu = pixverse_emulator_app
            emu.policy("polls:3")
            start = emu.now()
            video_id = create()
            assert emu.wait_for(video_id)["status"] == 1
            assert emu.task(video_id)["reads"] == 3 and emu.now() == start

        def test_waiting_for_a_failure(pixverse_emulator_app, create):
            emu = pixverse_emulator_app
            emu.policy(outcomes="failed")
            video_id = create()
            assert emu.wait_for(video_id, status=8) == {"id": video_id, "status": 8}

        def test_task_policy_changes_one_task(pixverse_emulator_app, create):
            emu = pixverse_emulator_app
            video_id = create()
            detail = emu.task_policy(video_id, progression="polls:1", outcome="moderated")
            assert detail["progression"] == "polls:1" and detail["outcome"] == 7
            assert emu.wait_for(video_id, status=7)["status"] == 7
        """
    )
    project.runpytest().assert_outcomes(passed=6)


def test_wait_for_errors(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import pytest

        def test_manual_says_settle_it(pixverse_emulator_app, create):
            emu = pixverse_emulator_app
            video_id = create("[emulator:manual]")
            with pytest.raises(AssertionError, match=r"'manual'.*settle it"):
                emu.wait_for(video_id)
            emu.settle(video_id, 1)
            assert emu.wait_for(video_id)["status"] == 1

        def test_another_final_status_fails_at_once(pixverse_emulator_app, create):
            emu = pixverse_emulator_app
            video_id = create("[emulator:failed]")
            with pytest.raises(AssertionError, match="ended at status 8, not 1"):
                emu.wait_for(video_id)

        def test_too_few_steps(pixverse_emulator_app, create):
            emu = pixverse_emulator_app
            video_id = create("[emulator:polls=5]")
            with pytest.raises(AssertionError, match="still at status 5 after 2 steps"):
                emu.wait_for(video_id, max_steps=2)

        def test_unknown_video(pixverse_emulator_app):
            with pytest.raises(Exception, match="not found"):
                pixverse_emulator_app.wait_for(1)

        @pytest.mark.pixverse_emulator(clock="wall", run_seconds=600)
        def test_wall_clock_refuses_to_wait(pixverse_emulator_app, create):
            emu = pixverse_emulator_app
            video_id = create()
            with pytest.raises(RuntimeError, match="wall clock"):
                emu.wait_for(video_id)
            with pytest.raises(Exception, match="wall clock"):
                emu.advance(1)
            emu.task_policy(video_id, progression="polls:1")
            assert emu.wait_for(video_id)["status"] == 1  # reads need no clock
        """
    )
    project.runpytest().assert_outcomes(passed=5)
