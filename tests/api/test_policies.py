"""Progression and outcome policies: global, per team, per task, per prompt."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from support import auth, error_of, resp, text_body

from pixverse_emulator import Emulator
from pixverse_emulator.domain.faults import FaultRule

TEXT = "/openapi/v2/video/text/generate"


def create(client: TestClient, key: str = "team-a", prompt: str = "a cat") -> int:
    video_id: int = resp(client.post(TEXT, json=text_body(prompt=prompt), headers=auth(key)))[
        "video_id"]
    return video_id


def poll(client: TestClient, video_id: int, key: str = "team-a") -> int:
    status: int = resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth(key)))[
        "status"]
    return status


class TestGlobalInstant:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"progression": "instant"}

    def test_first_poll_sees_the_outcome(self, client: TestClient) -> None:
        assert poll(client, create(client)) == 1


class TestGlobalPolls:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"progression": "polls:3", "outcomes": ["failed", "success"]}

    def test_third_read_completes_and_outcomes_follow_the_sequence(
        self, client: TestClient, emulator: Emulator
    ) -> None:
        first, second, third = create(client), create(client), create(client)
        emulator.advance(10_000)  # time does not matter to polls:N
        assert [poll(client, first) for _ in range(3)] == [5, 5, 8]
        assert [poll(client, second) for _ in range(3)] == [5, 5, 1]
        assert [poll(client, third) for _ in range(3)] == [5, 5, 1]  # the last one repeats

    def test_another_teams_reads_do_not_count(self, client: TestClient) -> None:
        video_id = create(client)
        for _ in range(3):
            assert error_of(client.get(f"/openapi/v2/video/result/{video_id}",
                                       headers=auth("team-b")))[0] == 403
        assert poll(client, video_id) == 5


class TestGlobalManual:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"progression": "manual"}

    def test_held_until_settled(self, client: TestClient, emulator: Emulator) -> None:
        video_id = create(client)
        emulator.advance(10_000)
        assert poll(client, video_id) == 5
        emulator.set_status(video_id, 7)
        assert poll(client, video_id) == 7


def test_team_policy_beats_the_global_one(client: TestClient, emulator: Emulator) -> None:
    r = client.put("/_emulator/teams/team-a",
                   json={"progression": "polls:2", "outcomes": "moderated"})
    assert (r.json()["progression"], r.json()["outcomes"]) == ("polls:2", ["moderated"])
    video_id = create(client)
    assert [poll(client, video_id), poll(client, video_id)] == [5, 7]
    other = create(client, key="team-b")  # the global policy: 5 seconds, success
    emulator.advance(5)
    assert poll(client, other, key="team-b") == 1


def test_prompt_directive_beats_the_team_policy(client: TestClient) -> None:
    client.put("/_emulator/teams/team-a", json={"progression": "manual", "outcomes": ["failed"]})
    assert poll(client, create(client, prompt="[emulator:instant] [emulator:success] x")) == 1
    assert poll(client, create(client, prompt="[emulator:polls=1] x")) == 8


def test_task_policy_can_finish_a_running_task(client: TestClient, emulator: Emulator) -> None:
    video_id = create(client, prompt="[emulator:manual] x")
    r = client.post(f"/_emulator/tasks/{video_id}/policy",
                    json={"progression": "instant", "outcome": "failed"})
    assert r.status_code == 200 and r.json()["status"] == 8
    assert poll(client, video_id) == 8
    again = client.post(f"/_emulator/tasks/{video_id}/policy", json={"progression": "instant"})
    assert again.status_code == 409


def test_task_seconds_policy_counts_from_creation(client: TestClient, emulator: Emulator) -> None:
    video_id = create(client)
    emulator.advance(3)
    client.post(f"/_emulator/tasks/{video_id}/policy", json={"progression": "seconds:4"})
    assert poll(client, video_id) == 5
    emulator.advance(1)
    assert poll(client, video_id) == 1


@pytest.mark.parametrize(
    "body",
    [{"progression": "sometimes"}, {"progression": "polls:0"}, {"progression": "seconds:-1"},
     {"outcomes": ["great"]}, {"outcomes": []}, {"progression": 5}],
    ids=["unknown", "zero-polls", "negative-seconds", "unknown-outcome", "no-outcomes",
         "not-a-string"],
)
def test_bad_team_policies_are_400013(client: TestClient, body: dict[str, Any]) -> None:
    r = client.put("/_emulator/teams/team-a", json=body)
    assert error_of(r)[1] == 400013
    assert next(iter(body)) in r.json()["ErrMsg"]


def test_team_clock_runs_alone(client: TestClient, emulator: Emulator) -> None:
    mine, theirs = create(client), create(client, key="team-b")
    r = client.post("/_emulator/clock/advance", json={"seconds": 5, "team": "team-a"})
    assert r.json()["now"] == emulator.now() + 5
    team_clock = client.get("/_emulator/clock", params={"team": "team-a"}).json()
    assert team_clock["now"] == r.json()["now"]
    assert poll(client, mine) == 1
    assert poll(client, theirs, key="team-b") == 5


def test_reset_of_one_team_leaves_the_others(client: TestClient, emulator: Emulator) -> None:
    mine, theirs = create(client), create(client, key="team-b")
    client.put("/_emulator/teams/team-a", json={"progression": "manual", "credits": 5})
    emulator.add_fault(FaultRule(route="result", team="team-a", error="429"))
    emulator.advance(2, team="team-a")
    assert client.post("/_emulator/reset", params={"team": "team-a"}).status_code == 200
    assert error_of(client.get(f"/_emulator/tasks/{mine}"))[0] == 404
    assert error_of(client.get("/_emulator/teams/team-a"))[0] == 404
    assert client.get("/_emulator/requests", params={"team": "team-a"}).json()["requests"] == []
    assert emulator.list_faults() == []
    assert client.get("/_emulator/clock", params={"team": "team-a"}).json()["now"] == emulator.now()
    fresh = client.get("/_emulator/teams/team-b").json()
    assert fresh["pending"] == 1 and poll(client, theirs, key="team-b") == 5
    assert client.get("/_emulator/requests", params={"team": "team-b"}).json()["requests"]
    again = create(client)  # the reset team starts over with the defaults
    assert client.get("/_emulator/teams/team-a").json()["progression"] == "seconds:5"
    assert poll(client, again) == 5


class TestConfiguredTeamReset:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"teams": [{"id": "acme", "keys": ["k"], "credits": 40, "outcomes": ["failed"]}]}

    def test_comes_back_as_configured(self, client: TestClient) -> None:
        create(client, key="k")
        client.post("/_emulator/reset", params={"team": "acme"})
        team = client.get("/_emulator/teams/acme").json()
        assert (team["credits"], team["pending"], team["outcomes"]) == (40, 0, ["failed"])
        assert poll(client, create(client, key="k", prompt="[emulator:instant] x"), "k") == 8


def test_journal_filters(client: TestClient) -> None:
    create(client)
    client.get("/openapi/v2/video/result/1", headers={**auth("team-b"), "Ai-trace-id": "t-9"})
    client.post(TEXT, json=text_body(duration=99), headers=auth("team-b"))

    def paths(**params: Any) -> list[tuple[str, int]]:
        entries = client.get("/_emulator/requests", params=params).json()["requests"]
        return [(e["route"], e["status"]) for e in entries]

    assert paths(team="team-a") == [("text", 200)]
    assert paths(route="result") == [("result", 404)]
    assert paths(route="/openapi/v2/video/text") == [("text", 200), ("text", 400)]
    assert paths(status=400) == [("text", 400)]
    assert paths(err_code=404001) == [("result", 404)]
    assert paths(trace_id="t-9") == [("result", 404)]
    entries = client.get("/_emulator/requests", params={"status": 400}).json()["requests"]
    assert entries[0]["reason"] == "schema"
    client.delete("/_emulator/requests", params={"team": "team-b"})
    assert paths() == [("text", 200)]


def test_coverage_lists_what_was_and_was_not_exercised(client: TestClient,
                                                       emulator: Emulator) -> None:
    client.delete("/_emulator/coverage")
    poll(client, create(client, prompt="[emulator:instant] [emulator:failed] x"))
    report = client.get("/_emulator/coverage").json()
    assert report["routes"]["exercised"] == ["result", "text"]
    assert "download" in report["routes"]["missing"]
    assert report["statuses"]["exercised"] == [5, 8] and 1 in report["statuses"]["missing"]
    assert report["directives"]["exercised"] == ["failed", "instant"]
    assert report["err_codes"]["exercised"] == [0] and 402001 in report["err_codes"]["missing"]
    client.post("/_emulator/reset")
    assert client.get("/_emulator/coverage").json() == report  # the run's, not the test's
