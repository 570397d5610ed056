from __future__ import annotations

from typing import Any

import pytest

from pixverse_emulator.domain.ledger import Ledger
from pixverse_emulator.errors import InsufficientCredits


def balances(ledger: Ledger, team: str) -> tuple[int, int, int, int]:
    a = ledger.account(team)
    return a.available, a.held, a.spent, a.granted


def test_hold_capture_release_move_credits_between_buckets() -> None:
    ledger = Ledger()
    ledger.open("t", 100, at=0)
    ledger.hold("t", 1, 30, at=1)
    ledger.hold("t", 2, 20, at=2)
    assert balances(ledger, "t") == (50, 50, 0, 100)
    ledger.capture("t", 1, at=3)
    ledger.release("t", 2, at=4)
    assert balances(ledger, "t") == (70, 0, 30, 100)
    entries = ledger.account("t").entries
    assert [(e.seq, e.time, e.kind, e.amount, e.video_id, e.balance) for e in entries] == [
        (1, 0, "grant", 100, None, 100),
        (2, 1, "hold", 30, 1, 70),
        (3, 2, "hold", 20, 2, 50),
        (4, 3, "capture", 30, 1, 50),
        (5, 4, "release", 20, 2, 70),
    ]


def test_hold_beyond_available_is_refused_and_changes_nothing() -> None:
    ledger = Ledger()
    ledger.open("t", 10, at=0)
    with pytest.raises(InsufficientCredits, match="costs 11 credits"):
        ledger.hold("t", 1, 11, at=1)
    assert balances(ledger, "t") == (10, 0, 0, 10)
    assert len(ledger.account("t").entries) == 1


def test_hold_of_exactly_the_balance_is_allowed() -> None:
    ledger = Ledger()
    ledger.open("t", 10, at=0)
    ledger.hold("t", 1, 10, at=0)
    assert balances(ledger, "t") == (0, 10, 0, 10)


def test_set_available_records_the_difference_as_a_grant() -> None:
    ledger = Ledger()
    ledger.open("t", 10, at=0)
    ledger.hold("t", 1, 4, at=0)
    ledger.set_available("t", 2, at=5)
    assert balances(ledger, "t") == (2, 4, 0, 6)
    assert ledger.account("t").entries[-1].amount == -4
    with pytest.raises(ValueError):
        ledger.set_available("t", -1, at=5)


def test_capture_or_release_of_an_unknown_hold_fails_loudly() -> None:
    ledger = Ledger()
    ledger.open("t", 10, at=0)
    with pytest.raises(KeyError):
        ledger.capture("t", 99, at=0)


def test_a_long_ledger_keeps_only_its_newest_entries_in_memory() -> None:
    """Memory mode spills the older half to the temp folder; reads see them all."""
    from pixverse_emulator import Emulator, Settings
    from pixverse_emulator.domain.ledger import RECENT_MAX
    from pixverse_emulator.domain.schemas import TextCreate

    request = TextCreate.model_validate({
        "model": "pixverse-c1", "prompt": "x [emulator:instant]", "duration": 1,
        "quality": "360p", "aspect_ratio": "16:9"})
    emulator = Emulator(Settings(clock="manual", default_credits=10**9))
    for _ in range(RECENT_MAX):  # a hold and a capture each: twice the limit
        emulator.submit("t", "text", request)
    account = emulator.world.ledger.account("t")
    assert len(account.recent) <= RECENT_MAX and account.count == 2 * RECENT_MAX + 1
    entries = emulator.ledger_entries("t")
    assert [e.seq for e in entries] == list(range(1, 2 * RECENT_MAX + 2))
    assert entries[-1].balance == account.available
    emulator.reset("t")  # a new ledger: nothing spilled before is its
    emulator.submit("t", "text", request)
    assert [e.kind for e in emulator.ledger_entries("t")] == ["grant", "hold", "capture"]
    emulator.close()


def test_a_data_folder_keeps_written_entries_out_of_memory(tmp_path: Any) -> None:
    from pixverse_emulator import Emulator, Settings

    emulator = Emulator(Settings(clock="manual", data_dir=str(tmp_path)))
    for credits in (5, 6, 7):
        emulator.put_team("t", credits=credits)
    account = emulator.world.ledger.account("t")
    assert account.recent == [] and account.count == 4
    assert [e.balance for e in emulator.ledger_entries("t")] == [10_000, 5, 6, 7]
    emulator.close()


def test_spilled_entries_keep_their_pool(tmp_path: Any) -> None:
    from pixverse_emulator.domain.ledger import RECENT_MAX
    from pixverse_emulator.store.spill import FileSpill

    ledger = Ledger(FileSpill(tmp_path))
    ledger.open("t", 0, 0.0)
    ledger.set_package("t", 10**6, 0.0)
    for video_id in range(RECENT_MAX):  # package holds and releases, past the limit
        ledger.hold("t", video_id, 1, 1.0)
        ledger.release("t", video_id, 2.0)
    account = ledger.account("t")
    assert len(account.recent) < account.count  # some went to the spill file
    pools = {e.pool for e in account.entries if e.kind in ("hold", "release")}
    assert pools == {"package"} and account.package == 10**6 and account.monthly == 0
