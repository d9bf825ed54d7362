"""The py-evm engine of the embedded EVM devnet (``EvmDevnet(backend="py-evm")``): eth-tester's
py-evm backend, in pure Python, for users who need an EVM with no native code."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from eth.vm.chain_context import ChainContext
from eth.vm.spoof import SpoofTransaction
from eth_keys.datatypes import PrivateKey
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.backends.pyevm import main as pyevm_backend
from eth_tester.exceptions import BlockNotFound, TransactionFailed, TransactionNotFound
from eth_utils.exceptions import ValidationError

from .evmbase import BlockFees, block_param, fee_history, next_base_fee, param_at, quantity
from .jsonrpc import Method, RpcFault

__all__ = ["PyEvmEngine", "classify"]

_CAMEL = re.compile(r"_([a-z])")
_NONCE = re.compile(r"nonce: expected (\d+), but got (\d+)", re.IGNORECASE)


def _camel(key: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), key)


def _encode(value: Any) -> Any:
    """eth-tester's normalized Python values to a node's JSON-RPC encoding."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {_camel(k): _encode(v) for k, v in value.items()}
    return value


_TX_FIELDS = {
    "from": "from", "to": "to", "gas": "gas", "gasPrice": "gas_price", "value": "value",
    "maxFeePerGas": "max_fee_per_gas", "maxPriorityFeePerGas": "max_priority_fee_per_gas",
    "nonce": "nonce", "data": "data", "input": "data",
}  # fmt: skip
_TX_QUANTITIES = frozenset(
    {"gas", "gas_price", "value", "max_fee_per_gas", "max_priority_fee_per_gas", "nonce"}
)


def _call_request(tx: Any) -> dict[str, Any]:
    """A JSON-RPC call object to eth-tester's inbound transaction format."""
    if not isinstance(tx, dict):
        raise RpcFault(-32602, "invalid params: transaction: expected an object")
    out: dict[str, Any] = {"from": "0x" + "00" * 20}
    for key, value in tx.items():
        name = _TX_FIELDS.get(key)
        if name is None or value is None:
            continue
        out[name] = quantity(value, key) if name in _TX_QUANTITIES else value
    return out


