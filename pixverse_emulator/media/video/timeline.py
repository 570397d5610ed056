"""Sample timing: fixed-length samples with the last one trimmed to an exact total.

A track's duration is the sum of its sample durations (ISO/IEC 14496-12 8.6.1.2), so
shortening only the last sample's stts delta makes any track last exactly the requested
time while every other sample keeps its natural length.
"""

from __future__ import annotations

__all__ = ["sample_count", "sample_durations", "to_ticks"]


def to_ticks(duration: float, timescale: int) -> int:
    """``duration`` seconds in units of 1/``timescale`` s, at least one tick."""
    return max(1, round(duration * timescale))


def sample_count(total_ticks: int, sample_ticks: int) -> int:
    """Samples of ``sample_ticks`` needed to cover ``total_ticks`` (the last may be partial)."""
    return -(-total_ticks // sample_ticks)


def sample_durations(total_ticks: int, sample_ticks: int) -> list[tuple[int, int]]:
    """stts runs (count, delta): whole samples, then one trimmed so the sum is exact."""
    count = sample_count(total_ticks, sample_ticks)
    last = total_ticks - sample_ticks * (count - 1)
    return [(count - 1, sample_ticks), (1, last)]
