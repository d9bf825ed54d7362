"""The revm engine of the embedded EVM devnet (``EvmDevnet(backend="revm")``, the default).

revm (the Rust EVM inside reth and foundry, through ``pyrevm``) executes; this module keeps
the chain around it, as a node does: a pool that holds nonce gaps and replacements, blocks
with EIP-1559 base fees, receipts with logs and their bloom, ``eth_call`` and
``eth_estimateGas`` with revert data, snapshots (``evm_snapshot`` / ``evm_revert``) and
reorgs (``devnet_reorg``), both by replaying the kept blocks from genesis.

What pyrevm leaves to its caller is done here: the sender's nonce is raised for a call (a
creation raises it inside revm), and the fee (gas used times the effective gas price) is
charged to the sender after execution, its tip paid to the block's miner. Differences from
a node that remain are listed in ``docs/devnet.md``; the one to know: pyrevm keeps revm's
journal open between transactions, so a contract call's gas can differ from a chain's
(warm slots, an older EIP-2200 "original" value); ``backend="py-evm"`` has exact gas.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import coincurve
import rlp
from pyrevm import EVM, AccountInfo, BlockEnv, CfgEnv, Env

from .._hash import keccak256
from ..errors import InvalidArgument
from .evmbase import (
    BlockFees,
    address_param,
    block_param,
    fee_history,
    next_base_fee,
    param_at,
    quantity,
)
from .jsonrpc import Method, RpcFault

__all__ = ["RevmEngine", "SignedTransaction", "decode_transaction"]

GAS_LIMIT = 30_000_000
GENESIS_BASE_FEE = 10**9
SPEC = "CANCUN"
ZERO_ADDRESS = "0x" + "00" * 20
EMPTY_LIST_HASH = keccak256(rlp.encode([]))
_SECP256K1_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
_GAS_USED = re.compile(r"gas_used: (\d+)")
_OUTPUT = re.compile(r"output: 0x([0-9a-fA-F]*)")
_REASON = re.compile(r"reason: (\w+)")


def _int(value: bytes) -> int:
    return int.from_bytes(value, "big")


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


@dataclass(slots=True)
class SignedTransaction:
    """A signed transaction as the pool keeps it: its fields, its sender and its bytes."""

    raw: bytes
    hash: str
    type: int
    chain_id: int | None
    nonce: int
    gas: int
    to: str | None
    value: int
    data: bytes
    max_fee: int
    tip: int
    v: int
    r: int
    s: int
    sender: str
    access_list: list[Any] = field(default_factory=list)
    arrival: int = 0

    def effective_price(self, base_fee: int) -> int:
        if self.type == 2:
            return min(self.max_fee, base_fee + self.tip)
        return self.max_fee

    def tip_at(self, base_fee: int) -> int:
        return self.effective_price(base_fee) - base_fee


def decode_transaction(raw: bytes) -> SignedTransaction:
    """Decode and recover a signed legacy, EIP-2930 or EIP-1559 transaction.

    Raises :class:`InvalidArgument` for bytes that are not one (the devnet answers -32602).
    """
    if not raw:
        raise InvalidArgument("empty")
    kind = raw[0]
    if kind >= 0xC0:
        items = rlp.decode(raw)
        if not isinstance(items, list) or len(items) != 9:
            raise InvalidArgument("a legacy transaction has 9 fields")
        nonce, price, gas, to, value, data, v_raw, r, s = items
        v = _int(v_raw)
        if v in (27, 28):
            chain_id, parity = None, v - 27
            signing = rlp.encode(items[:6])
        elif v >= 35:
            chain_id, parity = (v - 35) // 2, (v - 35) % 2
            signing = rlp.encode([*items[:6], chain_id, b"", b""])
        else:
            raise InvalidArgument(f"v = {v}")
        tip = max_fee = _int(price)
        access_list: list[Any] = []
        tx_type = 0
    elif kind in (1, 2):
        items = rlp.decode(raw[1:])
        if kind == 1:
            if not isinstance(items, list) or len(items) != 11:
                raise InvalidArgument("an EIP-2930 transaction has 11 fields")
            chain, nonce, price, gas, to, value, data, access_list, parity_raw, r, s = items
            tip = max_fee = _int(price)
        else:
            if not isinstance(items, list) or len(items) != 12:
                raise InvalidArgument("an EIP-1559 transaction has 12 fields")
            chain, nonce, tip_raw, fee_raw, gas, to, value, data, access_list = items[:9]
            parity_raw, r, s = items[9:]
            tip, max_fee = _int(tip_raw), _int(fee_raw)
        chain_id, parity, v = _int(chain), _int(parity_raw), _int(parity_raw)
        if parity > 1:
            raise InvalidArgument("y parity must be 0 or 1")
        signing = bytes([kind]) + rlp.encode(items[:-3])
        tx_type = kind
    else:
        raise InvalidArgument(f"transaction type {kind} is not supported")
    if len(to) not in (0, 20):
        raise InvalidArgument("to: must be 20 bytes or empty")
    r_int, s_int = _int(r), _int(s)
    if not 0 < r_int < 2**256 or not 0 < s_int <= _SECP256K1_HALF_N:
        raise InvalidArgument("signature values out of range")
    signature = r_int.to_bytes(32, "big") + s_int.to_bytes(32, "big") + bytes([parity])
    public = coincurve.PublicKey.from_signature_and_message(
        signature, keccak256(signing), hasher=None
    )
    sender = _hex(keccak256(public.format(compressed=False)[1:])[12:])
    return SignedTransaction(
        raw=raw,
        hash=_hex(keccak256(raw)),
        type=tx_type,
        chain_id=chain_id,
        nonce=_int(nonce),
        gas=_int(gas),
        to=_hex(to) if to else None,
        value=_int(value),
        data=bytes(data),
        max_fee=max_fee,
        tip=tip,
        v=v,
        r=r_int,
        s=s_int,
        sender=sender,
        access_list=list(access_list),
    )


def intrinsic_gas(tx: SignedTransaction) -> int:
    """The gas a transaction pays before it runs (Shanghai and Cancun rules)."""
    zeros = tx.data.count(0)
    gas = 21_000 + 4 * zeros + 16 * (len(tx.data) - zeros)
    if tx.to is None:
        gas += 32_000 + 2 * ((len(tx.data) + 31) // 32)
    return gas


def create_address(sender: str, nonce: int) -> str:
    return _hex(keccak256(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:])


def _bloom_add(bloom: int, item: bytes) -> int:
    digest = keccak256(item)
    for i in (0, 2, 4):
        bloom |= 1 << (((digest[i] << 8) | digest[i + 1]) & 2047)
    return bloom


def logs_bloom(logs: list[dict[str, Any]]) -> int:
    """The 2,048-bit bloom filter of ``logs``' addresses and topics (the yellow paper's M3:2048)."""
    bloom = 0
    for log in logs:
        bloom = _bloom_add(bloom, bytes.fromhex(log["address"][2:]))
        for topic in log["topics"]:
            bloom = _bloom_add(bloom, bytes.fromhex(topic[2:]))
    return bloom


def _bloom_hex(bloom: int) -> str:
    return _hex(bloom.to_bytes(256, "big"))


@dataclass(slots=True)
class _Block:
    number: int
    hash: str
    parent_hash: str
    timestamp: int
    base_fee: int
    gas_used: int
    miner: str
    extra_data: bytes
    state_root: bytes
    transactions_root: bytes
    receipts_root: bytes
    bloom: int
    transactions: list[str]
    tips: list[tuple[int, int]]
    logs: list[dict[str, Any]]

    def header_hash(self) -> str:
        header = [
            bytes.fromhex(self.parent_hash[2:]), EMPTY_LIST_HASH,
            bytes.fromhex(self.miner[2:]), self.state_root, self.transactions_root,
            self.receipts_root, self.bloom.to_bytes(256, "big"), 0, self.number, GAS_LIMIT,
            self.gas_used, self.timestamp, self.extra_data, b"\x00" * 32, b"\x00" * 8,
            self.base_fee,
        ]  # fmt: skip
        return _hex(keccak256(rlp.encode(header)))


@dataclass(slots=True)
class _Snapshot:
    blocks: int
    pool: dict[str, dict[int, SignedTransaction]]
    time_offset: int


@dataclass(slots=True)
class _Outcome:
    success: bool
    output: bytes
    gas_used: int
    reason: str


class RevmEngine:
    """revm and the chain around it; see the module docstring."""

    client_version = "anyio-workflow-devnet/0.1 (revm)"

    def __init__(
        self, *, chain_id: int, addresses: list[str], balance: int, automine: bool
    ) -> None:
        self.chain_id = chain_id
        self.automine = automine
        self.miner = ZERO_ADDRESS
        self._genesis_balances = {a.lower(): balance for a in addresses}
        self._time_offset = 0
        self._arrivals = 0
        self.evm = self._fresh_evm()
        genesis = _Block(
            number=0, hash="", parent_hash=_hex(b"\x00" * 32), timestamp=int(time.time()),
            base_fee=GENESIS_BASE_FEE, gas_used=0, miner=self.miner,
            # A random extra_data gives each devnet its own genesis hash, so that two
            # devnets of one chain id in one process are told apart (NonceManager).
            extra_data=os.urandom(32), state_root=keccak256(os.urandom(32)),
            transactions_root=keccak256(b""), receipts_root=keccak256(b""), bloom=0,
            transactions=[], tips=[], logs=[],
        )  # fmt: skip
        genesis.hash = genesis.header_hash()
        self.blocks: list[_Block] = [genesis]
        self._by_hash: dict[str, _Block] = {genesis.hash: genesis}
        self.transactions: dict[str, tuple[SignedTransaction, int, int, int]] = {}
        """Mined transactions by hash: the transaction, its block, index and price."""
        self.receipts: dict[str, dict[str, Any]] = {}
        self.pool: dict[str, dict[int, SignedTransaction]] = {}
        self._pooled: dict[str, SignedTransaction] = {}
        self._snapshots: dict[int, _Snapshot] = {}
        self._snapshot_ids = 0
        self._reorgs = 0

    def _fresh_evm(self) -> EVM:
        env = Env(
            cfg=CfgEnv(chain_id=self.chain_id, perf_analyse_created_bytecodes="Raw"),
            block=BlockEnv(number=0, coinbase=self.miner, timestamp=int(time.time()),
                           basefee=GENESIS_BASE_FEE, gas_limit=GAS_LIMIT),
        )  # fmt: skip
        evm = EVM(env=env, spec_id=SPEC)
        for address, balance in self._genesis_balances.items():
            evm.set_balance(address, balance)
        return evm

    def methods(self) -> dict[str, Method]:
        return {
            "eth_blockNumber": lambda p: hex(self.head.number),
            "eth_getBalance": self._balance,
            "eth_getTransactionCount": self._nonce,
            "eth_getCode": self._code,
            "eth_getStorageAt": self._storage,
            "eth_call": self._call,
            "eth_estimateGas": self._estimate_gas,
            "eth_feeHistory": lambda p: fee_history(p, self.head.number, self._block_fees),
            "eth_sendRawTransaction": self._send_raw_transaction,
            "eth_getTransactionByHash": self._transaction,
            "eth_getTransactionReceipt": self._receipt,
            "eth_getBlockByNumber": self._block_by_number,
            "eth_getBlockByHash": self._block_by_hash,
            "eth_getLogs": self._logs,
            "evm_mine": self._mine,
            "anvil_mine": self._mine,
            "evm_snapshot": self._snapshot,
            "evm_revert": self._revert,
            "evm_increaseTime": self._increase_time,
            "devnet_reorg": self._reorg,
        }

    # Reading state.

    @property
    def head(self) -> _Block:
        return self.blocks[-1]

    def _state_at(self, params: list[Any], index: int) -> None:
        """Only the head's state is kept (as on a node that is not an archive)."""
        block = block_param(param_at(params, index))
        if isinstance(block, int) and block != self.head.number:
            if block > self.head.number:
                raise RpcFault(-32000, f"header not found: block {block}")
            raise RpcFault(
                -32000,
                f"historical state is not kept: block {block}, head {self.head.number}"
                " (the revm devnet keeps the head's state only)",
            )
        if block == "earliest" and self.head.number != 0:
            raise RpcFault(-32000, "historical state is not kept: block 0")

    def _balance(self, p: list[Any]) -> str:
        address = address_param(param_at(p, 0))
        self._state_at(p, 1)
        return hex(self.evm.get_balance(address))

    def nonce(self, address: str) -> int:
        return int(self.evm.basic(address).nonce)

    def pending_nonce(self, address: str) -> int:
        address = address.lower()
        nonce = self.nonce(address)
        queue = self.pool.get(address, {})
        while nonce in queue:
            nonce += 1
        return nonce

    def _nonce(self, p: list[Any]) -> str:
        address = address_param(param_at(p, 0))
        if block_param(param_at(p, 1)) == "pending":
            return hex(self.pending_nonce(address))
        self._state_at(p, 1)
        return hex(self.nonce(address))

    def _code(self, p: list[Any]) -> str:
        address = address_param(param_at(p, 0))
        self._state_at(p, 1)
        return _hex(self.evm.get_code(address) or b"")

    def _storage(self, p: list[Any]) -> str:
        address = address_param(param_at(p, 0))
        slot = quantity(param_at(p, 1), "slot")
        self._state_at(p, 2)
        return _hex(self.evm.storage(address, slot).to_bytes(32, "big"))

    # Simulation.

    def _execute(
        self, sender: str, to: str | None, data: bytes, value: int, gas: int, price: int
    ) -> _Outcome:
        """Run a message in the current state; its changes stay (the caller reverts them)."""
        evm = self.evm
        try:
            if to is None:
                address = evm.deploy(sender, data, value=value, gas=gas)
                output = evm.get_code(address) or b""
            else:
                output = evm.message_call(sender, to, data, value=value, gas=gas, gas_price=price)
        except RuntimeError as exc:
            message = str(exc)
            used = _GAS_USED.search(message)
            if message.startswith("Revert"):
                out = _OUTPUT.search(message)
                return _Outcome(
                    False, bytes.fromhex(out.group(1)) if out else b"",
                    int(used.group(1)) if used else gas, "execution reverted",
                )  # fmt: skip
            if message.startswith("Halt"):
                reason = _REASON.search(message)
                return _Outcome(False, b"", gas, reason.group(1) if reason else "halted")
            # Not an outcome: revm refuses to run it at all (it leaves the pool).
            raise RpcFault(-32000, _rejection(message)) from None
        result = evm.result
        return _Outcome(True, bytes(output), int(result.gas_used) if result else gas, "")

    def _call_request(self, p: list[Any]) -> tuple[str, str | None, bytes, int, int, int]:
        request = param_at(p, 0)
        if not isinstance(request, dict):
            raise RpcFault(-32602, "invalid params: transaction: expected an object")
        sender = address_param(request.get("from") or ZERO_ADDRESS, "from")
        to = request.get("to")
        to = address_param(to, "to") if to is not None else None
        raw = request.get("input", request.get("data")) or "0x"
        if not isinstance(raw, str) or not raw.startswith("0x"):
            raise RpcFault(-32602, "invalid params: data: expected 0x-hex bytes")
        try:
            data = bytes.fromhex(raw[2:])
        except ValueError:
            raise RpcFault(-32602, "invalid params: data: expected 0x-hex bytes") from None

        def number(key: str, default: int) -> int:
            value = request.get(key)
            return default if value is None else quantity(value, key)

        price = number("gasPrice", number("maxFeePerGas", 0))
        return (
            sender,
            to,
            data,
            number("value", 0),
            min(number("gas", GAS_LIMIT), GAS_LIMIT),
            price,
        )

    def _simulate(
        self, sender: str, to: str | None, data: bytes, value: int, gas: int, price: int
    ) -> _Outcome:
        checkpoint = self.evm.snapshot()
        try:
            return self._execute(sender, to, data, value, gas, price)
        finally:
            self.evm.revert(checkpoint)

    @staticmethod
    def _raise_for(outcome: _Outcome) -> None:
        if outcome.reason == "execution reverted":
            raise RpcFault(3, "execution reverted", _hex(outcome.output))
        raise RpcFault(-32000, f"execution halted: {outcome.reason}")

    def _call(self, p: list[Any]) -> str:
        self._state_at(p, 1)
        outcome = self._simulate(*self._call_request(p))
        if not outcome.success:
            self._raise_for(outcome)
        return _hex(outcome.output)

    def _estimate_gas(self, p: list[Any]) -> str:
        """The least gas with which the call succeeds, found by bisection as geth does."""
        self._state_at(p, 1)
        sender, to, data, value, cap, price = self._call_request(p)
        outcome = self._simulate(sender, to, data, value, cap, price)
        if not outcome.success:
            if outcome.reason == "execution reverted":
                self._raise_for(outcome)
            raise RpcFault(-32000, "gas required exceeds allowance")
        low, high = outcome.gas_used - 1, cap
        if self._simulate(sender, to, data, value, outcome.gas_used, price).success:
            return hex(outcome.gas_used)
        while high - low > 1:
            middle = (low + high) // 2
            if self._simulate(sender, to, data, value, middle, price).success:
                high = middle
            else:
                low = middle
        return hex(high)

    # The pool.

    def next_base_fee(self) -> int:
        head = self.head
        return next_base_fee(head.base_fee, head.gas_used, GAS_LIMIT)

    def _send_raw_transaction(self, p: list[Any]) -> str:
        raw = param_at(p, 0)
        if not isinstance(raw, str) or not raw.startswith("0x"):
            raise RpcFault(-32602, "invalid params: expected 0x-hex signed transaction bytes")
        try:
            tx = decode_transaction(bytes.fromhex(raw[2:]))
        except Exception as exc:  # any decoding failure: the bytes are not a transaction
            raise RpcFault(-32602, f"invalid params: not a signed transaction ({exc})") from None
        if tx.access_list:
            raise RpcFault(
                -32602,
                "invalid params: access lists are not supported by the revm devnet"
                " (EvmDevnet(backend='py-evm') runs them)",
            )
        if tx.chain_id is not None and tx.chain_id != self.chain_id:
            raise RpcFault(-32000, f"invalid chain id: expected {self.chain_id}, got {tx.chain_id}")
        if tx.hash in self._pooled:
            raise RpcFault(-32000, "already known")
        nonce = self.nonce(tx.sender)
        if tx.nonce < nonce:
            raise RpcFault(-32000, f"nonce too low: next nonce {nonce}, tx nonce {tx.nonce}")
        if tx.gas < intrinsic_gas(tx):
            raise RpcFault(-32000, "intrinsic gas too low")
        if tx.gas > GAS_LIMIT:
            raise RpcFault(-32000, "exceeds block gas limit")
        if tx.tip > tx.max_fee:
            raise RpcFault(-32000, "max priority fee per gas higher than max fee per gas")
        if tx.max_fee < self.next_base_fee():
            raise RpcFault(-32000, "max fee per gas less than block base fee")
        if self.evm.get_balance(tx.sender) < tx.value + tx.gas * tx.max_fee:
            raise RpcFault(-32000, "insufficient funds for gas * price + value")
        queue = self.pool.setdefault(tx.sender, {})
        old = queue.get(tx.nonce)
        if old is not None:
            # A replacement pays at least 10 % more, in tip and in fee cap (geth's rule).
            if tx.tip * 10 < old.tip * 11 or tx.max_fee * 10 < old.max_fee * 11:
                raise RpcFault(-32000, "replacement transaction underpriced")
            del self._pooled[old.hash]
        self._arrivals += 1
        tx.arrival = self._arrivals
        queue[tx.nonce] = tx
        self._pooled[tx.hash] = tx
        if self.automine and tx.nonce == nonce:
            self.mine(1)
        return tx.hash

    def _ready(self) -> Iterator[SignedTransaction]:
        """The pool's transactions that can run now: each sender's in nonce order from its
        account's nonce, senders interleaved by arrival."""
        heads: dict[str, int] = {}
        for sender, queue in self.pool.items():
            if queue:
                heads[sender] = self.nonce(sender)
        while heads:
            best: SignedTransaction | None = None
            for sender, nonce in list(heads.items()):
                tx = self.pool[sender].get(nonce)
                if tx is None:
                    del heads[sender]
                elif best is None or tx.arrival < best.arrival:
                    best = tx
            if best is None:
                return
            heads[best.sender] += 1
            yield best

    # Mining.

    def _timestamp(self) -> int:
        return max(int(time.time()) + self._time_offset, self.head.timestamp)

    def mine(self, count: int = 1) -> None:
        for _ in range(count):
            self._mine_block(self._timestamp())

    def _mine_block(
        self, timestamp: int, only: list[SignedTransaction] | None = None, extra: bytes = b""
    ) -> None:
        parent = self.head
        number = parent.number + 1
        base_fee = self.next_base_fee()
        self.evm.set_block_env(
            BlockEnv(number=number, coinbase=self.miner, timestamp=timestamp,
                     basefee=base_fee, gas_limit=GAS_LIMIT, prevrandao=b"\x00" * 32)
        )  # fmt: skip
        gas_used = 0
        receipts: list[dict[str, Any]] = []
        included: list[SignedTransaction] = []
        candidates = list(self._ready()) if only is None else only
        for tx in candidates:
            if gas_used + tx.gas > GAS_LIMIT:
                break
            price = tx.effective_price(base_fee)
            if price < base_fee:
                continue  # waits in the pool for a lower base fee
            receipt = self._run(tx, price, base_fee, len(included), gas_used)
            if receipt is None:
                continue
            gas_used += int(receipt["gasUsed"], 16)
            receipts.append(receipt)
            included.append(tx)
        logs = [log for receipt in receipts for log in receipt["logs"]]
        for index, log in enumerate(logs):
            log["logIndex"] = hex(index)
        tips = [
            (tx.tip_at(base_fee), int(r["gasUsed"], 16))
            for tx, r in zip(included, receipts, strict=True)
        ]
        block = _Block(
            number=number, hash="", parent_hash=parent.hash, timestamp=timestamp,
            base_fee=base_fee, gas_used=gas_used, miner=self.miner, extra_data=extra,
            # Digests of what the block holds, not Merkle-Patricia roots (docs/devnet.md).
            state_root=keccak256(parent.state_root + b"".join(
                bytes.fromhex(tx.hash[2:]) for tx in included)),
            transactions_root=keccak256(b"".join(tx.raw for tx in included)),
            receipts_root=keccak256(b"".join(
                rlp.encode([int(r["status"], 16), int(r["cumulativeGasUsed"], 16)])
                for r in receipts)),
            bloom=logs_bloom(logs), transactions=[tx.hash for tx in included], tips=tips,
            logs=logs,
        )  # fmt: skip
        block.hash = block.header_hash()
        number_hex = hex(number)
        for receipt in receipts:
            receipt["blockHash"] = block.hash
            receipt["blockNumber"] = number_hex
            for log in receipt["logs"]:
                log["blockHash"] = block.hash
                log["blockNumber"] = number_hex
        for tx, receipt in zip(included, receipts, strict=True):
            self.receipts[tx.hash] = receipt
            queue = self.pool[tx.sender]
            del queue[tx.nonce]
            if not queue:
                del self.pool[tx.sender]
            del self._pooled[tx.hash]
        self.blocks.append(block)
        self._by_hash[block.hash] = block

    def _run(
        self, tx: SignedTransaction, price: int, base_fee: int, index: int, gas_before: int
    ) -> dict[str, Any] | None:
        """Execute ``tx`` into the block; ``None`` (and out of the pool) if it cannot run."""
        evm = self.evm
        sender = tx.sender
        balance = evm.get_balance(sender)
        if balance < tx.value + tx.gas * price:
            self._drop(tx)
            return None
        # No journal checkpoint here: pyrevm cannot release one without reverting it, and
        # each open one counts against revm's call depth of 1,024.
        contract = None
        info = evm.basic(sender)
        if tx.to is None:
            contract = create_address(sender, tx.nonce)  # revm raises the nonce itself
        else:
            self._set_nonce(sender, info, info.nonce + 1, balance)
        try:
            outcome = self._execute(sender, tx.to, tx.data, tx.value, tx.gas, price)
        except RpcFault:
            self._set_nonce(sender, info, info.nonce, balance)
            self._drop(tx)
            return None
        result = evm.result
        raw_logs = list(result.logs) if outcome.success and result is not None else []
        fee = outcome.gas_used * price
        evm.set_balance(sender, evm.get_balance(sender) - fee)
        if price > base_fee:
            evm.set_balance(self.miner, evm.get_balance(self.miner) + outcome.gas_used * (
                price - base_fee))  # fmt: skip
        index_hex = hex(index)
        logs = []
        for log in raw_logs:
            topics, data = log.data
            logs.append({
                "address": log.address.lower(), "topics": [_hex(t) for t in topics],
                "data": _hex(data), "blockNumber": None, "blockHash": None,
                "transactionHash": tx.hash, "transactionIndex": index_hex, "logIndex": "0x0",
                "removed": False,
            })  # fmt: skip
        self.transactions[tx.hash] = (tx, self.head.number + 1, index, price)
        return {
            "transactionHash": tx.hash, "transactionIndex": index_hex, "blockHash": None,
            "blockNumber": None, "from": sender, "to": tx.to,
            "cumulativeGasUsed": hex(gas_before + outcome.gas_used),
            "gasUsed": hex(outcome.gas_used), "effectiveGasPrice": hex(price),
            "contractAddress": contract, "logs": logs,
            "logsBloom": _bloom_hex(logs_bloom(logs)),
            "status": "0x1" if outcome.success else "0x0", "type": hex(tx.type),
        }  # fmt: skip

    def _set_nonce(self, address: str, info: AccountInfo, nonce: int, balance: int) -> None:
        # pyrevm sets an account's nonce with its code hash and zeroes its balance.
        self.evm.insert_account_info(address, AccountInfo(nonce=nonce, code_hash=info.code_hash))
        self.evm.set_balance(address, balance)

    def _drop(self, tx: SignedTransaction) -> None:
        queue = self.pool.get(tx.sender, {})
        if queue.get(tx.nonce) is tx:
            del queue[tx.nonce]
            if not queue:
                del self.pool[tx.sender]
        self._pooled.pop(tx.hash, None)

    def _mine(self, p: list[Any]) -> str:
        first = param_at(p, 0)
        blocks = quantity(first, "blocks") if isinstance(first, str) else int(first or 1)
        if not 1 <= blocks <= 10_000:
            raise RpcFault(-32602, "invalid params: mine from 1 to 10,000 blocks")
        self.mine(blocks)
        return "0x0"

    def _increase_time(self, p: list[Any]) -> str:
        first = param_at(p, 0)
        seconds = quantity(first, "seconds") if isinstance(first, str) else first
        if not isinstance(seconds, int) or seconds < 0:
            raise RpcFault(-32602, "invalid params: seconds: expected a non-negative number")
        self._time_offset += seconds
        return hex(self._time_offset)

    # Answers.

    def _block_fees(self, number: int) -> BlockFees:
        block = self.blocks[number]
        return BlockFees(block.base_fee, block.gas_used, GAS_LIMIT, block.tips)

    def _transaction(self, p: list[Any]) -> dict[str, Any] | None:
        tx_hash = param_at(p, 0)
        if not isinstance(tx_hash, str):
            raise RpcFault(-32602, "invalid params: expected a transaction hash")
        tx_hash = tx_hash.lower()
        mined = self.transactions.get(tx_hash)
        if mined is not None:
            tx, number, index, price = mined
            return self._encode_transaction(tx, self.blocks[number].hash, number, index, price)
        pooled = self._pooled.get(tx_hash)
        if pooled is not None:
            return self._encode_transaction(pooled, None, None, None, pooled.max_fee)
        return None

    def _encode_transaction(
        self,
        tx: SignedTransaction,
        block_hash: str | None,
        number: int | None,
        index: int | None,
        price: int,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "hash": tx.hash, "nonce": hex(tx.nonce), "blockHash": block_hash,
            "blockNumber": None if number is None else hex(number),
            "transactionIndex": None if index is None else hex(index),
            "from": tx.sender, "to": tx.to, "value": hex(tx.value), "gas": hex(tx.gas),
            "gasPrice": hex(price), "input": _hex(tx.data), "type": hex(tx.type),
            "v": hex(tx.v), "r": hex(tx.r), "s": hex(tx.s),
        }  # fmt: skip
        if tx.chain_id is not None:
            out["chainId"] = hex(tx.chain_id)
        if tx.type:
            out["yParity"] = hex(tx.v)
            out["accessList"] = []
        if tx.type == 2:
            out["maxFeePerGas"] = hex(tx.max_fee)
            out["maxPriorityFeePerGas"] = hex(tx.tip)
        return out

    def _receipt(self, p: list[Any]) -> dict[str, Any] | None:
        tx_hash = param_at(p, 0)
        if not isinstance(tx_hash, str):
            raise RpcFault(-32602, "invalid params: expected a transaction hash")
        return self.receipts.get(tx_hash.lower())

    def _encode_block(self, block: _Block, full: bool) -> dict[str, Any]:
        transactions: list[Any] = list(block.transactions)
        if full:
            transactions = [self._transaction([h]) for h in block.transactions]
        return {
            "number": hex(block.number), "hash": block.hash, "parentHash": block.parent_hash,
            "nonce": "0x0000000000000000", "sha3Uncles": _hex(EMPTY_LIST_HASH),
            "logsBloom": _bloom_hex(block.bloom),
            "transactionsRoot": _hex(block.transactions_root),
            "stateRoot": _hex(block.state_root), "receiptsRoot": _hex(block.receipts_root),
            "miner": block.miner, "difficulty": "0x0", "totalDifficulty": "0x0",
            "extraData": _hex(block.extra_data), "size": hex(1000 + 100 * len(transactions)),
            "gasLimit": hex(GAS_LIMIT), "gasUsed": hex(block.gas_used),
            "timestamp": hex(block.timestamp), "transactions": transactions, "uncles": [],
            "baseFeePerGas": hex(block.base_fee), "mixHash": _hex(b"\x00" * 32),
        }  # fmt: skip

    def _block_number(self, value: Any) -> int:
        block = block_param(value)
        if block == "earliest":
            return 0
        if isinstance(block, str):
            return self.head.number
        return block

    def _block_by_number(self, p: list[Any]) -> dict[str, Any] | None:
        number = self._block_number(param_at(p, 0))
        if number >= len(self.blocks):
            return None
        return self._encode_block(self.blocks[number], bool(param_at(p, 1)))

    def _block_by_hash(self, p: list[Any]) -> dict[str, Any] | None:
        block_hash = param_at(p, 0)
        if not isinstance(block_hash, str):
            raise RpcFault(-32602, "invalid params: expected a block hash")
        block = self._by_hash.get(block_hash.lower())
        return None if block is None else self._encode_block(block, bool(param_at(p, 1)))

    def _logs(self, p: list[Any]) -> list[dict[str, Any]]:
        query = param_at(p, 0) or {}
        if not isinstance(query, dict):
            raise RpcFault(-32602, "invalid params: filter: expected an object")
        if query.get("blockHash") is not None:
            block = self._by_hash.get(str(query["blockHash"]).lower())
            if block is None:
                raise RpcFault(-32000, "unknown block")
            blocks = [block]
        else:
            first = self._block_number(query.get("fromBlock", "latest"))
            last = min(self._block_number(query.get("toBlock", "latest")), self.head.number)
            blocks = self.blocks[first : last + 1]
        address = query.get("address")
        addresses = None
        if address is not None:
            listed = address if isinstance(address, list) else [address]
            addresses = {address_param(a, "address") for a in listed}
        wanted = _topic_filter(query.get("topics"))
        return [
            dict(log)
            for block in blocks
            for log in block.logs
            if (addresses is None or log["address"] in addresses)
            and _topics_match(log["topics"], wanted)
        ]

    # Snapshots and reorgs.

    def _snapshot(self, p: list[Any]) -> str:
        self._snapshot_ids += 1
        self._snapshots[self._snapshot_ids] = _Snapshot(
            blocks=len(self.blocks),
            pool={sender: dict(queue) for sender, queue in self.pool.items()},
            time_offset=self._time_offset,
        )
        return hex(self._snapshot_ids)

    def _revert(self, p: list[Any]) -> bool:
        """``evm_revert(id)``: back to the chain, pool and clock of snapshot ``id``, which
        ends with every later one (as on anvil)."""
        ident = quantity(param_at(p, 0), "snapshot id")
        snapshot = self._snapshots.get(ident)
        if snapshot is None:
            return False
        for later in [i for i in self._snapshots if i >= ident]:
            del self._snapshots[later]
        self._rewind(snapshot.blocks)
        for queue in snapshot.pool.values():
            for tx in queue.values():
                self._pool_add(tx)
        self._time_offset = snapshot.time_offset
        return True

    def _pool_add(self, tx: SignedTransaction) -> None:
        self.pool.setdefault(tx.sender, {})[tx.nonce] = tx
        self._pooled[tx.hash] = tx

    def _truncate(self, length: int) -> list[SignedTransaction]:
        """Forget the blocks from ``length`` on; returns their transactions, in order."""
        removed: list[SignedTransaction] = []
        for block in self.blocks[length:]:
            del self._by_hash[block.hash]
            for tx_hash in block.transactions:
                removed.append(self.transactions.pop(tx_hash)[0])
                del self.receipts[tx_hash]
        del self.blocks[length:]
        return removed

    def _rewind(self, length: int) -> list[SignedTransaction]:
        """Make the chain its first ``length`` blocks, with their state; returns the
        transactions of the blocks forgotten, and leaves the pool empty.

        The state is rebuilt by replaying the kept blocks from genesis: pyrevm cannot copy
        its state, and its journal does not undo what is set outside the EVM (a sender's
        nonce and fee, the miner's tip), so a journal checkpoint cannot take a chain back."""
        removed = self._truncate(length)
        self.pool, self._pooled = {}, {}
        self.evm = self._fresh_evm()
        history = self.blocks[1:]
        self.blocks = self.blocks[:1]
        self._by_hash = {self.head.hash: self.head}
        for block in history:
            txs = [self.transactions[h][0] for h in block.transactions]
            for tx in txs:
                self._pool_add(tx)
            self._replay(block, txs)
        return removed

    def _reorg(self, p: list[Any]) -> str:
        """``devnet_reorg(depth, keep=true)``: replace the last ``depth`` blocks by as many
        new ones. Their transactions go back to the pool and are mined again in the new
        blocks (``keep``), or are dropped as if the new fork never saw them. Live snapshots
        end. Returns the new head's hash."""
        depth = quantity(param_at(p, 0), "depth")
        keep = param_at(p, 1)
        keep = True if keep is None else keep
        if not isinstance(keep, bool):
            raise RpcFault(-32602, "invalid params: keep: expected true or false")
        if not 1 <= depth <= self.head.number:
            raise RpcFault(-32602, f"invalid params: depth must be from 1 to {self.head.number}")
        timestamps = [block.timestamp for block in self.blocks[len(self.blocks) - depth :]]
        pool = [tx for queue in self.pool.values() for tx in queue.values()]
        self._snapshots.clear()
        removed = self._rewind(len(self.blocks) - depth)
        for tx in removed if keep else []:
            self._pool_add(tx)
        for tx in pool:
            if tx.nonce not in self.pool.get(tx.sender, {}):
                self._pool_add(tx)
        self._reorgs += 1
        for timestamp in timestamps:
            # A fork's blocks differ from the ones they replace, even when they hold the
            # same transactions.
            self._mine_block(timestamp, extra=b"reorg %d" % self._reorgs)
        return self.head.hash

    def _replay(self, block: _Block, txs: list[SignedTransaction]) -> None:
        for tx in txs:
            self.transactions.pop(tx.hash, None)
            self.receipts.pop(tx.hash, None)
        self._mine_block(block.timestamp, only=txs, extra=block.extra_data)
        replayed = self.head
        if replayed.transactions != block.transactions:  # pragma: no cover - determinism
            raise RpcFault(-32603, "internal error: a replayed block differs from the original")


def _rejection(message: str) -> str:
    """revm's validation errors in the words nodes use (clients match on them)."""
    if "LackOfFund" in message:
        return "insufficient funds for gas * price + value"
    if "CallGasCostMoreThanGasLimit" in message:
        return "intrinsic gas too low"
    if "NonceTooLow" in message:
        return "nonce too low"
    return message


def _topic_filter(topics: Any) -> list[set[str] | None]:
    if topics is None:
        return []
    if not isinstance(topics, list):
        raise RpcFault(-32602, "invalid params: topics: expected a list")
    out: list[set[str] | None] = []
    for entry in topics:
        if entry is None:
            out.append(None)
        elif isinstance(entry, str):
            out.append({entry.lower()})
        elif isinstance(entry, list):
            out.append({str(t).lower() for t in entry} if entry else None)
        else:
            raise RpcFault(-32602, "invalid params: topics: expected hashes, lists or null")
    return out


def _topics_match(topics: list[str], wanted: list[set[str] | None]) -> bool:
    if len(wanted) > len(topics):
        return False
    return all(w is None or t in w for t, w in zip(topics, wanted, strict=False))
