"""Typed EVM method helpers over a :class:`JsonRpcClient`: hex quantities become ``int``.

Named after the concepts, as viem's actions are: ``chain_id``, ``get_balance``,
``fee_history``, ``send_raw_transaction``, ... Blocks, transactions and receipts come back
as dictionaries whose quantity fields are ``int``; everything else stays as the node
sent it.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

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


_MAX_HEX = 2 + 64  # "0x" and 256 bits: no EVM quantity is larger

T = TypeVar("T")


def quantity(value: Any, *, field: str = "result") -> int:
    """Decode a JSON-RPC hex quantity (``"0x1a"``) into an ``int`` of at most 256 bits."""
    if not isinstance(value, str) or not value.startswith("0x") or len(value) < 3:
        raise InvalidResponse(f"{field}: expected a hex quantity, got {str(value)[:40]!r}")
    if len(value) > _MAX_HEX:
        raise InvalidResponse(
            f"{field}: a quantity of more than 256 bits ({len(value) - 2} digits)"
        )
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
_CHAIN_IDS: weakref.WeakKeyDictionary[JsonRpcClient, int] = weakref.WeakKeyDictionary()


class EthRpc:
    """The EVM methods the library uses, typed.

    Cancellation: each method is one JSON-RPC call; cancelled, the request is abandoned
    (a ``send_raw_transaction`` that reached the node stays sent).
    """

    def __init__(self, client: JsonRpcClient) -> None:
        self.client = client

    async def _ask(self, method: str, params: list[Any], parse: Callable[[Any], T]) -> T:
        """Call ``method`` and parse its result; any answer that does not parse is an
        :class:`InvalidResponse` naming the method and the endpoint."""
        result = await self.client.request(method, params)
        try:
            return parse(result)
        except InvalidResponse as exc:
            message = exc.short_message
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            message = f"the result does not have the expected shape ({type(exc).__name__})"
        raise InvalidResponse(message, method=method, endpoint=self.client.endpoint)

    async def genesis_hash(self) -> str:
        """The hash of block 0: which chain this is, when two share a chain id (devnets,
        forks). Asked once per client."""
        cached = _GENESIS.get(self.client)
        if cached is None:
            cached = await self._ask("eth_getBlockByNumber", ["0x0", False], _genesis)
            _GENESIS[self.client] = cached
        return cached

    async def chain_id(self) -> int:
        return await self._ask("eth_chainId", [], quantity)

    async def served_chain_id(self) -> int:
        """The chain id this client's node serves, asked once per client (what a sender
        checks before it signs anything)."""
        cached = _CHAIN_IDS.get(self.client)
        if cached is None:
            cached = _CHAIN_IDS[self.client] = await self.chain_id()
        return cached

    async def block_number(self) -> int:
        return await self._ask("eth_blockNumber", [], quantity)

    async def get_balance(self, address: str, block: BlockId = "latest") -> int:
        return await self._ask("eth_getBalance", [address, _block(block)], quantity)

    async def get_transaction_count(self, address: str, block: BlockId = "pending") -> int:
        return await self._ask("eth_getTransactionCount", [address, _block(block)], quantity)

    async def get_code(self, address: str, block: BlockId = "latest") -> bytes:
        return await self._ask("eth_getCode", [address, _block(block)], _bytes)

    async def call(self, tx: Mapping[str, Any], block: BlockId = "latest") -> bytes:
        return await self._ask("eth_call", [dict(tx), _block(block)], _bytes)

    async def estimate_gas(self, tx: Mapping[str, Any], block: BlockId | None = None) -> int:
        params: list[Any] = [dict(tx)] if block is None else [dict(tx), _block(block)]
        return await self._ask("eth_estimateGas", params, quantity)

    async def gas_price(self) -> int:
        return await self._ask("eth_gasPrice", [], quantity)

    async def max_priority_fee_per_gas(self) -> int:
        return await self._ask("eth_maxPriorityFeePerGas", [], quantity)

    async def fee_history(
        self, block_count: int, newest: BlockId = "latest", percentiles: Sequence[float] = ()
    ) -> FeeHistory:
        params = [to_quantity(block_count), _block(newest), list(percentiles)]
        return await self._ask("eth_feeHistory", params, _fee_history)

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
        return await self._ask("eth_getTransactionByHash", [tx_hash], _optional(_object))

    async def get_transaction_receipt(self, tx_hash: str) -> dict[str, Any] | None:
        return await self._ask("eth_getTransactionReceipt", [tx_hash], _optional(_receipt))

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
        return await self._ask("eth_getBlockByNumber", [_block(block), full], _optional(_object))

    async def block_timestamp(self, block: BlockId = "latest") -> int:
        """The timestamp of ``block`` (the latest by default): what deadlines and feed
        heartbeats are measured against. Cancellation: a read."""
        found = await self.get_block(block)
        if found is None or not isinstance(found.get("timestamp"), int):
            raise InvalidResponse(
                f"eth_getBlockByNumber: no block {block!r} with a timestamp",
                method="eth_getBlockByNumber",
            )
        return int(found["timestamp"])

    async def get_logs(self, filter: Mapping[str, Any]) -> list[dict[str, Any]]:
        return await self._ask("eth_getLogs", [dict(filter)], _logs)


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidResponse(f"expected an object, got {type(value).__name__}")
    decoded: dict[str, Any] = _decode_fields(value)
    return decoded


def _optional(parse: Callable[[Any], T]) -> Callable[[Any], T | None]:
    def parse_or_none(value: Any) -> T | None:
        return None if value is None else parse(value)

    return parse_or_none


_RECEIPT_QUANTITIES = ("blockNumber", "status", "gasUsed", "effectiveGasPrice")


def _receipt(value: Any) -> dict[str, Any]:
    """A receipt with what the transaction lifecycle reads: its hash, and its block, status,
    gas and price as integers."""
    receipt = _object(value)
    if not isinstance(receipt.get("transactionHash"), str):
        raise InvalidResponse("a receipt without a transactionHash")
    for key in _RECEIPT_QUANTITIES:
        if type(receipt.get(key)) is not int:
            raise InvalidResponse(f"a receipt without a {key} quantity")
    if not isinstance(receipt.get("logs", []), list):
        raise InvalidResponse("a receipt whose logs are not a list")
    return receipt


def _logs(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise InvalidResponse("the result is not a list")
    return [_object(log) for log in value]


def _genesis(value: Any) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("hash"), str):
        raise InvalidResponse("no genesis block hash")
    hash_: str = value["hash"]
    return hash_


def _fee_history(value: Any) -> FeeHistory:
    if not isinstance(value, dict):
        raise InvalidResponse("the result is not an object")
    base_fees = value.get("baseFeePerGas")
    if not isinstance(base_fees, list) or not base_fees:
        raise InvalidResponse("baseFeePerGas: missing, or not a list of quantities")
    ratios = value.get("gasUsedRatio", [])
    if not isinstance(ratios, list) or not all(
        type(r) in (int, float) and math.isfinite(r) and r >= 0 for r in ratios
    ):
        raise InvalidResponse("gasUsedRatio: not a list of non-negative numbers")
    rewards = value.get("reward") or []
    if not isinstance(rewards, list) or not all(isinstance(row, list) for row in rewards):
        raise InvalidResponse("reward: not a list of lists of quantities")
    return FeeHistory(
        oldest_block=quantity(value.get("oldestBlock"), field="oldestBlock"),
        base_fee_per_gas=tuple(quantity(v, field="baseFeePerGas") for v in base_fees),
        gas_used_ratio=tuple(float(r) for r in ratios),
        reward=tuple(tuple(quantity(v, field="reward") for v in row) for row in rewards),
    )


def _bytes(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise InvalidResponse(f"expected 0x-hex data, got {str(value)[:40]!r}")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise InvalidResponse(f"expected 0x-hex data, got {value[:40]!r}") from None
