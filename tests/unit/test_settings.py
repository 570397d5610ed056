from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pixverse_emulator.clock import ManualClock
from pixverse_emulator.settings import Settings


def test_defaults() -> None:
    s = Settings()
    assert (s.host, s.port, s.auth, s.default_credits, s.default_pending_cap) == (
        "127.0.0.1", 8080, "open", 10_000, 10)
    assert (s.clock, s.run_seconds) == ("wall", 5.0)
    assert (s.image_upload_limit, s.media_upload_limit) == (20 * 2**20, 200 * 2**20)


def test_layers_toml_then_env_then_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    config = tmp_path / "emulator.toml"
    config.write_text(
        'auth = "strict"\nrun_seconds = 0.5\ndefault_credits = 1\n'
        '[[teams]]\nid = "acme"\nkeys = ["k1", "k2"]\ncredits = 50\npending_cap = 2\n'
    )
    monkeypatch.setenv("PIXVERSE_EMULATOR_DEFAULT_CREDITS", "7")
    monkeypatch.setenv("PIXVERSE_EMULATOR_PORT", "9000")
    s = Settings.load(config, port=9100, host=None)
    assert (s.auth, s.run_seconds, s.default_credits, s.port, s.host) == (
        "strict", 0.5, 7, 9100, "127.0.0.1")
    assert s.teams[0].keys == ("k1", "k2") and s.teams[0].pending_cap == 2


def test_bad_values_name_the_setting(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('auth = "sometimes"\n')
    with pytest.raises(ValidationError, match="auth"):
        Settings.load(config)


def test_manual_clock_moves_only_forward() -> None:
    clock = ManualClock(100.0)
    assert clock.advance(0.25) == 100.25
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.advance(float("nan"))
    assert clock.now() == 100.25
