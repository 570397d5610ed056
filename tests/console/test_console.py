"""The console over HTTP: its pages, its live fragments, its actions through the control
plane's rules, its CSRF check and its sign-in. (The browser tests drive it end to end.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient
from support import auth, png_bytes, resp, text_body

from pixverse_emulator import Emulator, ManualClock, Settings, create_app
from pixverse_emulator.console.session import COOKIE
from pixverse_emulator.settings import TeamConfig

TEXT = "/openapi/v2/video/text/generate"
UI = "/_emulator/ui"
TOKEN = "console-admin-token"
PAGES = ["", "/overview/live", "/tasks", "/tasks/rows", "/journal", "/journal/rows",
         "/uploads", "/faults", "/snapshots"]


def csrf_of(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(f"{UI}/faults").text)
    assert found is not None
    return found.group(1)


def create(client: TestClient, prompt: str = "a cube") -> int:
    return int(resp(client.post(TEXT, json=text_body(prompt=prompt), headers=auth()))["video_id"])


def test_root_sends_a_person_to_the_console(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (307, UI)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_and_allows_nothing_from_elsewhere(
    client: TestClient, page: str
) -> None:
    create(client)
    answer = client.get(UI + page)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert not re.search(r'(src|href)="(https?:)?//', answer.text)  # nothing off this host


def test_tasks_view_lists_newest_first_and_filters(client: TestClient) -> None:
    first, second = create(client, "first"), create(client, "second")
    rows = client.get(f"{UI}/tasks/rows").text
    assert rows.index(str(second)) < rows.index(str(first))
    assert str(first) not in client.get(f"{UI}/tasks/rows?status=1").text
    assert str(first) in client.get(f"{UI}/tasks/rows?status=5&team=team-a&route=text").text
    assert "No task matches" in client.get(f"{UI}/tasks/rows?team=nobody").text
    assert "No task matches" in client.get(f"{UI}/tasks/rows?route=fusion").text


def test_the_tasks_page_polls_its_rows_every_second_with_its_filters(client: TestClient) -> None:
    page = client.get(f"{UI}/tasks?team=team-a&status=5").text
    assert 'hx-get="/_emulator/ui/tasks/rows?team=team-a&amp;status=5"' in page
    assert 'hx-trigger="every 1s"' in page


def test_the_overview_counts_statuses_and_shows_team_balances(
    client: TestClient, emulator: Emulator
) -> None:
    emulator.put_team("team-a", credits=500)
    video_id = create(client)
    create(client)
    emulator.set_status(video_id, 8)
    live = client.get(f"{UI}/overview/live").text
    assert '<b data-test="count-5">1</b>' in live and '<b data-test="count-8">1</b>' in live
    team = emulator.team("team-a")
    assert f"<td>{team['credits']}</td><td>{team['held']}</td><td>{team['spent']}</td>" in live
    assert team["held"] > 0


def test_succeed_from_the_task_page_goes_through_the_same_edge(
    client: TestClient, emulator: Emulator
) -> None:
    video_id = create(client)
    answer = client.post(f"{UI}/tasks/{video_id}/status",
                         data={"csrf": csrf_of(client), "status": "1"}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(f"{UI}/tasks/{video_id}?notice=")
    result = resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth()))
    assert result["status"] == 1
    live = client.get(f"{UI}/tasks/{video_id}/live").text
    assert f'<video id="result-video" src="{result["url"]}"' in live
    assert "set in the console" in live
    kinds = [e.kind for e in emulator.ledger_entries("team-a") if e.video_id == video_id]
    assert kinds == ["hold", "capture"]
    page = client.get(f"{UI}/tasks/{video_id}").text
    assert "<td>hold</td>" in page and "<td>capture</td>" in page


def test_a_refused_action_comes_back_with_the_rules_reason(client: TestClient) -> None:
    video_id = create(client)
    csrf = csrf_of(client)
    client.post(f"{UI}/tasks/{video_id}/status", data={"csrf": csrf, "status": "8"})
    answer = client.post(f"{UI}/tasks/{video_id}/status", data={"csrf": csrf, "status": "1"})
    assert answer.status_code == 200
    assert "cannot move it to 1 (allowed: 5 -&gt; 1, 6, 7, 8 and 1 -&gt; 6)" in answer.text
    assert 'role="alert"' in answer.text


def test_policy_changes_from_the_console_are_checked(client: TestClient, emulator: Emulator
                                                     ) -> None:
    video_id = create(client)
    csrf = csrf_of(client)
    answer = client.post(f"{UI}/tasks/{video_id}/policy",
                         data={"csrf": csrf, "progression": "sometime", "outcome": ""})
    assert "progression" in answer.text and 'role="alert"' in answer.text
    client.post(f"{UI}/tasks/{video_id}/policy",
                data={"csrf": csrf, "progression": "polls:1", "outcome": "failed"})
    assert (emulator.task(video_id).progression, emulator.task(video_id).outcome) == ("polls:1", 8)
    assert resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth()))["status"] == 8
    timeline = emulator.task(video_id).timeline
    assert [(int(s), why) for _, s, why in timeline] == [(5, "created"),
                                                         (8, "result read 1 (polls:1)")]


def test_a_task_that_falls_due_says_so_in_its_timeline(client: TestClient, emulator: Emulator
                                                       ) -> None:
    video_id = create(client)
    emulator.advance(3600)
    detail = client.get(f"/_emulator/tasks/{video_id}").json()
    assert detail["timeline"][-1]["reason"] == f"due ({detail['progression']})"
    assert detail["timeline"][-1]["reason"] in client.get(f"{UI}/tasks/{video_id}/live").text


@pytest.mark.parametrize("csrf", [None, "", "0" * 64])
def test_every_action_needs_the_consoles_csrf_value(
    client: TestClient, emulator: Emulator, csrf: str | None
) -> None:
    video_id = create(client)
    data = {"status": "1"} if csrf is None else {"status": "1", "csrf": csrf}
    for path in [f"/tasks/{video_id}/status", "/clock/advance", "/faults", "/snapshots",
                 "/faults/1/delete", "/snapshots/restore", "/snapshots/delete"]:
        answer = client.post(UI + path, data=data)
        assert answer.status_code == 401 and "csrf" in answer.json()["ErrMsg"]
    assert emulator.task(video_id).status == 5 and emulator.list_faults() == []


def test_every_form_on_every_page_carries_the_csrf_value(client: TestClient) -> None:
    video_id = create(client)
    expected = csrf_of(client)
    for page in [*PAGES, f"/tasks/{video_id}", f"/tasks/{video_id}/live"]:
        html = client.get(UI + page).text
        forms = re.findall(r'<form method="post".*?</form>', html, flags=re.S)
        values = [re.search(r'name="csrf" value="([^"]*)"', form) for form in forms]
        assert all(v is not None and v.group(1) == expected for v in values), page
    assert 'data-test="succeed"' in client.get(f"{UI}/tasks/{video_id}").text


def test_faults_are_added_and_deleted_from_the_console(client: TestClient, emulator: Emulator
                                                       ) -> None:
    csrf = csrf_of(client)
    client.post(f"{UI}/faults", data={"csrf": csrf, "route": "text", "kind": "error",
                                      "error": "pixverse_balance_too_low", "count": "1"})
    [rule] = emulator.list_faults()
    assert (rule.route, rule.error, rule.count) == ("text", "pixverse_balance_too_low", 1)
    refused = client.post(f"{UI}/faults", data={"csrf": csrf, "route": "text",
                                                "kind": "truncate", "value": "0.5"})
    assert "truncate applies to the download route only" in refused.text
    wrong_method = client.post(f"{UI}/faults", data={"csrf": csrf, "route": "text",
                                                     "kind": "latency", "value": "abc"})
    assert "value: &#39;abc&#39; is not a number" in wrong_method.text
    client.post(f"{UI}/faults/{rule.id}/delete", data={"csrf": csrf})
    assert emulator.list_faults() == []


def test_the_journal_shows_each_error_with_its_reason_and_message(client: TestClient) -> None:
    client.put("/_emulator/teams/team-a", json={"credits": 0})
    refused = client.post(TEXT, json=text_body(), headers=auth())
    assert refused.status_code == 402
    rows = client.get(f"{UI}/journal/rows?errors=1").text
    assert 'data-status="402"' in rows and "<td>402001</td>" in rows
    assert f"balance: {refused.json()['ErrMsg']}" in rows
    assert "No request matches" in client.get(f"{UI}/journal/rows?status=200").text


def test_uploads_show_images_from_this_host_and_urls_as_text(client: TestClient) -> None:
    client.post("/openapi/v2/image/upload", headers=auth(),
                files={"image": ("a.png", png_bytes(40, 30), "image/png")})
    client.post("/openapi/v2/image/upload", headers=auth(),
                data={"image_url": "https://example.com/elsewhere.png"})
    page = client.get(f"{UI}/uploads").text
    assert re.search(r'<img src="http://testserver/files/[^"]+/image\.png"', page)
    assert "<dt>width</dt><dd>40</dd>" in page
    assert "<code>https://example.com/elsewhere.png</code>" in page
    assert 'src="https://example.com' not in page


def test_snapshots_are_saved_restored_and_deleted_from_the_console(
    client: TestClient, emulator: Emulator
) -> None:
    csrf = csrf_of(client)
    video_id = create(client)
    client.post(f"{UI}/snapshots", data={"csrf": csrf, "name": "before"})
    emulator.set_status(video_id, 8)
    page = client.post(f"{UI}/snapshots/restore", data={"csrf": csrf, "name": "before"}).text
    assert "Restored snapshot &#39;before&#39;" in page
    assert emulator.task(video_id).status == 5
    assert 'href="/_emulator/snapshots/before" download' in page
    assert client.get("/_emulator/snapshots/before").status_code == 200
    client.post(f"{UI}/snapshots/delete", data={"csrf": csrf, "name": "before"})
    assert emulator.list_snapshots() == []


def test_advance_buttons_only_on_a_manual_clock(client: TestClient, emulator: Emulator) -> None:
    before = emulator.clock.now()
    page = client.post(f"{UI}/clock/advance", data={"csrf": csrf_of(client), "seconds": "60"})
    assert emulator.clock.now() == before + 60 and "Clock advanced by 60 s" in page.text
    refused = client.post(f"{UI}/clock/advance", data={"csrf": csrf_of(client), "seconds": "-1"})
    assert 'role="alert"' in refused.text and emulator.clock.now() == before + 60


def test_a_wall_clock_console_has_no_advance_buttons(tmp_path: object) -> None:
    emulator = Emulator(Settings(clock="wall", quiet=True))
    try:
        with TestClient(create_app(emulator)) as client:
            page = client.get(UI).text
            assert '<span data-test="clock-mode">wall</span>' in page
            assert "/clock/advance" not in page
    finally:
        emulator.close()


# -- sign-in --------------------------------------------------------------------------


@pytest.fixture
def locked() -> Iterator[TestClient]:
    settings = Settings(clock="manual", quiet=True, admin_token=TOKEN,
                        teams=[TeamConfig(id="team-a", keys=["team-a"], credits=100)])
    emulator = Emulator(settings, clock=ManualClock(0))
    with TestClient(create_app(emulator)) as client:
        yield client
    emulator.close()


def sign_in(client: TestClient, token: str = TOKEN) -> None:
    client.post(f"{UI}/sign-in", data={"token": token}, follow_redirects=False)


def test_a_locked_console_sends_a_browser_to_sign_in(locked: TestClient) -> None:
    for page in PAGES:
        answer = locked.get(UI + page, follow_redirects=False)
        wanted = quote(UI + page, safe="")
        assert (answer.status_code, answer.headers["location"]) == (
            303, f"{UI}/sign-in?next={wanted}")
    assert 'type="password" name="token"' in locked.get(f"{UI}/sign-in").text
    assert locked.get("/_emulator/static/console.css").status_code == 200


def test_signing_in_sets_a_strict_httponly_cookie_that_is_not_the_token(
    locked: TestClient
) -> None:
    answer = locked.post(f"{UI}/sign-in", data={"token": TOKEN}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, UI)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and TOKEN not in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/_emulator" in cookie
    assert locked.get(UI).status_code == 200
    assert locked.get("/_emulator/clock").json()["mode"] == "manual"  # reads open too


@pytest.mark.parametrize(("wanted", "landing"), [
    (f"{UI}/tasks?status=5", f"{UI}/tasks?status=5"),
    ("https://elsewhere.example/", UI), ("//elsewhere.example/x", UI), ("/openapi.json", UI),
    (f"{UI}/sign-in", UI), ("/_emulator/ui\\@elsewhere", UI), (None, UI),
])
def test_signing_in_returns_to_the_console_page_asked_for_and_nowhere_else(
    locked: TestClient, wanted: str | None, landing: str
) -> None:
    asked = locked.get(f"{UI}/sign-in", params={} if wanted is None else {"next": wanted})
    assert f'name="next" value="{landing}"'.replace("&", "&amp;") in asked.text
    data = {"token": TOKEN} | ({} if wanted is None else {"next": wanted})
    answer = locked.post(f"{UI}/sign-in", data=data, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, landing)


def test_a_wrong_token_is_refused_and_sets_nothing(locked: TestClient) -> None:
    answer = locked.post(f"{UI}/sign-in", data={"token": "guess"}, follow_redirects=False)
    assert answer.status_code == 401 and "set-cookie" not in answer.headers
    assert "not this emulator&#39;s admin token" in answer.text
    assert locked.get(UI, follow_redirects=False).status_code == 303


def test_the_session_cookie_opens_no_write_outside_the_console(locked: TestClient) -> None:
    sign_in(locked)
    assert locked.post("/_emulator/reset").status_code == 401
    value = locked.cookies[COOKIE]
    locked.cookies.clear()
    as_bearer = locked.get("/_emulator/clock", headers={"Authorization": f"Bearer {value}"})
    assert as_bearer.status_code == 401


def test_signed_in_actions_still_need_csrf_and_sign_out_ends_the_session(
    locked: TestClient
) -> None:
    sign_in(locked)
    video_id = create(locked)
    csrf = csrf_of(locked)
    assert locked.post(f"{UI}/tasks/{video_id}/status", data={"status": "1"}).status_code == 401
    locked.post(f"{UI}/tasks/{video_id}/status", data={"csrf": csrf, "status": "1"})
    assert resp(locked.get(f"/openapi/v2/video/result/{video_id}", headers=auth()))["status"] == 1
    answer = locked.post(f"{UI}/sign-out", data={"csrf": csrf}, follow_redirects=False)
    assert answer.headers["location"] == f"{UI}/sign-in" and COOKIE not in locked.cookies
    assert locked.get(UI, follow_redirects=False).status_code == 303
