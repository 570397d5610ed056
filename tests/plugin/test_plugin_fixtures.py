"""The two fixtures as a client's test suite uses them: a live server and an ASGI app,
a fresh team per test, and the handle's control-plane methods scoped to that team."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


pytestmark = pytest.mark.usefixtures("outside_xdist")

CONFTEST = '''
import pytest

BODY = {"model": "pixverse-c1", "prompt": "a small blue cube", "duration": 1,
        "quality": "360p", "aspect_ratio": "16:9"}


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def body():
    return dict(BODY)
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    return pytester


def test_live_server_create_wait_for_and_download(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import httpx

        def test_flow(pixverse_emulator, body):
            emu = pixverse_emulator
            with httpx.Client(base_url=emu.base_url, headers=emu.headers) as client:
                created = client.post("/openapi/v2/video/text/generate", json=body).json()
                video_id = created["Resp"]["video_id"]
                first = client.get(f"/openapi/v2/video/result/{video_id}").json()
                assert first["Resp"]["status"] == 5

                resp = emu.wait_for(video_id)

                assert resp["status"] == 1 and resp["url"].startswith(emu.base_url + "/files/")
                again = client.get(f"/openapi/v2/video/result/{video_id}").json()["Resp"]
                assert again == resp
                video = client.get(resp["url"])
                assert video.status_code == 200 and len(video.content) == resp["size"] > 0
                assert video.content[4:8] == b"ftyp"

        def test_handle_attributes(pixverse_emulator):
            emu = pixverse_emulator
            assert emu.base_url.startswith("http://127.0.0.1:")
            assert emu.team_id.startswith("test-") and emu.api_key != emu.team_id
            assert emu.emulator.authenticate(emu.api_key) == emu.team_id
            assert emu.headers == {"Authorization": f"Bearer {emu.api_key}"}
            assert emu.emulator.settings.clock == "manual"
            assert emu.team()["id"] == emu.team_id
        """
    )
    project.runpytest().assert_outcomes(passed=2)


def test_asgi_fixture_needs_no_socket(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import asyncio
        import httpx
        import pytest

        async def flow(emu, body):
            transport = httpx.ASGITransport(app=emu.app)
            async with httpx.AsyncClient(transport=transport, base_url=emu.base_url,
                                         headers=emu.headers) as client:
                created = await client.post("/openapi/v2/video/text/generate", json=body)
                video_id = created.json()["Resp"]["video_id"]
                resp = emu.wait_for(video_id)
                assert resp["url"].startswith("http://pixverse-emulator.test/files/")
                video = await client.get(resp["url"])
                assert video.status_code == 200 and len(video.content) == resp["size"]

        @pytest.mark.anyio
        async def test_under_anyio(pixverse_emulator_app, body):
            await flow(pixverse_emulator_app, body)

        def test_under_asyncio_run(pixverse_emulator_app, body):
            asyncio.run(flow(pixverse_emulator_app, body))

        def test_app_fixture_starts_no_server(pixverse_emulator_app):
            import threading
            import uvicorn
            assert pixverse_emulator_app.base_url == "http://pixverse-emulator.test"
            targets = [getattr(t, "_target", None) for t in threading.enumerate()]
            servers = [t for t in targets if isinstance(getattr(t, "__self__", None),
                                                        uvicorn.Server)]
            assert servers == []

        def test_both_fixtures_share_the_team(pixverse_emulator, pixverse_emulator_app):
            assert pixverse_emulator.team_id == pixverse_emulator_app.team_id
            assert pixverse_emulator.emulator is pixverse_emulator_app.emulator
            assert pixverse_emulator.app is not pixverse_emulator_app.app
        """
    )
    project.runpytest().assert_outcomes(passed=4)


def test_each_test_gets_a_fresh_team_and_nothing_leaks(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import httpx
        import pytest

        SEEN = []

        def test_first(pixverse_emulator, body):
            emu = pixverse_emulator
            emu.team(credits=7, pending_cap=1)
            emu.fault(route="result", error="not_found")
            with httpx.Client(base_url=emu.base_url, headers=emu.headers) as client:
                video_id = client.post("/openapi/v2/video/text/generate",
                                       json=body).json()["Resp"]["video_id"]
            emu.advance(3)
            SEEN.append((emu.team_id, emu.base_url, video_id, emu.emulator))

        def test_second(pixverse_emulator):
            team, base_url, video_id, emulator = SEEN[0]
            emu = pixverse_emulator
            assert emu.team_id != team and emu.api_key != team
            assert emu.base_url == base_url and emu.emulator is emulator  # one server
            with pytest.raises(Exception, match="not found"):
                emu.emulator.task(video_id)
            assert emu.requests(team=None) == []
            assert emu.emulator.list_faults() == []
            assert emu.emulator.now(team) == emu.now()  # the clock offset went too
            fresh = emu.team()
            assert (fresh["credits"], fresh["pending_cap"], fresh["pending"]) == (10000, 10, 0)
        """
    )
    project.runpytest().assert_outcomes(passed=2)


