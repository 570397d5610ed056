from __future__ import annotations

import pytest

from pixverse_emulator.domain.accounts import Accounts, Team, key_hash
from pixverse_emulator.errors import Conflict


def with_keys(accounts: Accounts, team_id: str, *keys: str) -> Accounts:
    accounts.add(Team(team_id, 10))
    accounts.set_keys(team_id, keys)
    return accounts


def test_open_mode_maps_unlisted_keys_to_their_own_team() -> None:
    accounts = with_keys(Accounts("open"), "acme", "k1")
    assert accounts.team_id_for("k1") == "acme"
    assert accounts.team_id_for("other") == "other"
    assert accounts.team_id_for("") is None


def test_in_open_mode_a_team_id_is_no_key_to_a_team_with_keys() -> None:
    accounts = with_keys(Accounts("open"), "acme", "k1")
    accounts.add(Team("keyless", 10))
    assert accounts.team_id_for("acme") is None
    assert accounts.team_id_for("keyless") == "keyless"  # a team its own key opened


def test_strict_mode_only_knows_listed_keys() -> None:
    accounts = with_keys(Accounts("strict"), "acme", "k1")
    assert accounts.team_id_for("k1") == "acme"
    assert accounts.team_id_for("acme") is None


def test_keys_are_kept_as_hashes_only() -> None:
    accounts = with_keys(Accounts("strict"), "acme", "secret-key-1")
    team = accounts.get("acme")
    assert team is not None and team.keys == {key_hash("secret-key-1")}
    assert "secret-key-1" not in repr(team) and "secret-key-1" not in repr(accounts.__dict__)
    restored = Accounts("strict")
    restored.add(Team("acme", 10, set(team.keys)))  # as a store or snapshot gives it back
    assert restored.team_id_for("secret-key-1") == "acme"


def test_set_keys_replaces_and_refuses_another_teams_key_without_saying_it() -> None:
    accounts = with_keys(Accounts("strict"), "a", "k1", "k2")
    with_keys(accounts, "b")
    accounts.set_keys("a", ["k2", "k3"])
    assert [accounts.team_id_for(k) for k in ("k1", "k2", "k3")] == [None, "a", "a"]
    with pytest.raises(Conflict) as refused:
        accounts.set_keys("b", ["k3"])
    assert "k3" not in refused.value.message and "'a'" in refused.value.message


def test_remove_forgets_the_keys() -> None:
    accounts = with_keys(Accounts("strict"), "a", "k")
    accounts.remove("a")
    assert accounts.team_id_for("k") is None and accounts.get("a") is None


def test_only_short_keys_and_header_values_are_memoised() -> None:
    """A client's key is hashed and parsed once while it keeps sending it; a long one
    (headers may be megabytes) is worked out each time and never held."""
    from pixverse_emulator.domain import accounts
    from pixverse_emulator.http import hot_routes

    short, long = "k" * 16, "k" * (accounts.KEY_MEMO_MAX + 1)
    for key in (short, long):
        header = [(b"authorization", b"Bearer " + key.encode())]
        assert hot_routes.api_key_in(header) == key
        assert accounts.key_hash(key) == accounts._hash(key)
    accounts._memo_hash.cache_clear()
    hot_routes._memo_key_of.cache_clear()
    accounts.key_hash(long)
    hot_routes.api_key_in([(b"authorization", b"Bearer " + long.encode())])
    assert accounts._memo_hash.cache_info().currsize == 0
    assert hot_routes._memo_key_of.cache_info().currsize == 0
    accounts.key_hash(short)
    hot_routes.api_key_in([(b"authorization", b"Bearer " + short.encode())])
    assert accounts._memo_hash.cache_info().currsize == 1
    assert hot_routes._memo_key_of.cache_info().currsize == 1
