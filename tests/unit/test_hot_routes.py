"""The shortcuts of `http/hot_routes.py` give what the slow way gives."""

from __future__ import annotations

import pytest

from pixverse_emulator.errors import InvalidField
from pixverse_emulator.http.hot_routes import VIDEO_ID, path_video_id

IDS = ["007", "123", "0", "\u0661\u0662", "+5", "-4", "12ab", "9" * 18, "9" * 19, "9" * 40,
       " 5", "5 ", "", "1_000", "1e3", "0x10", "\uff11"]


@pytest.mark.parametrize("text", IDS)
def test_a_path_id_converts_as_pydantic_converts_it(text: str) -> None:
    try:
        expected: int | None = VIDEO_ID.validate_python(text)
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(InvalidField):
            path_video_id(text)
    else:
        assert path_video_id(text) == expected
