"""Transaction encoding and signing for the common cases, without eth-account's overhead.

eth-account signs a transaction in about 1 ms with coincurve, most of it spent validating
and re-formatting the dict through several layers. The two shapes the pipeline sends all
the time are simple to encode exactly:

- EIP-1559 (type 2): ``0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas,
  gas, to, value, data, accessList, yParity, r, s])``, signed over the keccak of the same
  list without the last three;
- legacy with EIP-155 replay protection: ``rlp([nonce, gasPrice, gas, to, value, data,
  v, r, s])`` with ``v = recovery + 35 + 2 * chainId``, signed over
  ``rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0])``.

:func:`fast_sign` handles those two (with an empty access list) and returns ``None`` for
anything else, which the caller signs with eth-account. A property test checks that its
bytes are exactly eth-account's for any such transaction; it is ~10x faster
(``benchmarks/tx_throughput.py`` measures both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import coincurve

from .._hash import keccak256 as keccak
from ..errors import InvalidArgument

__all__ = ["fast_sign", "hex_bytes", "rlp_encode"]

_TYPE2 = {"chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas", "gas", "value"}
_LEGACY = {"chainId", "nonce", "gasPrice", "gas", "value"}
_OPTIONAL = {"to", "data", "type", "accessList", "from"}

RlpItem = bytes | int | Sequence[Any]


def _length_prefix(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


def rlp_encode(item: RlpItem) -> bytes:
    """Recursive Length Prefix encoding of bytes, non-negative ints and lists of them."""
    if isinstance(item, int):
        if item < 0:
            raise InvalidArgument("RLP encodes non-negative integers only")
        item = item.to_bytes((item.bit_length() + 7) // 8, "big")  # 0 -> b""
    if isinstance(item, bytes | bytearray):
        if len(item) == 1 and item[0] < 0x80:
            return bytes(item)
        return _length_prefix(len(item), 0x80) + item
    payload = b"".join(rlp_encode(x) for x in item)
    return _length_prefix(len(payload), 0xC0) + payload


def hex_bytes(value: Any) -> bytes | None:
    """``value`` as bytes when it is bytes or 0x-hex text; ``None`` otherwise."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            return None
    return None


def fast_sign(key: coincurve.PrivateKey, tx: Mapping[str, Any]) -> tuple[bytes, bytes] | None:
    """``(raw, hash)`` for a type-2 or EIP-155 legacy transaction; ``None`` otherwise."""
    keys = set(tx) - _OPTIONAL
    to = tx.get("to")
    to_bytes = b"" if to is None else hex_bytes(to)
    data = hex_bytes(tx.get("data", "0x"))
    if to_bytes is None or len(to_bytes) not in (0, 20) or data is None or tx.get("accessList"):
        return None
    if to is not None and not to_bytes:
        return None
    ints = [tx[k] for k in keys]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in ints):
        return None
    if keys == _TYPE2 and tx.get("type", 2) in (2, "0x2"):
        fields: list[RlpItem] = [
            tx["chainId"], tx["nonce"], tx["maxPriorityFeePerGas"], tx["maxFeePerGas"],
            tx["gas"], to_bytes, tx["value"], data, [],
        ]  # fmt: skip
        digest = keccak(b"\x02" + rlp_encode(fields))
        signature = key.sign_recoverable(digest, hasher=None)
        r, s, recovery = signature[:32], signature[32:64], signature[64]
        raw = b"\x02" + rlp_encode([*fields, recovery, r.lstrip(b"\0"), s.lstrip(b"\0")])
    elif keys == _LEGACY and tx.get("type", 0) in (0, "0x0"):
        fields = [tx["nonce"], tx["gasPrice"], tx["gas"], to_bytes, tx["value"], data]
        chain_id = tx["chainId"]
        digest = keccak(rlp_encode([*fields, chain_id, 0, 0]))
        signature = key.sign_recoverable(digest, hasher=None)
        r, s, recovery = signature[:32], signature[32:64], signature[64]
        v = recovery + 35 + 2 * chain_id
        raw = rlp_encode([*fields, v, r.lstrip(b"\0"), s.lstrip(b"\0")])
    else:
        return None
    return raw, keccak(raw)
