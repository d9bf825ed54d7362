"""``EvmDevnet``: an in-process EVM node (eth-tester on py-evm) that speaks real JSON-RPC.

Real EVM execution and real signatures, with no node to install and no network. The
library reaches it through the same transport seam as a remote node: in-process with
``devnet.transport()`` (``httpx.ASGITransport``, no socket), or on a loopback port with
``async with devnet.serve() as url`` (hypercorn, under trio or asyncio).

Answers use a node's own encodings: hex quantities, ``null`` for unknown transactions
and receipts, EIP-1474 error codes, and code 3 with the revert data for reverts.
Differences from anvil that remain are listed in ``docs/devnet.md``.

Devnet controls (anvil's names where the meaning is the same): ``evm_mine`` and
``anvil_mine`` (mine N blocks), ``evm_setAutomine``, and ``devnet_fund`` (send wei from
the devnet's faucet account to an address).
"""

from __future__ import annotations

import itertools
import os
import re
from typing import Any

from eth.vm.chain_context import ChainContext
from eth.vm.spoof import SpoofTransaction
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys.datatypes import PrivateKey
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.backends.pyevm import main as pyevm_backend
from eth_tester.exceptions import BlockNotFound, TransactionFailed, TransactionNotFound
from eth_utils.exceptions import ValidationError

from ..errors import InvalidArgument
from .anvil import ANVIL_MNEMONIC
from .jsonrpc import Executor, JsonRpcApp, RpcFault
from .serve import Devnet

__all__ = ["DEVNET_MNEMONIC", "EvmDevnet"]

DEVNET_MNEMONIC = ANVIL_MNEMONIC
"""The devnet's accounts are anvil's well-known test keys: public, for local testing only."""

CLIENT_VERSION = "anyio-workflow-devnet/0.1 (eth-tester/py-evm)"
DEFAULT_TIP = 10**9  # 1 gwei, what geth and anvil suggest as a priority fee on a quiet chain
_CAMEL = re.compile(r"_([a-z])")
_BLOCK_TAGS = frozenset({"latest", "earliest", "pending", "safe", "finalized"})
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


def _quantity(value: Any, field: str) -> int:
    if isinstance(value, str) and value.startswith("0x"):
        return int(value, 16)
    raise InvalidArgument(f"{field}: expected a hex quantity")


def _block(value: Any) -> int | str:
    if value is None:
        return "latest"
    if value in _BLOCK_TAGS:
        return str(value)
    return _quantity(value, "block")


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
        raise InvalidArgument("transaction: expected an object")
    out: dict[str, Any] = {"from": "0x" + "00" * 20}
    for key, value in tx.items():
        name = _TX_FIELDS.get(key)
        if name is None or value is None:
            continue
        out[name] = _quantity(value, key) if name in _TX_QUANTITIES else value
    return out