class PyEvmEngine:
    """eth-tester on py-evm, with a pool that holds nonce gaps as a node's does."""

    client_version = "anyio-workflow-devnet/0.1 (eth-tester/py-evm)"

    def __init__(
        self, *, chain_id: int, keys: Sequence[bytes], balance: int, automine: bool
    ) -> None:
        self.chain_id = chain_id
        genesis = pyevm_backend.generate_genesis_state_for_keys(
            [PrivateKey(key) for key in keys], overrides={"balance": balance}
        )
        # A random extra_data gives each devnet its own genesis hash, so that two devnets
        # of one chain id in one process are told apart (NonceManager.check_chain).
        # anvil's block gas limit (and revm's devnet's), not eth-tester's 30,029,122.
        params = PyEVMBackend.generate_genesis_params(
            overrides={"extra_data": os.urandom(32), "gas_limit": 30_000_000}
        )
        self._backend = PyEVMBackend(genesis_parameters=params, genesis_state=genesis)
        # eth-tester's chain class fixes its chain id; the devnet's own replaces it.
        self._backend.chain.chain_id = chain_id
        self._backend.chain.chain_context = ChainContext(chain_id)
        # Transactions go to py-evm's pending block directly and the devnet mines them, so
        # that "pending" state (nonces, balances) sees them as a node's does; eth-tester's
        # own manual mode keeps them out of every state until the block is mined.
        self.tester = EthereumTester(backend=self._backend, auto_mine_transactions=False)
        self.automine = automine
        self._pending: set[str] = set()
        """Hashes sent but not mined: in the pending block, or queued behind a nonce gap."""
        self._queued: dict[bytes, dict[int, tuple[str, bytes]]] = {}

    def methods(self) -> dict[str, Method]:
        t = self.tester
        return {
            "eth_blockNumber": lambda p: hex(t.get_block_by_number("latest")["number"]),
            "eth_getBalance": lambda p: hex(t.get_balance(p[0], block_param(param_at(p, 1)))),
            "eth_getTransactionCount": lambda p: hex(
                t.get_nonce(p[0], block_param(param_at(p, 1)))
            ),
            "eth_getCode": lambda p: t.get_code(p[0], block_param(param_at(p, 1))),
            "eth_call": self._call,
            "eth_estimateGas": self._estimate_gas,
            "eth_feeHistory": self._fee_history,
            "eth_sendRawTransaction": self._send_raw_transaction,
            "eth_getTransactionByHash": self._transaction,
            "eth_getTransactionReceipt": self._receipt,
            "eth_getBlockByNumber": self._block_by_number,
            "eth_getLogs": self._logs,
            "evm_mine": self._mine,
            "anvil_mine": self._mine,
        }

    def pending_nonce(self, address: str) -> int:
        nonce: int = self.tester.get_nonce(address, "pending")
        return nonce

    def _computation(self, tx: Any, block: int | str) -> Any:
        """Run a call against ``block``'s state and undo it, as a node's ``eth_call`` does:
        fees are zero unless given and the sender's balance is not checked (eth-tester's
        own call checks it, and drops the revert data)."""
        request = _call_request(tx)
        if not {"gas_price", "max_fee_per_gas"} & set(request):
            request["gas_price"] = 0
        self.tester.validator.validate_inbound_transaction(request, txn_internal_type="call")
        normalized = dict(self.tester.normalizer.normalize_inbound_transaction(request))
        backend = self._backend
        normalized.setdefault("gas", backend._max_available_gas())
        unsigned = backend._get_normalized_and_unsigned_evm_transaction(normalized, block)
        spoofed = SpoofTransaction(unsigned, from_=normalized["from"])
        vm = pyevm_backend._get_vm_for_block_number(backend.chain, block)
        state = vm.state
        snapshot = state.snapshot()
        try:
            executor = state.get_transaction_executor()
            message = executor.build_evm_message(spoofed)
            return executor.build_computation(message, spoofed)
        finally:
            state.revert(snapshot)

    @staticmethod
    def _raise_if_failed(computation: Any) -> None:
        if computation.is_error:
            data = "0x" + bytes(computation.output).hex()
            raise RpcFault(3, "execution reverted", data)

    def _call(self, p: list[Any]) -> str:
        computation = self._computation(p[0], block_param(param_at(p, 1)))
        self._raise_if_failed(computation)
        return "0x" + bytes(computation.output).hex()

    def _estimate_gas(self, p: list[Any]) -> str:
        block = block_param(param_at(p, 1))
        request = _call_request(p[0])
        try:
            return hex(self.tester.estimate_gas(request, block))
        except TransactionFailed:
            self._raise_if_failed(self._computation(p[0], block))
            raise RpcFault(-32000, "gas required exceeds allowance") from None

    def next_base_fee(self) -> int:
        header = self._backend.chain.get_canonical_head()
        return next_base_fee(header.base_fee_per_gas, header.gas_used, header.gas_limit)

    def _block_fees(self, number: int) -> BlockFees:
        block = self.tester.get_block_by_number(number, full_transactions=True)
        base_fee = block["base_fee_per_gas"]
        tips = []
        for tx in block["transactions"]:
            receipt = self.tester.get_transaction_receipt(tx["hash"])
            tips.append((receipt["effective_gas_price"] - base_fee, receipt["gas_used"]))
        return BlockFees(base_fee, block["gas_used"], block["gas_limit"], tips)

    def _fee_history(self, p: list[Any]) -> dict[str, Any]:
        head = self.tester.get_block_by_number("latest")["number"]
        return fee_history(p, head, self._block_fees)

    def _send_raw_transaction(self, p: list[Any]) -> str:
        raw = p[0] if p else None
        if not isinstance(raw, str) or not raw.startswith("0x"):
            raise RpcFault(-32602, "invalid params: expected 0x-hex signed transaction bytes")
        data = bytes.fromhex(raw[2:])
        try:
            tx = self._backend.chain.get_vm().get_transaction_builder().decode(data)
            sender = tx.sender
        except Exception as exc:  # any decoding failure: the bytes are not a transaction
            raise RpcFault(-32602, f"invalid params: not a signed transaction ({exc})") from None
        tx_chain = getattr(tx, "chain_id", None)
        if tx_chain is None and tx.v >= 35:
            tx_chain = (tx.v - 35) // 2
        if tx_chain is not None and tx_chain != self.chain_id:
            raise RpcFault(-32000, f"invalid chain id: expected {self.chain_id}, got {tx_chain}")
        tx_hash: str = "0x" + bytes(tx.hash).hex()
        queue = self._queued.setdefault(sender, {})
        if tx_hash in self._pending or queue.get(tx.nonce, (None,))[0] == tx_hash:
            raise RpcFault(-32000, "already known")
        expected = self._backend.get_nonce(sender, "pending")
        if tx.nonce > expected:
            # A node's pool holds a transaction whose nonce comes after a gap, until the
            # gap is filled; so does the devnet.
            if tx.nonce in queue:
                raise RpcFault(-32000, "replacement transaction underpriced")
            queue[tx.nonce] = (tx_hash, data)
            self._pending.add(tx_hash)
            return tx_hash
        self._apply(tx_hash, data)
        while (nxt := queue.pop(self._backend.get_nonce(sender, "pending"), None)) is not None:
            self._apply(*nxt)
        return tx_hash

    def _apply(self, tx_hash: str, data: bytes) -> None:
        """Execute a transaction into the pending block; with automine, mine it."""
        try:
            self._backend.send_raw_transaction(data)
        except ValidationError as exc:
            self._pending.discard(tx_hash)
            raise RpcFault(-32000, _rejection(str(exc))) from None
        if self.automine:
            self.tester.mine_blocks(1)
            self._pending.discard(tx_hash)
        else:
            self._pending.add(tx_hash)

    def _transaction(self, p: list[Any]) -> dict[str, Any] | None:
        try:
            tx = dict(self.tester.get_transaction_by_hash(p[0]))
        except TransactionNotFound:
            return None
        tx["input"] = tx.pop("data", "0x")
        if tx.get("type") in (None, "0x0"):
            tx.pop("y_parity", None)
        if tx["hash"] in self._pending:  # not mined yet: no block, as nodes say it
            tx["block_hash"] = tx["block_number"] = tx["transaction_index"] = None
        encoded: dict[str, Any] = _encode(tx)
        if tx.get("type") is not None:
            encoded["type"] = tx["type"]
        return encoded

    def _receipt(self, p: list[Any]) -> dict[str, Any] | None:
        if p[0] in self._pending:
            return None  # nodes answer null until the transaction is mined
        try:
            receipt = dict(self.tester.get_transaction_receipt(p[0]))
        except TransactionNotFound:
            return None
        receipt.pop("state_root", None)
        receipt["logs"] = [_log(entry) for entry in receipt["logs"]]
        encoded: dict[str, Any] = _encode(receipt)
        encoded["logsBloom"] = "0x" + "00" * 256
        return encoded

    def _block_by_number(self, p: list[Any]) -> dict[str, Any] | None:
        full = bool(param_at(p, 1))
        try:
            block = dict(self.tester.get_block_by_number(block_param(p[0]), full_transactions=full))
        except BlockNotFound:
            return None
        if full:
            block["transactions"] = [
                self._transaction([tx["hash"]]) for tx in block["transactions"]
            ]
        block.pop("total_difficulty", None)
        block["miner"] = block.pop("coinbase", "0x" + "00" * 20)
        logs_bloom = block.pop("logs_bloom", 0)
        encoded: dict[str, Any] = _encode(block)
        encoded["logsBloom"] = "0x" + logs_bloom.to_bytes(256, "big").hex()
        if full:
            encoded["transactions"] = block["transactions"]
        return encoded

    def _logs(self, p: list[Any]) -> list[dict[str, Any]]:
        query = p[0] if p else {}
        if not isinstance(query, dict):
            raise RpcFault(-32602, "invalid params: filter: expected an object")
        from_block = block_param(query.get("fromBlock", "latest"))
        to_block = block_param(query.get("toBlock", "latest"))
        head = self.tester.get_block_by_number("latest")["number"]
        resolve = {"latest": head, "pending": head, "safe": head, "finalized": head, "earliest": 0}
        logs = self.tester.get_logs(
            from_block=resolve.get(from_block, from_block)
            if isinstance(from_block, str)
            else from_block,
            to_block=resolve.get(to_block, to_block) if isinstance(to_block, str) else to_block,
            address=query.get("address"),
            topics=query.get("topics"),
        )
        return [_encode(_log(entry)) for entry in logs]

    def _mine(self, p: list[Any]) -> str:
        first = param_at(p, 0)
        blocks = quantity(first, "blocks") if isinstance(first, str) else int(first or 1)
        if not 1 <= blocks <= 10_000:
            raise RpcFault(-32602, "invalid params: mine from 1 to 10,000 blocks")
        self.tester.mine_blocks(blocks)
        queued = {h for queue in self._queued.values() for h, _ in queue.values()}
        self._pending &= queued
        return "0x0"


