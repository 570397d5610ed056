"""Concurrent requests cannot overspend credits or overrun the pending cap."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
from support import auth, text_body

from pixverse_emulator import Emulator, create_app
from pixverse_emulator.domain.schemas import TextCreate


def test_concurrent_http_creates_respect_balance_and_cap(emulator: Emulator) -> None:
    emulator.put_team("team-a", credits=30, pending_cap=8)  # 10 creates' worth; cap 8

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=create_app(emulator))
        async with httpx.AsyncClient(transport=transport, base_url="http://emu") as client:
            calls = [client.post("/openapi/v2/video/text/generate", json=text_body(),
                                 headers=auth()) for _ in range(40)]
            return [r.json()["ErrCode"] for r in await asyncio.gather(*calls)]

    codes = asyncio.run(burst())
    assert codes.count(0) == 8 and set(codes) == {0, 429001}
    team = emulator.team("team-a")
    assert (team["credits"], team["held"], team["pending"]) == (6, 24, 8)


def test_threads_hammering_submit_never_go_negative(emulator: Emulator) -> None:
    emulator.put_team("team-a", credits=100, pending_cap=1000)
    request = TextCreate.model_validate(text_body())

    def submit(_: int) -> bool:
        try:
            emulator.submit("team-a", "text", request)
            return True
        except Exception:
            return False

    with ThreadPoolExecutor(8) as pool:
        accepted = sum(pool.map(submit, range(200)))
    account = emulator.ledger.account("team-a")
    assert accepted == 33 and account.available == 1 and account.held == 99
