"""The console end to end in a real headless Chromium against the CLI as users start it:
a task made through the API shows up live, a click settles it, the result plays inline,
the journal explains a refusal, and the page asks nothing of any other host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page
from processes import served
from support import text_body

TEXT = "/openapi/v2/video/text/generate"
KEY = {"Authorization": "Bearer browser-team"}
TOKEN = "console-browser-token"
WAIT_MS = 10_000  # generous: the page polls every 1 s; a shared CI core can be slow


@pytest.fixture
def emulator_url() -> Iterator[str]:
    with served() as (_, base):
        yield base


@pytest.fixture
def page(browser: Browser, emulator_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    hosts: list[str] = []
    opened.on("request", lambda request: hosts.append(urlsplit(request.url).netloc))
    yield opened
    context.close()
    # Everything the page loaded (styles, htmx, fragments, the video) came from here.
    assert hosts and set(hosts) == {urlsplit(emulator_url).netloc}


def shoot(page: Page, folder: Path | None, name: str) -> None:
    if folder is not None:
        page.screenshot(path=str(folder / f"console-{name}.png"), full_page=True)


def create(base: str, prompt: str, headers: dict[str, str] = KEY) -> httpx.Response:
    return httpx.post(base + TEXT, json=text_body(prompt=prompt, duration=2, quality="540p",
                                                  aspect_ratio="4:3"), headers=headers)


def test_a_task_shows_up_live_succeeds_with_a_click_and_plays_inline(
    page: Page, emulator_url: str, screenshots: Path | None
) -> None:
    page.goto(f"{emulator_url}/_emulator/ui/tasks")
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads
    video_id = create(emulator_url, "a red kite over a beach").json()["Resp"]["video_id"]

    row = page.locator(f'tr[data-video-id="{video_id}"]')
    row.wait_for(timeout=WAIT_MS)
    assert page.evaluate("window.loadedOnce") is True
    assert "5 running" in row.inner_text()
    shoot(page, screenshots, "tasks")

    row.get_by_role("link", name=str(video_id)).click()
    page.locator('[data-test="succeed"]').click()
    page.wait_for_url(f"**/_emulator/ui/tasks/{video_id}?notice=*")
    result = httpx.get(f"{emulator_url}/openapi/v2/video/result/{video_id}", headers=KEY)
    answer = result.json()["Resp"]
    assert answer["status"] == 1

    page.wait_for_function("document.getElementById('result-video').readyState >= 1",
                           timeout=WAIT_MS)
    played = page.evaluate("(({videoWidth, videoHeight, duration}) =>"
                           " ({videoWidth, videoHeight, duration}))"
                           "(document.getElementById('result-video'))")
    assert (played["videoWidth"], played["videoHeight"]) == (
        answer["outputWidth"], answer["outputHeight"])
    assert played["duration"] == pytest.approx(2, abs=0.05)
    timeline = page.locator("#task-live table").inner_text()
    assert "set in the console" in timeline
    shoot(page, screenshots, "task")


def test_the_journal_shows_a_refusal_with_its_reason(
    page: Page, emulator_url: str, screenshots: Path | None
) -> None:
    httpx.put(f"{emulator_url}/_emulator/teams/broke", json={"credits": 0, "keys": ["broke-key"]})
    page.goto(f"{emulator_url}/_emulator/ui/journal")
    refused = create(emulator_url, "a castle", {"API-KEY": "broke-key"})
    assert refused.status_code == 402

    row = page.locator('#journal-rows tr[data-status="402"]')
    row.wait_for(timeout=WAIT_MS)
    shown = row.inner_text()
    assert "402001" in shown and refused.json()["ErrMsg"] in shown
    shoot(page, screenshots, "journal")
    page.goto(f"{emulator_url}/_emulator/ui")
    page.get_by_text("broke").first.wait_for(timeout=WAIT_MS)
    shoot(page, screenshots, "overview")


def test_with_an_admin_token_the_console_asks_for_it_and_keeps_it_in_a_strict_cookie(
    browser: Browser,
) -> None:
    with served("--admin-token", TOKEN) as (_, base):
        context = browser.new_context()
        page = context.new_page()
        video_id = create(base, "a lighthouse").json()["Resp"]["video_id"]
        page.goto(f"{base}/_emulator/ui/tasks/{video_id}")
        assert "/_emulator/ui/sign-in" in page.url

        page.fill('input[name="token"]', "not-the-token")
        page.get_by_role("button", name="Sign in").click()
        assert page.locator(".error").is_visible()
        page.fill('input[name="token"]', TOKEN)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"**/_emulator/ui/tasks/{video_id}")
        (cookie,) = context.cookies()
        assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (
            True, "Strict", "/_emulator")
        assert TOKEN not in cookie["value"]
        assert page.evaluate("document.cookie") == ""  # no script can read it

        page.locator('[data-test="fail"]').click()
        page.wait_for_url(f"**/_emulator/ui/tasks/{video_id}?notice=*")
        status = httpx.get(f"{base}/openapi/v2/video/result/{video_id}", headers=KEY)
        assert status.json()["Resp"]["status"] == 8
        context.close()
