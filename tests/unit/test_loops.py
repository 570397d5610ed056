"""The servers' event loop: uvloop where installed, in a form that takes the instance
attribute the TLS handshake deadline needs; asyncio's where uvloop is missing."""

from __future__ import annotations

import asyncio
import sys

import pytest

from pixverse_emulator.http.loops import event_loop


def test_uvloop_when_installed_and_it_takes_the_handshake_wrapper() -> None:
    uvloop = pytest.importorskip("uvloop", reason="uvloop does not build on this platform")
    loop = event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
        loop.create_server = lambda *a, **k: None  # type: ignore[method-assign]
        del loop.create_server  # what serving.Server.startup does around startup
    finally:
        loop.close()


def test_asyncio_when_uvloop_cannot_be_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` now fails
    loop = event_loop()
    try:
        assert isinstance(loop, asyncio.BaseEventLoop)  # the standard library's
        assert "uvloop" not in type(loop).__module__
    finally:
        loop.close()