def _log(entry: Any) -> dict[str, Any]:
    """eth-tester's log entry as nodes give it: no ``type``, and ``removed``."""
    log = dict(entry)
    log.pop("type", None)
    log["removed"] = False
    return log


def classify(exc: Exception) -> RpcFault | None:
    """py-evm's and eth-tester's validation errors as a node words them: a transaction
    that can never succeed is -32000 (as anvil and geth answer), bad params -32602."""
    if type(exc).__name__ != "ValidationError":
        return None
    message = str(exc)
    lowered = message.lower()
    if "cannot afford" in lowered:
        return RpcFault(-32000, "insufficient funds for gas * price + value")
    if "gas cannot be negative" in lowered or "intrinsic gas" in lowered:
        return RpcFault(-32000, "intrinsic gas too low")
    return RpcFault(-32602, f"invalid params: {message}")


def _rejection(message: str) -> str:
    """py-evm's validation messages, in the words nodes use (clients match on them)."""
    match = _NONCE.search(message)
    if match:
        expected, got = int(match.group(1)), int(match.group(2))
        word = "low" if got < expected else "high"
        return f"nonce too {word}: next nonce {expected}, tx nonce {got}"
    if "cannot afford" in message:
        return "insufficient funds for gas * price + value"
    if "max fee per gas" in message.lower() and "base fee" in message.lower():
        return "max fee per gas less than block base fee"
    return message
