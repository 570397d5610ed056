"""Unit tests of the bitstream building blocks of the video writer (no decoder needed)."""

from __future__ import annotations

import collections
import importlib.util
import random
import re
from pathlib import Path
from types import ModuleType

import pytest

from pixverse_emulator.media.video import aac, bits, color, h264, levels, timeline, video_color

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (0, "1"),
        (1, "010"),
        (2, "011"),
        (3, "00100"),
        (6, "00111"),
        (7, "0001000"),
        (25, "000011010"),
    ],
)
def test_ue_matches_table_9_2(value: int, code: str) -> None:
    assert bits.ue(value) == code


@pytest.mark.parametrize(
    ("value", "code"), [(0, "1"), (1, "010"), (-1, "011"), (2, "00100"), (-2, "00101")]
)
def test_se_maps_signed_values(value: int, code: str) -> None:
    assert bits.se(value) == code


def test_fixed_width_fields_reject_overflow() -> None:
    assert bits.u(4, 5) == "0101"
    assert bits.u(0, 0) == ""
    with pytest.raises(ValueError):
        bits.u(3, 8)
    with pytest.raises(ValueError):
        bits.ue(-1)


def test_rbsp_appends_stop_bit_and_alignment() -> None:
    assert bits.BitWriter().u(3, 0b101).rbsp() == bytes([0b1011_0000])
    assert bits.BitWriter().u(8, 0xAB).rbsp() == bytes([0xAB, 0x80])
    writer = bits.BitWriter().bits("101").align_zero()
    assert writer.getvalue() == "10100000"


@pytest.mark.parametrize(
    ("rbsp", "escaped"),
    [
        ("000001", "00000301"),
        ("000000", "0000030003"),
        ("00000080", "0000030080"),
        ("000002", "00000302"),
        ("000003", "00000303"),
        ("000004", "000004"),
        ("0000000001", "00000300000301"),
        ("00000000", "000003000003"),  # final 0x00 gets a trailing 0x03 (7.4.1)
        ("ab0000ab", "ab0000ab"),
        ("0000", "000003"),
    ],
)
def test_emulation_prevention_examples(rbsp: str, escaped: str) -> None:
    assert bits.emulation_prevention(bytes.fromhex(rbsp)).hex() == escaped


def _unescape(payload: bytes) -> bytes:
    """The reverse of emulation prevention: drop each 0x03 that follows 0x0000 (7.4.1.1)."""
    return re.sub(rb"\x00\x00\x03", b"\x00\x00", payload)


def test_emulation_prevention_never_leaves_a_start_code_and_round_trips() -> None:
    rng = random.Random(1234)
    for _ in range(500):
        rbsp = bytes(rng.choice((0, 0, 0, 1, 2, 3, 4, 0x80)) for _ in range(rng.randrange(1, 40)))
        rbsp += b"\x80"  # a real RBSP ends in its stop bit
        payload = bits.emulation_prevention(rbsp)
        assert re.search(rb"\x00\x00[\x00-\x02]", payload) is None
        assert re.search(rb"\x00\x00\x03[^\x00-\x03]", payload) is None
        assert _unescape(payload) == rbsp


def test_nal_unit_header() -> None:
    assert bits.nal_unit(3, 7, b"\x42")[0] == 0x67
    assert bits.nal_unit(2, 1, b"\x42")[0] == 0x41


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (16, 16, 10),
        (176, 144, 11),
        (640, 360, 30),
        (1280, 720, 31),
        (1920, 1080, 40),
        (4096, 2, 40),
        (2048, 1080, 42),
        (2560, 1440, 50),
        (4096, 2160, 51),
        (4096, 4096, 60),
    ],
)
def test_level_is_lowest_that_fits(width: int, height: int, expected: int) -> None:
    picture = h264.Picture(width, height)
    assert levels.level_idc(picture.mb_width, picture.mb_height, h264.FRAME_RATE) == expected


