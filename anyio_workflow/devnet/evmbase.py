"""What the embedded EVM devnet's engines share: parameter parsing, EIP-1559's base fee, and
``eth_feeHistory`` as geth computes it. Each engine (``pyevm``, ``revm``) keeps its chain and
answers the same JSON-RPC with these."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .jsonrpc import Method, RpcFault

__all__ = [
    "BLOCK_TAGS",
    "DEFAULT_TIP",
    "BlockFees",
    "EvmEngine",
    "address_param",
    "block_param",
    "fee_history",
    "next_base_fee",
    "param_at",
    "quantity",
]

DEFAULT_TIP = 10**9  # 1 gwei, what geth and anvil suggest as a priority fee on a quiet chain
BLOCK_TAGS = frozenset({"latest", "earliest", "pending", "safe", "finalized"})


class EvmEngine(Protocol):
    """One EVM and the chain kept around it, as the devnet drives it."""

    automine: bool
    client_version: str

    def methods(self) -> dict[str, Method]:
        """The JSON-RPC methods this engine answers."""
        ...

    def pending_nonce(self, address: str) -> int:
        """The account's next nonce, counting transactions waiting in the pool."""
        ...

    def next_base_fee(self) -> int:
        """The base fee of the block mined next."""
        ...


def quantity(value: Any, field: str) -> int:
    """A hex quantity (``"0x1a"``) as an int; anything else is -32602 naming ``field``."""
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise RpcFault(-32602, f"invalid params: {field}: expected a hex quantity")


def block_param(value: Any) -> int | str:
    """A block parameter: a tag or a number; ``None`` is ``"latest"``."""
    if value is None:
        return "latest"
    if isinstance(value, str) and value in BLOCK_TAGS:
        return value
    if isinstance(value, dict) and "blockNumber" in value:  # EIP-1898
        return quantity(value["blockNumber"], "block")
    return quantity(value, "block")


def address_param(value: Any, field: str = "address") -> str:
    """A 20-byte address, lower-cased; anything else is -32602 naming ``field``."""
    if isinstance(value, str) and len(value) == 42 and value[:2] in ("0x", "0X"):
        try:
            bytes.fromhex(value[2:])
        except ValueError:
            pass
        else:
            return value.lower()
    raise RpcFault(-32602, f"invalid params: {field}: expected a 20-byte hex address")


def param_at(params: list[Any], index: int) -> Any:
    return params[index] if len(params) > index else None


def next_base_fee(base_fee: int, gas_used: int, gas_limit: int) -> int:
    """EIP-1559: the next block's base fee from this one's."""
    target = gas_limit // 2
    if gas_used == target:
        return base_fee
    if gas_used > target:
        return base_fee + max(1, base_fee * (gas_used - target) // target // 8)
    return base_fee - base_fee * (target - gas_used) // target // 8


@dataclass(frozen=True, slots=True)
class BlockFees:
    """What ``eth_feeHistory`` reads of one block: its fees, and each transaction's tip and
    gas used."""

    base_fee: int
    gas_used: int
    gas_limit: int
    tips: Sequence[tuple[int, int]]


def _rewards(tips: Sequence[tuple[int, int]], percentiles: list[float]) -> list[int]:
    """Priority fees at each percentile of gas used, as geth computes them."""
    if not tips:
        return [0 for _ in percentiles]
    ordered = sorted(tips)
    total = sum(gas for _, gas in ordered)
    out = []
    for percentile in percentiles:
        threshold = total * percentile / 100
        cumulative = 0
        for tip, gas in ordered:
            cumulative += gas
            if cumulative >= threshold:
                out.append(tip)
                break
        else:
            out.append(ordered[-1][0])
    return out


def fee_history(params: list[Any], head: int, block: Callable[[int], BlockFees]) -> dict[str, Any]:
    """``eth_feeHistory`` over blocks up to ``head``, each read through ``block``."""
    first_param = param_at(params, 0)
    count = quantity(first_param, "blockCount") if isinstance(first_param, str) else first_param
    if not isinstance(count, int) or not 1 <= count <= 1024:
        raise RpcFault(-32602, "invalid params: blockCount must be from 1 to 1024")
    newest = block_param(param_at(params, 1))
    raw = param_at(params, 2) or []
    if not isinstance(raw, list) or not all(isinstance(x, int | float) for x in raw):
        raise RpcFault(-32602, "invalid params: percentiles must be a list of numbers")
    percentiles = [float(x) for x in raw]
    if any(b < a for a, b in itertools.pairwise(percentiles)) or any(
        not 0 <= x <= 100 for x in percentiles
    ):
        raise RpcFault(-32602, "invalid params: percentiles must rise from 0 to 100")
    last = head if isinstance(newest, str) and newest != "earliest" else int(newest or 0)
    if last > head:
        raise RpcFault(-32602, f"invalid params: block {last} is beyond the head {head}")
    first = max(0, last - count + 1)
    base_fees: list[int] = []
    ratios: list[float] = []
    rewards: list[list[str]] = []
    fees = block(first)
    for number in range(first, last + 1):
        fees = block(number)
        base_fees.append(fees.base_fee)
        ratios.append(fees.gas_used / fees.gas_limit)
        if percentiles:
            rewards.append([hex(r) for r in _rewards(fees.tips, percentiles)])
    base_fees.append(next_base_fee(fees.base_fee, fees.gas_used, fees.gas_limit))
    result: dict[str, Any] = {
        "oldestBlock": hex(first),
        "baseFeePerGas": [hex(b) for b in base_fees],
        "gasUsedRatio": ratios,
    }
    if percentiles:
        result["reward"] = rewards
    return result
