from __future__ import annotations

import pytest

from pixverse_emulator.domain import rules


def test_smoke_price_is_three_credits() -> None:
    assert rules.price("pixverse-c1", "360p", 1, False) == 3


@pytest.mark.parametrize("model", rules.MODELS)
@pytest.mark.parametrize("quality", list(rules.LONG_EDGE))
def test_audio_costs_more_and_price_scales_with_seconds(model: str, quality: str) -> None:
    assert rules.price(model, quality, 1, True) > rules.price(model, quality, 1, False)
    assert rules.price(model, quality, 15, False) == 15 * rules.price(model, quality, 1, False)


@pytest.mark.parametrize(
    ("size", "ratio"),
    [((640, 480), "4:3"), ((1080, 1920), "9:16"), ((1000, 1001), "1:1"), ((2100, 900), "21:9"),
     ((600, 900), "2:3"), ((4000, 10), "21:9"), ((10, 4000), "9:16")],
)
def test_nearest_ratio(size: tuple[int, int], ratio: str) -> None:
    assert rules.nearest_ratio(*size) == ratio


def test_every_ratio_and_quality_has_an_even_output_size() -> None:
    for ratio in rules.ASPECT_RATIOS:
        for quality, long_edge in rules.LONG_EDGE.items():
            w, h = rules.output_size(quality, ratio)
            assert max(w, h) == long_edge and w % 2 == 0 and h % 2 == 0
