"""A minimal H.264 (ISO/IEC 14496-10) encoder for flat-colour pictures.

Stream layout (CAVLC, one slice per picture, no deblocking):

* SPS/PPS.  Even-sized pictures use Constrained Baseline 4:2:0.  Odd sizes cannot be
  cropped in 4:2:0 (the crop unit is 2 luma samples, 7.4.2.1.1), so they use
  High 4:4:4 Predictive with chroma_format_idc = 3, whose crop unit is 1.
* One IDR picture: macroblock 0 is I_PCM carrying the exact colour; every other macroblock
  is I_16x16 with DC prediction and no residual, so it predicts (copies) the colour from its
  already decoded neighbours.
* P pictures in which every macroblock is P_Skip (one mb_skip_run): with all neighbours
  skipped the predicted motion vector is zero (8.4.1.1), so each is a copy of the last one.

pic_order_cnt_type 2 (output order = decoding order) keeps the slice headers free of POC
fields; every picture is a reference so that type 2 is allowed (7.4.2.1.1).  With
MaxFrameNum = 16 only 16 distinct P slices exist, and they are cached by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from .bits import BitWriter, nal_unit, se, u, ue
from .levels import level_idc

__all__ = [
    "FRAME_RATE",
    "MAX_FRAME_NUM",
    "Picture",
    "idr_slice",
    "p_skip_slice",
    "picture_parameter_set",
    "sequence_parameter_set",
]

FRAME_RATE = 24
LOG2_MAX_FRAME_NUM = 4
MAX_FRAME_NUM = 1 << LOG2_MAX_FRAME_NUM

# nal_unit_type values (Table 7-1).
_NAL_SLICE = 1
_NAL_IDR_SLICE = 5
_NAL_SPS = 7
_NAL_PPS = 8

# Profiles (Annex A.2) and their SPS constraint flag bytes.
_PROFILE_BASELINE = 66
_CONSTRAINED_BASELINE_FLAGS = 0b1100_0000  # constraint_set0 + constraint_set1 (A.2.1.1)
_PROFILE_HIGH_444 = 244

# slice_type values 5..9 promise that every slice of the picture has that type (Table 7-6).
_SLICE_TYPE_P = 5
_SLICE_TYPE_I = 7

# mb_type in I slices (Table 7-11): I_16x16_2_0_0 is DC prediction, no coded residual.
_MB_I16X16_DC_NO_RESIDUAL = 3
_MB_I_PCM = 25

# coeff_token for TotalCoeff = 0, TrailingOnes = 0 (Table 9-5).  nC is 0 next to an I_16x16
# macroblock without AC coefficients, and 16 next to an I_PCM macroblock (9.2.1).
_NO_COEFFS_NC0 = "1"
_NO_COEFFS_NC16 = "000011"

# VUI colour description (Tables E-3..E-5): SMPTE 170M / BT.601, matching color.py.
_BT601 = 6


@dataclass(frozen=True)
class Picture:
    """Coded picture geometry: macroblock grid, chroma format and cropping."""

    width: int
    height: int

    @property
    def chroma_format_idc(self) -> int:
        """1 (4:2:0) when both sides are even, else 3 (4:4:4, crop unit of 1 sample)."""
        return 1 if self.width % 2 == 0 and self.height % 2 == 0 else 3

    @property
    def mb_width(self) -> int:
        return -(-self.width // 16)

    @property
    def mb_height(self) -> int:
        return -(-self.height // 16)

    @property
    def mb_count(self) -> int:
        return self.mb_width * self.mb_height

    @property
    def crop_unit(self) -> int:
        """CropUnitX = CropUnitY for frame_mbs_only_flag = 1 (7.4.2.1.1, Table 6-1)."""
        return 2 if self.chroma_format_idc == 1 else 1

    @property
    def profile_idc(self) -> int:
        return _PROFILE_BASELINE if self.chroma_format_idc == 1 else _PROFILE_HIGH_444


def sequence_parameter_set(picture: Picture) -> bytes:
    """seq_parameter_set_rbsp() (7.3.2.1.1) as a NAL unit."""
    w = BitWriter()
    w.u(8, picture.profile_idc)
    w.u(8, _CONSTRAINED_BASELINE_FLAGS if picture.chroma_format_idc == 1 else 0)
    w.u(8, level_idc(picture.mb_width, picture.mb_height, FRAME_RATE))
    w.ue(0)  # seq_parameter_set_id
    if picture.profile_idc == _PROFILE_HIGH_444:
        w.ue(picture.chroma_format_idc)
        w.flag(False)  # separate_colour_plane_flag
        w.ue(0)  # bit_depth_luma_minus8
        w.ue(0)  # bit_depth_chroma_minus8
        w.flag(False)  # qpprime_y_zero_transform_bypass_flag
        w.flag(False)  # seq_scaling_matrix_present_flag
    w.ue(LOG2_MAX_FRAME_NUM - 4)
    w.ue(2)  # pic_order_cnt_type
    w.ue(1)  # max_num_ref_frames
    w.flag(False)  # gaps_in_frame_num_value_allowed_flag
    w.ue(picture.mb_width - 1)
    w.ue(picture.mb_height - 1)  # pic_height_in_map_units_minus1
    w.flag(True)  # frame_mbs_only_flag
    w.flag(True)  # direct_8x8_inference_flag
    _write_cropping(w, picture)
    w.flag(True)  # vui_parameters_present_flag
    _write_vui(w)
    return nal_unit(3, _NAL_SPS, w.rbsp())


def _write_cropping(w: BitWriter, picture: Picture) -> None:
    """frame_cropping_flag and offsets: crop the right and bottom padding only."""
    crop_right = (16 * picture.mb_width - picture.width) // picture.crop_unit
    crop_bottom = (16 * picture.mb_height - picture.height) // picture.crop_unit
    w.flag(bool(crop_right or crop_bottom))
    if crop_right or crop_bottom:
        w.ue(0).ue(crop_right).ue(0).ue(crop_bottom)  # left, right, top, bottom


def _write_vui(w: BitWriter) -> None:
    """vui_parameters() (E.1.1): square pixels, BT.601 TV range, 24 fps, no reordering."""
    w.flag(True).u(8, 1)  # aspect_ratio_info_present_flag, aspect_ratio_idc 1:1
    w.flag(False)  # overscan_info_present_flag
    w.flag(True)  # video_signal_type_present_flag
    w.u(3, 5).flag(False)  # video_format unspecified, video_full_range_flag
    w.flag(True).u(8, _BT601).u(8, _BT601).u(8, _BT601)  # colour description
    w.flag(False)  # chroma_loc_info_present_flag
    # timing_info: a frame lasts two ticks (E.2.1), so time_scale = 2 * frame rate.  The
    # last frame is shortened to hit the requested duration, hence fixed_frame_rate_flag 0.
    w.flag(True).u(32, 1).u(32, 2 * FRAME_RATE).flag(False)
    w.flag(False).flag(False)  # nal_hrd / vcl_hrd_parameters_present_flag
    w.flag(False)  # pic_struct_present_flag
    w.flag(True)  # bitstream_restriction_flag
    w.flag(True)  # motion_vectors_over_pic_boundaries_flag
    w.ue(0).ue(0)  # max_bytes_per_pic_denom, max_bits_per_mb_denom: no limit
    w.ue(15).ue(15)  # log2_max_mv_length_horizontal / vertical
    w.ue(0)  # max_num_reorder_frames: decoders may output each picture at once
    w.ue(1)  # max_dec_frame_buffering


def picture_parameter_set() -> bytes:
    """pic_parameter_set_rbsp() (7.3.2.2) as a NAL unit."""
    w = BitWriter()
    w.ue(0).ue(0)  # pic_parameter_set_id, seq_parameter_set_id
    w.flag(False)  # entropy_coding_mode_flag: CAVLC
    w.flag(False)  # bottom_field_pic_order_in_frame_present_flag
    w.ue(0)  # num_slice_groups_minus1
    w.ue(0).ue(0)  # num_ref_idx_l0/l1_default_active_minus1
    w.flag(False).u(2, 0)  # weighted_pred_flag, weighted_bipred_idc
    w.se(0).se(0).se(0)  # pic_init_qp_minus26, pic_init_qs_minus26, chroma_qp_index_offset
    w.flag(True)  # deblocking_filter_control_present_flag
    w.flag(False)  # constrained_intra_pred_flag
    w.flag(False)  # redundant_pic_cnt_present_flag
    return nal_unit(3, _NAL_PPS, w.rbsp())


def idr_slice(picture: Picture, color: tuple[int, int, int]) -> bytes:
    """The IDR picture: an I_PCM macroblock, then I_16x16 DC macroblocks (7.3.4)."""
    w = BitWriter()
    w.ue(0).ue(_SLICE_TYPE_I).ue(0)  # first_mb_in_slice, slice_type, pic_parameter_set_id
    w.u(LOG2_MAX_FRAME_NUM, 0)  # frame_num
    w.ue(0)  # idr_pic_id
    w.flag(False).flag(False)  # dec_ref_pic_marking: no_output_of_prior_pics, long_term_ref
    w.se(0)  # slice_qp_delta
    w.ue(1)  # disable_deblocking_filter_idc: filter off
    _write_pcm_macroblock(w, picture, color)
    w.bits(_intra_dc_macroblocks(picture))
    return nal_unit(3, _NAL_IDR_SLICE, w.rbsp())


def _write_pcm_macroblock(w: BitWriter, picture: Picture, color: tuple[int, int, int]) -> None:
    """macroblock_layer() with mb_type I_PCM: raw 8-bit samples after byte alignment."""
    luma, cb, cr = color
    chroma_samples = 64 if picture.chroma_format_idc == 1 else 256
    w.ue(_MB_I_PCM).align_zero()
    w.bits(u(8, luma) * 256 + u(8, cb) * chroma_samples + u(8, cr) * chroma_samples)


def _intra_dc_macroblock(picture: Picture, coeff_token: str) -> str:
    """macroblock_layer() of I_16x16_2_0_0 whose only residual is an empty DC block."""
    if picture.chroma_format_idc == 1:
        # mb_type, intra_chroma_pred_mode DC, mb_qp_delta 0, Intra16x16DCLevel.
        return ue(_MB_I16X16_DC_NO_RESIDUAL) + ue(0) + se(0) + coeff_token
    # 4:4:4 (7.3.5.3): no chroma pred mode; Cb and Cr are coded like luma, each with a DC block.
    return ue(_MB_I16X16_DC_NO_RESIDUAL) + se(0) + coeff_token * 3


def _intra_dc_macroblocks(picture: Picture) -> str:
    """Macroblocks 1..N-1.  Only the right and lower neighbours of the I_PCM macroblock see
    nC = 16 for their DC coeff_token; all others have nC = 0, so the run is one repeated
    pattern with at most two exceptions (built by string repetition, no per-MB loop)."""
    plain = _intra_dc_macroblock(picture, _NO_COEFFS_NC0)
    beside_pcm = _intra_dc_macroblock(picture, _NO_COEFFS_NC16)
    exceptions = sorted({i for i in (1, picture.mb_width) if i < picture.mb_count})
    parts: list[str] = []
    next_index = 1
    for index in exceptions:
        parts.append(plain * (index - next_index))
        parts.append(beside_pcm)
        next_index = index + 1
    parts.append(plain * (picture.mb_count - next_index))
    return "".join(parts)


def p_skip_slice(picture: Picture, frame_num: int) -> bytes:
    """A reference P picture whose macroblocks are all P_Skip (one mb_skip_run)."""
    w = BitWriter()
    w.ue(0).ue(_SLICE_TYPE_P).ue(0)  # first_mb_in_slice, slice_type, pic_parameter_set_id
    w.u(LOG2_MAX_FRAME_NUM, frame_num % MAX_FRAME_NUM)
    w.flag(False)  # num_ref_idx_active_override_flag
    w.flag(False)  # ref_pic_list_modification_flag_l0
    w.flag(False)  # adaptive_ref_pic_marking_mode_flag: sliding window
    w.se(0)  # slice_qp_delta
    w.ue(1)  # disable_deblocking_filter_idc
    w.ue(picture.mb_count)  # mb_skip_run covering the whole picture
    return nal_unit(2, _NAL_SLICE, w.rbsp())
