"""Decoding revert data: ``Error(string)``, ``Panic(uint256)`` and custom errors."""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError

__all__ = ["PANIC_REASONS", "DecodedRevert", "decode_revert"]

ERROR_SELECTOR = "0x08c379a0"  # keccak("Error(string)")[:4]
PANIC_SELECTOR = "0x4e487b71"  # keccak("Panic(uint256)")[:4]

PANIC_REASONS = {
    0x00: "generic compiler panic",
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "conversion to an invalid enum value",
    0x22: "incorrectly encoded storage byte array",
    0x31: "pop() on an empty array",
    0x32: "array index out of bounds",
    0x41: "too much memory allocated",
    0x51: "call to a zero-initialized internal function",
}


@dataclass(frozen=True, slots=True)
class DecodedRevert:
    reason: str | None = None
    """The ``Error(string)`` message, or a description of the panic."""
    selector: str | None = None
    """The first four bytes of the data, 0x-hex, when there are at least four."""
    panic_code: int | None = None


def decode_revert(data: object) -> DecodedRevert:
    """Decode revert ``data`` (0x-hex) as nodes return it; anything else decodes to nothing."""
    if not isinstance(data, str) or not data.startswith("0x") or len(data) < 10:
        return DecodedRevert()
    try:
        raw = bytes.fromhex(data[2:])
    except ValueError:
        return DecodedRevert()
    selector = "0x" + raw[:4].hex()
    try:
        if selector == ERROR_SELECTOR:
            (reason,) = decode(["string"], raw[4:])
            return DecodedRevert(reason=reason, selector=selector)
        if selector == PANIC_SELECTOR:
            (code,) = decode(["uint256"], raw[4:])
            description = PANIC_REASONS.get(code, "unknown panic")
            return DecodedRevert(
                reason=f"panic 0x{code:02x}: {description}", selector=selector, panic_code=code
            )
    except (DecodingError, OverflowError, UnicodeDecodeError):
        pass
    return DecodedRevert(selector=selector)