def test_advance_moves_only_this_teams_clock(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import httpx

        def test_advance(pixverse_emulator, body):
            emu = pixverse_emulator
            with httpx.Client(base_url=emu.base_url) as client:
                mine = client.post("/openapi/v2/video/text/generate", json=body,
                                   headers=emu.headers).json()["Resp"]["video_id"]
                theirs = client.post("/openapi/v2/video/text/generate", json=body,
                                     headers={"API-KEY": emu.team_id + "-other"})
                theirs = theirs.json()["Resp"]["video_id"]
            start = emu.now()
            assert emu.advance(4) == start + 4
            assert emu.task(mine)["status"] == 5
            assert emu.advance(1) == start + 5
            assert emu.task(mine)["status"] == 1
            assert emu.task(theirs)["status"] == 5  # another team's clock stood still
            emu.emulator.reset(emu.team_id + "-other")
        """
    )
    project.runpytest().assert_outcomes(passed=1)


def test_settle_team_and_ledger(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import httpx

        def test_settle_releases_credits(pixverse_emulator, body):
            emu = pixverse_emulator
            with httpx.Client(base_url=emu.base_url, headers=emu.headers) as client:
                video_id = client.post("/openapi/v2/video/text/generate",
                                       json=body).json()["Resp"]["video_id"]
                detail = emu.settle(video_id, 7)
                assert detail["status"] == 7 and detail["team"] == emu.team_id
                result = client.get(f"/openapi/v2/video/result/{video_id}").json()
                assert result["Resp"] == {"id": video_id, "status": 7}
            kinds = [(e["kind"], e["amount"]) for e in emu.ledger()]
            assert kinds == [("grant", 10000), ("hold", 3), ("release", 3)]
            assert emu.team()["credits"] == 10000

        def test_settle_defaults_to_success(pixverse_emulator, body):
            emu = pixverse_emulator
            with httpx.Client(base_url=emu.base_url, headers=emu.headers) as client:
                video_id = client.post("/openapi/v2/video/text/generate",
                                       json=body).json()["Resp"]["video_id"]
            assert emu.settle(video_id)["status"] == 1
            assert [e["kind"] for e in emu.ledger()] == ["grant", "hold", "capture"]
            assert emu.team()["spent"] == 3

        def test_team_credits_drive_the_balance_check(pixverse_emulator, body):
            emu = pixverse_emulator
            team = emu.team(credits=2)
            assert team["credits"] == 2 and team["id"] == emu.team_id
            with httpx.Client(base_url=emu.base_url, headers=emu.headers) as client:
                refused = client.post("/openapi/v2/video/text/generate", json=body)
            assert refused.status_code == 402
            assert refused.json()["error"]["code"] == "pixverse_balance_too_low"
            assert emu.ledger()[-1]["kind"] == "grant" and emu.ledger()[-1]["balance"] == 2

        def test_team_pending_cap_and_policy(pixverse_emulator):
            emu = pixverse_emulator
            assert emu.team(pending_cap=0)["pending_cap"] == 0
            team = emu.policy("polls:2", ["failed", "success"])
            assert team["progression"] == "polls:2"
            assert team["outcomes"] == ["failed", "success"]
        """
    )
    project.runpytest().assert_outcomes(passed=4)


