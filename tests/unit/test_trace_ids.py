"""`TraceIds` is a mapping from (team, trace id) pairs, kept per team."""

from __future__ import annotations

import pytest

from pixverse_emulator.domain.trace_ids import TraceIds


def test_reads_and_writes_like_a_dict_of_pairs() -> None:
    ids = TraceIds()
    ids["a", "t1"] = 1
    ids["a", "t2"] = 2
    ids["b", "t1"] = 3
    assert dict(ids) == {("a", "t1"): 1, ("a", "t2"): 2, ("b", "t1"): 3}
    assert ids == {("a", "t1"): 1, ("a", "t2"): 2, ("b", "t1"): 3}
    assert ("a", "t2") in ids and ("c", "t1") not in ids and ("a", "t3") not in ids
    assert (ids.find("b", "t1"), ids.find("b", "t2"), ids.find("c", "t1")) == (3, None, None)
    del ids["a", "t1"]
    with pytest.raises(KeyError):
        del ids["a", "t1"]
    assert len(ids) == 2 and ids.get(("a", "t1")) is None


def test_teams_come_and_go_whole() -> None:
    ids = TraceIds()
    ids.add_all([("a", "t1", 1), ("b", "t1", 2), ("b", "t2", 3)])
    assert ids.of_team("b") == {"t1": 2, "t2": 3}
    ids.drop_team("b")
    del ids["a", "t1"]
    assert len(ids) == 0 and list(ids) == [] and ids.of_team("a") == {}
