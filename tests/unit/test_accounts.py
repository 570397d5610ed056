from __future__ import annotations

import pytest

from pixverse_emulator.domain.accounts import Accounts, Team
from pixverse_emulator.errors import Conflict


def test_open_mode_maps_unlisted_keys_to_their_own_team() -> None:
    accounts = Accounts("open")
    accounts.add(Team("acme", 10, {"k1"}))
    assert accounts.team_id_for("k1") == "acme"
    assert accounts.team_id_for("other") == "other"
    assert accounts.team_id_for("") is None


def test_strict_mode_only_knows_listed_keys() -> None:
    accounts = Accounts("strict")
    accounts.add(Team("acme", 10, {"k1"}))
    assert accounts.team_id_for("k1") == "acme"
    assert accounts.team_id_for("acme") is None


def test_set_keys_replaces_and_refuses_another_teams_key() -> None:
    accounts = Accounts("strict")
    accounts.add(Team("a", 1, {"k1", "k2"}))
    accounts.add(Team("b", 1))
    accounts.set_keys("a", ["k2", "k3"])
    assert [accounts.team_id_for(k) for k in ("k1", "k2", "k3")] == [None, "a", "a"]
    with pytest.raises(Conflict):
        accounts.set_keys("b", ["k3"])


def test_remove_forgets_the_keys() -> None:
    accounts = Accounts("strict")
    accounts.add(Team("a", 1, {"k"}))
    accounts.remove("a")
    assert accounts.team_id_for("k") is None and accounts.get("a") is None
