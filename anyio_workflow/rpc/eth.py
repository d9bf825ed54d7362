"""Typed EVM method helpers over a :class:`JsonRpcClient`: hex quantities become ``int``.

Named after the concepts, as viem's actions are: ``chain_id``, ``get_balance``,
``fee_history``, ``send_raw_transaction``, ... Blocks, transactions and receipts come back
as dictionaries whose quantity fields are ``int``; everything else stays as the node
sent it.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from eth_utils.crypto import keccak

from ..errors import InvalidArgument, InvalidResponse, JsonRpcError
from .client import JsonRpcClient

__all__ = ["BlockId", "EthRpc", "FeeHistory", "quantity", "to_quantity"]

BlockId = int | str
"""A block number, or a tag: ``"latest"``, ``"pending"``, ``"safe"``, ``"finalized"``..."""

_QUANTITY_FIELDS = frozenset(
    {
        "baseFeePerGas", "blobGasUsed", "blockNumber", "chainId", "cumulativeGasUsed",
        "difficulty", "effectiveGasPrice", "excessBlobGas", "gas", "gasLimit", "gasPrice",
        "gasUsed", "logIndex", "maxFeePerBlobGas", "maxFeePerGas", "maxPriorityFeePerGas",
        "nonce", "number", "size", "status", "timestamp", "totalDifficulty",
        "transactionIndex", "type", "v", "value", "yParity",
    }
)  # fmt: skip
_ALREADY_KNOWN = ("already known", "known transaction", "already imported", "alreadyknown")


def quantity(value: Any, *, field: str = "result") -> int:
    """Decode a JSON-RPC hex quantity (``"0x1a"``) into an ``int``."""
    if not isinstance(value, str) or not value.startswith("0x") or len(value) < 3:
        raise InvalidResponse(f"{field}: expected a hex quantity, got {str(value)[:40]!r}")
    try:
        return int(value, 16)
    except ValueError:
        raise InvalidResponse(f"{field}: expected a hex quantity, got {value[:40]!r}") from None


def to_quantity(value: int) -> str:
    if value < 0:
        raise InvalidArgument("quantities cannot be negative")
    return hex(value)


def _block(block: BlockId) -> str:
    return to_quantity(block) if isinstance(block, int) else block


def _decode_fields(obj: Any) -> Any:
    if not isinstance(obj, dict):
        return obj
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key in _QUANTITY_FIELDS and isinstance(value, str) and value.startswith("0x"):
            out[key] = quantity(value, field=key)
        elif key == "logs" and isinstance(value, list):
            out[key] = [_decode_fields(log) for log in value]
        elif key == "transactions" and isinstance(value, list):
            out[key] = [_decode_fields(tx) for tx in value]
        else:
            out[key] = value
    return out


@dataclass(frozen=True, slots=True)
class FeeHistory:
    """``eth_feeHistory``, decoded: one entry per block, oldest first."""

    oldest_block: int
    base_fee_per_gas: tuple[int, ...]
    """One more entry than blocks: the last is the next block's base fee."""
    gas_used_ratio: tuple[float, ...]
    reward: tuple[tuple[int, ...], ...]
    """Per block, the priority fee at each requested percentile."""


_GENESIS: weakref.WeakKeyDictionary[JsonRpcClient, str] = weakref.WeakKeyDictionary()