@pytest.mark.parametrize(
    ("width", "height", "chroma", "crop_unit", "mbs"),
    [
        (640, 360, 1, 2, (40, 23)),
        (641, 359, 3, 1, (41, 23)),
        (2, 2, 1, 2, (1, 1)),
        (17, 32, 3, 1, (2, 2)),
        (4096, 4096, 1, 2, (256, 256)),
    ],
)
def test_picture_geometry(
    width: int, height: int, chroma: int, crop_unit: int, mbs: tuple[int, int]
) -> None:
    picture = h264.Picture(width, height)
    assert picture.chroma_format_idc == chroma
    assert picture.crop_unit == crop_unit
    assert (picture.mb_width, picture.mb_height) == mbs
    assert picture.profile_idc == (66 if chroma == 1 else 244)


def test_sps_starts_with_profile_and_level() -> None:
    sps = h264.sequence_parameter_set(h264.Picture(1920, 1080))
    assert sps[:4] == bytes([0x67, 66, 0xC0, 40])  # Constrained Baseline, level 4.0
    assert b"\x00\x00\x03" in sps  # num_units_in_tick = 1 needs emulation prevention
    high = h264.sequence_parameter_set(h264.Picture(641, 359))
    assert high[:4] == bytes([0x67, 244, 0, 30])


def test_idr_slice_is_mostly_one_repeated_byte() -> None:
    # 4:2:0 I_16x16 macroblocks without residual are exactly 8 bits (00100 1 1 1), so after
    # the I_PCM macroblock the slice is one byte value repeated (at some bit offset).
    idr = h264.idr_slice(h264.Picture(1920, 1080), (81, 90, 240))
    assert idr[0] == 0x65
    assert collections.Counter(idr).most_common(1)[0][1] > 8000


def test_p_slices_cycle_through_max_frame_num() -> None:
    picture = h264.Picture(320, 240)
    slices = {h264.p_skip_slice(picture, n) for n in range(2 * h264.MAX_FRAME_NUM)}
    assert len(slices) == h264.MAX_FRAME_NUM
    assert all(s[0] == 0x41 for s in slices)


@pytest.mark.parametrize(
    ("seconds", "timescale", "unit", "runs"),
    [
        (1.0, 12288, 512, [(23, 512), (1, 512)]),
        (0.5, 48000, 1024, [(23, 1024), (1, 448)]),
        (0.001, 12288, 512, [(0, 512), (1, 12)]),
        (15.01, 12288, 512, [(360, 512), (1, 123)]),
    ],
)
def test_sample_durations_add_up_exactly(
    seconds: float, timescale: int, unit: int, runs: list[tuple[int, int]]
) -> None:
    ticks = timeline.to_ticks(seconds, timescale)
    assert timeline.sample_durations(ticks, unit) == runs
    assert sum(count * delta for count, delta in runs) == round(seconds * timescale)


def test_video_color_is_deterministic_saturated_and_in_tv_range() -> None:
    colours = [video_color(seed) for seed in range(-50, 200)]
    assert colours == [video_color(seed) for seed in range(-50, 200)]
    assert len(set(colours)) == len(colours)
    for y, cb, cr in colours:
        assert 16 <= y <= 235 and 16 <= cb <= 240 and 16 <= cr <= 240
        assert abs(cb - 128) + abs(cr - 128) >= 20, "colour too close to grey"
    assert video_color(2**80) != video_color(-(2**80))


def test_rgb_to_ycbcr_reference_points() -> None:
    assert color.rgb_to_ycbcr(0, 0, 0) == (16, 128, 128)
    assert color.rgb_to_ycbcr(1, 1, 1) == (235, 128, 128)
    assert color.rgb_to_ycbcr(1, 0, 0) == (81, 90, 240)


def _load_fixture_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_silent_aac", FIXTURES / "make_silent_aac.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_silent_aac_fixture_matches_its_generator_script() -> None:
    script = _load_fixture_script()
    assert (FIXTURES / "silent_aac_frame.bin").read_bytes() == script.silent_frame()
    assert script.AUDIO_SPECIFIC_CONFIG == aac.AUDIO_SPECIFIC_CONFIG
    assert aac.silent_frame() == bytes.fromhex("00c80007")


def test_audio_covers_the_duration_in_whole_frames_but_one() -> None:
    runs = aac.audio_sample_durations(7.25)
    assert runs == [(339, 1024), (1, 864)]
    assert sum(count * delta for count, delta in runs) == 7.25 * 48000