def test_requests_filters(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import httpx

        def test_journal(pixverse_emulator, body):
            emu = pixverse_emulator
            with httpx.Client(base_url=emu.base_url, headers=emu.headers) as client:
                client.post("/openapi/v2/video/text/generate", json=body,
                            headers={"Ai-trace-id": "trace-create"})
                client.get("/openapi/v2/video/result/1")
                client.post("/openapi/v2/video/text/generate", json={**body, "duration": 99})
            assert [r["route"] for r in emu.requests()] == ["text", "result", "text"]
            assert [r["status"] for r in emu.requests(route="text")] == [200, 400]
            (missing,) = emu.requests(status=404)
            assert missing["route"] == "result" and missing["err_code"] == 404001
            assert [r["status"] for r in emu.requests(err_code=400013)] == [400]
            (traced,) = emu.requests(trace_id="trace-create")
            assert traced["team"] == emu.team_id
            assert emu.requests(route="/openapi/v2/video/result/") == [missing]
            assert emu.requests(team="someone-else") == []
        """
    )
    project.runpytest().assert_outcomes(passed=1)


def test_fault_rules_belong_to_the_test(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import httpx
        import pytest

        def test_faults(pixverse_emulator):
            emu = pixverse_emulator
            rule = emu.fault(route="result", error="not_found", count=2)
            assert rule["team"] == emu.team_id and rule["id"] >= 1
            assert (rule["route"], rule["error"], rule["count"], rule["fired"]) == (
                "result", "not_found", 2, 0)
            upstream = emu.fault(route="create", upstream={"err_code": 500044})
            assert upstream["upstream"]["http_status"] == 500
            assert [f["id"] for f in emu.faults()] == [rule["id"], upstream["id"]]
            emu.clear_faults()
            assert emu.faults() == []

        def test_a_rule_fires_for_this_team_only(pixverse_emulator, body):
            emu = pixverse_emulator
            rule = emu.fault(route="create", error="pixverse_too_many_pending_tasks", count=1)
            with httpx.Client(base_url=emu.base_url) as client:
                other = client.post("/openapi/v2/video/text/generate", json=body,
                                    headers={"API-KEY": emu.team_id + "-other"})
                faulted = client.post("/openapi/v2/video/text/generate", json=body,
                                      headers=emu.headers)
                retried = client.post("/openapi/v2/video/text/generate", json=body,
                                      headers=emu.headers)
            assert (other.status_code, faulted.status_code, retried.status_code) == (
                200, 429, 200)
            (journal,) = emu.requests(status=429)
            assert journal["reason"] == f"fault:{rule['id']}"
            assert emu.faults() == []  # count=1: gone once fired
            emu.emulator.reset(emu.team_id + "-other")

        def test_a_bad_rule_is_refused(pixverse_emulator):
            with pytest.raises(ValueError, match="exactly one of"):
                pixverse_emulator.fault(route="result")
            with pytest.raises(Exception, match="error.code"):
                pixverse_emulator.fault(route="result", error="no_such_error")
            with pytest.raises(Exception, match="never POST"):
                pixverse_emulator.fault(route="result", method="POST", drop=True)
            assert pixverse_emulator.faults() == []
        """
    )
    project.runpytest().assert_outcomes(passed=3)


def test_reset_keeps_the_team_usable(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import httpx
        import pytest

        @pytest.mark.pixverse_emulator(auth="strict")
        def test_reset(pixverse_emulator, body):
            emu = pixverse_emulator
            with httpx.Client(base_url=emu.base_url, headers=emu.headers) as client:
                client.post("/openapi/v2/video/text/generate", json=body)
                emu.reset()
                assert emu.requests() == [] and emu.team()["pending"] == 0
                again = client.post("/openapi/v2/video/text/generate", json=body)
                assert again.status_code == 200
            assert set(emu.coverage()) == {"routes", "err_codes", "statuses", "directives"}
        """
    )
    project.runpytest().assert_outcomes(passed=1)
