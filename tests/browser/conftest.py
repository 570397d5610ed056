"""A real headless Chromium (Debian's `chromium`, driven by Playwright) for the console's
end-to-end tests. `.ci/run` installs the browser; a machine without it fails here with the
command that installs it, rather than skipping the proof."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

# Quiet, offline and container-safe: no sandbox (CI runs as root), no GPU, and none of
# Chromium's own calls home, so the request log below holds only what the page asked for.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-default-apps", "--metrics-recording-only", "--mute-audio"]
SCREENSHOTS = "PIXVERSE_EMULATOR_SCREENSHOTS"


def chromium_path() -> str:
    """The browser binary: $PIXVERSE_EMULATOR_CHROMIUM, else Debian's (behind its wrapper
    script, which only adds flags we set ourselves)."""
    for candidate in (os.environ.get("PIXVERSE_EMULATOR_CHROMIUM"), "/usr/lib/chromium/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("no Chromium: install it with `apt-get install -y chromium chromium-driver` "
                "or point PIXVERSE_EMULATOR_CHROMIUM at a Chromium binary")


# Module scope, not session: Playwright's sync API keeps an event loop running on this
# thread while it is open, and any later test in the worker that starts its own loop
# (asyncio.run, anyio.run) would fail with "another loop is running".
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=chromium_path(), args=ARGS)
    yield launched
    launched.close()


@pytest.fixture
def screenshots() -> Path | None:
    """Where to save the README's screenshots: `docs/` when PIXVERSE_EMULATOR_SCREENSHOTS=1,
    else nowhere, so a normal run leaves the checkout clean."""
    if os.environ.get(SCREENSHOTS) != "1":
        return None
    folder = Path(__file__).resolve().parents[2] / "docs"
    folder.mkdir(exist_ok=True)
    return folder