class EthRpc:
    """The EVM methods the library uses, typed.

    Cancellation: each method is one JSON-RPC call; cancelled, the request is abandoned
    (a ``send_raw_transaction`` that reached the node stays sent).
    """

    def __init__(self, client: JsonRpcClient) -> None:
        self.client = client

    async def genesis_hash(self) -> str:
        """The hash of block 0: which chain this is, when two share a chain id (devnets,
        forks). Asked once per client."""
        cached = _GENESIS.get(self.client)
        if cached is None:
            block = await self.client.request("eth_getBlockByNumber", ["0x0", False])
            if not isinstance(block, dict) or not isinstance(block.get("hash"), str):
                raise InvalidResponse("eth_getBlockByNumber(0): no genesis block hash")
            cached = _GENESIS[self.client] = block["hash"]
        return cached

    async def chain_id(self) -> int:
        return quantity(await self.client.request("eth_chainId"))

    async def block_number(self) -> int:
        return quantity(await self.client.request("eth_blockNumber"))

    async def get_balance(self, address: str, block: BlockId = "latest") -> int:
        return quantity(await self.client.request("eth_getBalance", [address, _block(block)]))

    async def get_transaction_count(self, address: str, block: BlockId = "pending") -> int:
        result = await self.client.request("eth_getTransactionCount", [address, _block(block)])
        return quantity(result)

    async def get_code(self, address: str, block: BlockId = "latest") -> bytes:
        return _bytes(await self.client.request("eth_getCode", [address, _block(block)]))

    async def call(self, tx: Mapping[str, Any], block: BlockId = "latest") -> bytes:
        return _bytes(await self.client.request("eth_call", [dict(tx), _block(block)]))

    async def estimate_gas(self, tx: Mapping[str, Any], block: BlockId | None = None) -> int:
        params: list[Any] = [dict(tx)] if block is None else [dict(tx), _block(block)]
        return quantity(await self.client.request("eth_estimateGas", params))

    async def gas_price(self) -> int:
        return quantity(await self.client.request("eth_gasPrice"))

    async def max_priority_fee_per_gas(self) -> int:
        return quantity(await self.client.request("eth_maxPriorityFeePerGas"))

    async def fee_history(
        self, block_count: int, newest: BlockId = "latest", percentiles: Sequence[float] = ()
    ) -> FeeHistory:
        raw = await self.client.request(
            "eth_feeHistory", [to_quantity(block_count), _block(newest), list(percentiles)]
        )
        if not isinstance(raw, dict):
            raise InvalidResponse("eth_feeHistory: the result is not an object")
        rewards = raw.get("reward") or []
        return FeeHistory(
            oldest_block=quantity(raw.get("oldestBlock"), field="oldestBlock"),
            base_fee_per_gas=tuple(
                quantity(v, field="baseFeePerGas") for v in raw["baseFeePerGas"]
            ),
            gas_used_ratio=tuple(float(v) for v in raw.get("gasUsedRatio", [])),
            reward=tuple(tuple(quantity(v, field="reward") for v in row) for row in rewards),
        )

    async def send_raw_transaction(self, raw: bytes | str) -> str:
        """Broadcast signed bytes; returns the transaction hash.

        Sending the same bytes twice is harmless, so an answer that the node already
        knows this transaction (say, after a failover re-sent it) counts as success, and
        so does "nonce too low" when the node has this very transaction.
        """
        data = raw if isinstance(raw, str) else "0x" + raw.hex()
        expected = "0x" + keccak(hexstr=data).hex()
        try:
            result = await self.client.request("eth_sendRawTransaction", [data])
        except JsonRpcError as exc:
            lowered = exc.message.lower()
            if any(word in lowered for word in _ALREADY_KNOWN):
                return expected
            if "nonce too low" in lowered and await self.get_transaction(expected) is not None:
                return expected
            raise
        if not isinstance(result, str) or result.lower() != expected:
            raise InvalidResponse(
                f"eth_sendRawTransaction answered {str(result)[:70]!r}, not the hash {expected}",
                method="eth_sendRawTransaction",
                endpoint=self.client.endpoint,
            )
        return expected

    async def get_transaction(self, tx_hash: str) -> dict[str, Any] | None:
        result = await self.client.request("eth_getTransactionByHash", [tx_hash])
        return None if result is None else _decode_fields(result)

    async def get_transaction_receipt(self, tx_hash: str) -> dict[str, Any] | None:
        result = await self.client.request("eth_getTransactionReceipt", [tx_hash])
        return None if result is None else _decode_fields(result)

    async def wait_for_receipt(
        self, tx_hash: str, *, poll_interval: float = 0.05, max_wait: float = 120.0
    ) -> dict[str, Any]:
        """Poll until ``tx_hash`` has a receipt; ``TimeoutError`` after ``max_wait`` seconds.

        Cancellation abandons the wait; the transaction itself is unaffected.
        """
        with anyio.fail_after(max_wait):
            while (receipt := await self.get_transaction_receipt(tx_hash)) is None:  # noqa: ASYNC110  (polls a node)
                await anyio.sleep(poll_interval)
        return receipt

    async def get_block(
        self, block: BlockId = "latest", *, full: bool = False
    ) -> dict[str, Any] | None:
        result = await self.client.request("eth_getBlockByNumber", [_block(block), full])
        return None if result is None else _decode_fields(result)

    async def get_logs(self, filter: Mapping[str, Any]) -> list[dict[str, Any]]:
        result = await self.client.request("eth_getLogs", [dict(filter)])
        if not isinstance(result, list):
            raise InvalidResponse("eth_getLogs: the result is not a list")
        return [_decode_fields(log) for log in result]


def _bytes(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise InvalidResponse(f"expected 0x-hex data, got {str(value)[:40]!r}")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise InvalidResponse(f"expected 0x-hex data, got {value[:40]!r}") from None
