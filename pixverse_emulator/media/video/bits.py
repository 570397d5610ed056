"""Bit strings for H.264 / AAC bitstream syntax.

Bits are kept as Python ``str`` of ``'0'``/``'1'`` characters: building a slice is then a
matter of string concatenation and repetition (every macroblock after the first has the same
pattern), and one ``int(bits, 2)`` turns the whole payload into bytes.  This is far faster in
CPython than shifting bits one at a time.
"""

from __future__ import annotations

import re

__all__ = [
    "BitWriter",
    "emulation_prevention",
    "nal_unit",
    "se",
    "to_bytes",
    "u",
    "ue",
]

# H.264 7.4.1: inside a NAL unit the byte patterns 0x000000..0x000003 must not occur;
# an emulation_prevention_three_byte (0x03) is inserted after every 0x0000 that is
# followed by a byte <= 0x03.  A non-overlapping regex match consumes exactly the two zero
# bytes, so scanning resumes at the following byte - which is what resetting the zero
# counter after an insertion does in the reference algorithm.
_NEEDS_ESCAPE = re.compile(rb"\x00\x00(?=[\x00-\x03])")


def u(width: int, value: int) -> str:
    """Fixed-length unsigned field u(n), most significant bit first (H.264 7.2)."""
    if value < 0 or value >= 1 << width:
        raise ValueError(f"value {value} does not fit in {width} bits")
    return format(value, f"0{width}b") if width else ""


def ue(value: int) -> str:
    """Unsigned Exp-Golomb code ue(v) (H.264 9.1)."""
    if value < 0:
        raise ValueError(f"ue(v) needs a non-negative value, got {value}")
    code = format(value + 1, "b")
    return "0" * (len(code) - 1) + code


def se(value: int) -> str:
    """Signed Exp-Golomb code se(v): k > 0 maps to 2k - 1, k <= 0 to -2k (H.264 9.1.1)."""
    return ue(2 * value - 1 if value > 0 else -2 * value)


def to_bytes(bits: str) -> bytes:
    """Pack a bit string whose length is a multiple of 8 into bytes."""
    if len(bits) % 8:
        raise ValueError(f"bit string of length {len(bits)} is not byte aligned")
    if not bits:
        return b""
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


class BitWriter:
    """Accumulates syntax elements; ``rbsp()`` closes them with rbsp_trailing_bits."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0

    def bits(self, bits: str) -> BitWriter:
        """Append a pre-built bit string (e.g. a repeated macroblock pattern)."""
        self._parts.append(bits)
        self._length += len(bits)
        return self

    def u(self, width: int, value: int) -> BitWriter:
        return self.bits(u(width, value))

    def flag(self, value: bool) -> BitWriter:
        return self.bits("1" if value else "0")

    def ue(self, value: int) -> BitWriter:
        return self.bits(ue(value))

    def se(self, value: int) -> BitWriter:
        return self.bits(se(value))

    def align_zero(self) -> BitWriter:
        """Zero bits up to the next byte boundary (e.g. pcm_alignment_zero_bit, 7.3.5)."""
        return self.bits("0" * (-self._length % 8))

    def getvalue(self) -> str:
        return "".join(self._parts)

    def byte_aligned_bytes(self) -> bytes:
        """The accumulated bits, zero-padded to a byte boundary (AAC byte_alignment())."""
        return to_bytes(self.align_zero().getvalue())

    def rbsp(self) -> bytes:
        """The bits followed by rbsp_trailing_bits(): a stop bit then zeros (7.3.2.11)."""
        self.bits("1")
        return self.byte_aligned_bytes()


def emulation_prevention(rbsp: bytes) -> bytes:
    """Escape an RBSP into NAL unit payload bytes (H.264 7.3.1 / 7.4.1)."""
    payload = _NEEDS_ESCAPE.sub(b"\x00\x00\x03", rbsp)
    # 7.4.1: an RBSP ending in 0x00 (only possible with cabac_zero_words) gets a final 0x03.
    return payload + b"\x03" if payload.endswith(b"\x00") else payload


def nal_unit(nal_ref_idc: int, nal_unit_type: int, rbsp: bytes) -> bytes:
    """A NAL unit (7.3.1): one header byte then the escaped RBSP, without a start code."""
    header = bytes([(nal_ref_idc << 5) | nal_unit_type])
    return header + emulation_prevention(rbsp)