class EvmDevnet(Devnet):
    """An embedded EVM devnet; see the module docstring.

    :param chain_id: so that one process can run an "ethereum" and a "polygon" devnet.
    :param accounts: prefunded accounts from ``mnemonic`` (anvil's, by default).
    :param balance: each prefunded account's balance, in wei.
    :param automine: mine each transaction at once; with ``False``, transactions wait in
        the pending block until ``evm_mine``.
    :param executor: ``"inline"`` runs each call under an AnyIO lock on the event loop;
        ``"thread"`` runs it in a worker thread (see ``benchmarks/devnet.py``).
    """

    def __init__(
        self,
        *,
        chain_id: int = 1337,
        accounts: int = 10,
        balance: int = 10_000 * 10**18,
        mnemonic: str = DEVNET_MNEMONIC,
        automine: bool = True,
        executor: Executor = "inline",
        name: str = "devnet",
    ) -> None:
        if chain_id < 1:
            raise InvalidArgument("chain_id: must be positive")
        if not 1 <= accounts <= 100:
            raise InvalidArgument("accounts: from 1 to 100")
        Account.enable_unaudited_hdwallet_features()
        self.chain_id = chain_id
        self.name = name
        self.accounts: list[LocalAccount] = [
            Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{i}")
            for i in range(accounts)
        ]
        genesis = pyevm_backend.generate_genesis_state_for_keys(
            [PrivateKey(a.key) for a in self.accounts], overrides={"balance": balance}
        )
        # A random extra_data gives each devnet its own genesis hash, so that two devnets
        # of one chain id in one process are told apart (NonceManager.check_chain).
        params = PyEVMBackend.generate_genesis_params(overrides={"extra_data": os.urandom(32)})
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
        self.app = JsonRpcApp(executor=executor, classify=_classify)
        self._register()

    # The methods. Each is a synchronous function of the JSON-RPC params.

    def _register(self) -> None:
        t = self.tester
        m = self.app.methods
        m["eth_chainId"] = lambda p: hex(self.chain_id)
        m["net_version"] = lambda p: str(self.chain_id)
        m["web3_clientVersion"] = lambda p: CLIENT_VERSION
        m["eth_blockNumber"] = lambda p: hex(t.get_block_by_number("latest")["number"])
        m["eth_getBalance"] = lambda p: hex(t.get_balance(p[0], _block(_at(p, 1))))
        m["eth_getTransactionCount"] = lambda p: hex(t.get_nonce(p[0], _block(_at(p, 1))))
        m["eth_getCode"] = lambda p: t.get_code(p[0], _block(_at(p, 1)))
        m["eth_call"] = self._call
        m["eth_estimateGas"] = self._estimate_gas
        m["eth_gasPrice"] = lambda p: hex(self._next_base_fee() + DEFAULT_TIP)
        m["eth_maxPriorityFeePerGas"] = lambda p: hex(DEFAULT_TIP)
        m["eth_feeHistory"] = self._fee_history
        m["eth_sendRawTransaction"] = self._send_raw_transaction
        m["eth_getTransactionByHash"] = self._transaction
        m["eth_getTransactionReceipt"] = self._receipt
        m["eth_getBlockByNumber"] = self._block_by_number
        m["eth_getLogs"] = self._logs
        m["evm_mine"] = self._mine
        m["anvil_mine"] = self._mine
        m["evm_setAutomine"] = self._set_automine
        m["devnet_fund"] = self._fund

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
        computation = self._computation(p[0], _block(_at(p, 1)))
        self._raise_if_failed(computation)
        return "0x" + bytes(computation.output).hex()

    def _estimate_gas(self, p: list[Any]) -> str:
        block = _block(_at(p, 1))
        request = _call_request(p[0])
        try:
            return hex(self.tester.estimate_gas(request, block))
        except TransactionFailed:
            self._raise_if_failed(self._computation(p[0], block))
            raise RpcFault(-32000, "gas required exceeds allowance") from None

    def _next_base_fee(self) -> int:
        header = self._backend.chain.get_canonical_head()
        return _next_base_fee(header.base_fee_per_gas, header.gas_used, header.gas_limit)

    def _fee_history(self, p: list[Any]) -> dict[str, Any]:
        count = _quantity(p[0], "blockCount") if isinstance(p[0], str) else int(p[0])
        if not 1 <= count <= 1024:
            raise RpcFault(-32602, "invalid params: blockCount must be from 1 to 1024")
        newest = _block(_at(p, 1))
        percentiles = [float(x) for x in (_at(p, 2) or [])]
        if any(b < a for a, b in itertools.pairwise(percentiles)) or any(
            not 0 <= x <= 100 for x in percentiles
        ):
            raise RpcFault(-32602, "invalid params: percentiles must rise from 0 to 100")
        head = self.tester.get_block_by_number("latest")["number"]
        last = (
            head
            if newest in ("latest", "pending", "safe", "finalized")
            else int(0 if newest == "earliest" else newest)
        )
        if last > head:
            raise RpcFault(-32602, f"invalid params: block {last} is beyond the head {head}")
        first = max(0, last - count + 1)
        base_fees: list[int] = []
        ratios: list[float] = []
        rewards: list[list[str]] = []
        for number in range(first, last + 1):
            block = self.tester.get_block_by_number(number, full_transactions=True)
            base_fees.append(block["base_fee_per_gas"])
            ratios.append(block["gas_used"] / block["gas_limit"])
            if percentiles:
                rewards.append([hex(r) for r in self._rewards(block, percentiles)])
        last_block = self.tester.get_block_by_number(last)
        base_fees.append(
            _next_base_fee(
                last_block["base_fee_per_gas"], last_block["gas_used"], last_block["gas_limit"]
            )
        )
        result: dict[str, Any] = {
            "oldestBlock": hex(first),
            "baseFeePerGas": [hex(b) for b in base_fees],
            "gasUsedRatio": ratios,
        }
        if percentiles:
            result["reward"] = rewards
        return result

    def _rewards(self, block: dict[str, Any], percentiles: list[float]) -> list[int]:
        """Priority fees at each percentile of gas used in ``block``, as geth computes them."""
        base_fee = block["base_fee_per_gas"]
        tips: list[tuple[int, int]] = []
        for tx in block["transactions"]:
            receipt = self.tester.get_transaction_receipt(tx["hash"])
            tips.append((receipt["effective_gas_price"] - base_fee, receipt["gas_used"]))
        if not tips:
            return [0 for _ in percentiles]
        tips.sort()
        total = sum(gas for _, gas in tips)
        out = []
        for percentile in percentiles:
            threshold = total * percentile / 100
            cumulative = 0
            for tip, gas in tips:
                cumulative += gas
                if cumulative >= threshold:
                    out.append(tip)
                    break
            else:
                out.append(tips[-1][0])
        return out

    def _send_raw_transaction(self, p: list[Any]) -> str:
        raw = p[0]
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
        full = bool(_at(p, 1))
        try:
            block = dict(self.tester.get_block_by_number(_block(p[0]), full_transactions=full))
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
            raise InvalidArgument("filter: expected an object")
        from_block = _block(query.get("fromBlock", "latest"))
        to_block = _block(query.get("toBlock", "latest"))
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
        blocks = _quantity(p[0], "blocks") if p and isinstance(p[0], str) else int(_at(p, 0) or 1)
        if not 1 <= blocks <= 10_000:
            raise RpcFault(-32602, "invalid params: mine from 1 to 10,000 blocks")
        self.tester.mine_blocks(blocks)
        queued = {h for queue in self._queued.values() for h, _ in queue.values()}
        self._pending &= queued
        return "0x0"

    def _set_automine(self, p: list[Any]) -> None:
        if not p or not isinstance(p[0], bool):
            raise RpcFault(-32602, "invalid params: expected true or false")
        self.automine = p[0]

    def _fund(self, p: list[Any]) -> str:
        """Send ``p[1]`` wei to ``p[0]`` from the last prefunded account (the faucet)."""
        to, amount = p[0], _quantity(p[1], "amount")
        faucet = self.accounts[-1]
        tx = {
            "to": to, "value": amount, "gas": 21_000, "chainId": self.chain_id, "type": 2,
            "nonce": self.tester.get_nonce(faucet.address, "pending"),
            "maxFeePerGas": 2 * self._next_base_fee() + DEFAULT_TIP,
            "maxPriorityFeePerGas": DEFAULT_TIP,
        }  # fmt: skip
        raw = "0x" + faucet.sign_transaction(tx).raw_transaction.hex()
        tx_hash: str = self._send_raw_transaction([raw])
        return tx_hash


def _log(entry: Any) -> dict[str, Any]:
    """eth-tester's log entry as nodes give it: no ``type``, and ``removed``."""
    log = dict(entry)
    log.pop("type", None)
    log["removed"] = False
    return log


def _at(params: list[Any], index: int) -> Any:
    return params[index] if len(params) > index else None


def _next_base_fee(base_fee: int, gas_used: int, gas_limit: int) -> int:
    """EIP-1559: the next block's base fee from this one's."""
    target = gas_limit // 2
    if gas_used == target:
        return base_fee
    if gas_used > target:
        return base_fee + max(1, base_fee * (gas_used - target) // target // 8)
    return base_fee - base_fee * (target - gas_used) // target // 8


def _classify(exc: Exception) -> RpcFault | None:
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
