"""``EvmDevnet``: an in-process EVM node that speaks real JSON-RPC.

Real EVM execution and real signatures, with no node to install and no network. Two
engines answer the same JSON-RPC: ``backend="revm"`` (the default: revm, the Rust EVM of
reth and foundry, through ``pyrevm``) and ``backend="py-evm"`` (eth-tester's py-evm backend,
pure Python). The library reaches either through the same transport seam as a remote
node: in-process with ``devnet.transport()`` (``httpx.ASGITransport``, no socket), or on a
loopback port with ``async with devnet.serve() as url`` (hypercorn, under trio or asyncio).

Answers use a node's own encodings: hex quantities, ``null`` for unknown transactions
and receipts, EIP-1474 error codes, and code 3 with the revert data for reverts.
Differences from anvil that remain are listed in ``docs/devnet.md``.

Devnet controls (anvil's names where the meaning is the same): ``evm_mine`` and
``anvil_mine`` (mine N blocks), ``evm_setAutomine``, and ``devnet_fund`` (send wei from
the devnet's faucet account to an address); on revm also ``evm_snapshot`` /
``evm_revert``, ``evm_increaseTime`` and ``devnet_reorg``.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ..errors import InvalidArgument
from .anvil import ANVIL_MNEMONIC
from .evmbase import DEFAULT_TIP, EvmEngine, quantity
from .jsonrpc import Executor, JsonRpcApp, RpcFault
from .serve import Devnet

__all__ = ["BACKENDS", "DEVNET_MNEMONIC", "Backend", "EvmDevnet"]

DEVNET_MNEMONIC = ANVIL_MNEMONIC
"""The devnet's accounts are anvil's well-known test keys: public, for local testing only."""

Backend = Literal["revm", "py-evm"]
BACKENDS: tuple[Backend, ...] = ("revm", "py-evm")


@cache
def _derived_key(mnemonic: str, index: int) -> bytes:
    """BIP-44 derivation is slow (PBKDF2); a devnet per test would pay it ten times."""
    Account.enable_unaudited_hdwallet_features()
    key: bytes = Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}").key
    return key


class EvmDevnet(Devnet):
    """An embedded EVM devnet; see the module docstring.

    :param chain_id: so that one process can run an "ethereum" and a "polygon" devnet.
    :param accounts: prefunded accounts from ``mnemonic`` (anvil's, by default).
    :param balance: each prefunded account's balance, in wei.
    :param automine: mine each transaction at once; with ``False``, transactions wait in
        the pool until ``evm_mine``.
    :param executor: ``"inline"`` runs each call under an AnyIO lock on the event loop;
        ``"thread"`` runs it in a worker thread (see ``benchmarks/devnet.py``).
    :param backend: ``"revm"`` (native, fast; a contract call's gas can differ from a
        chain's, see ``docs/devnet.md``) or ``"py-evm"`` (pure Python, exact gas).
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
        backend: Backend = "revm",
    ) -> None:
        if chain_id < 1:
            raise InvalidArgument("chain_id: must be positive")
        if not 1 <= accounts <= 100:
            raise InvalidArgument("accounts: from 1 to 100")
        if backend not in BACKENDS:
            raise InvalidArgument(f"backend: {backend!r} is not one of {', '.join(BACKENDS)}")
        self.chain_id = chain_id
        self.name = name
        self.backend = backend
        self.accounts: list[LocalAccount] = [
            Account.from_key(_derived_key(mnemonic, i)) for i in range(accounts)
        ]
        self.engine: EvmEngine
        if backend == "revm":
            from .revm import RevmEngine

            self.engine = RevmEngine(
                chain_id=chain_id,
                addresses=[a.address for a in self.accounts],
                balance=balance,
                automine=automine,
            )
            self.app = JsonRpcApp(executor=executor)
        else:
            from .pyevm import PyEvmEngine, classify

            self.engine = PyEvmEngine(
                chain_id=chain_id,
                keys=[bytes(a.key) for a in self.accounts],
                balance=balance,
                automine=automine,
            )
            self.app = JsonRpcApp(executor=executor, classify=classify)
        m = self.app.methods
        m["eth_chainId"] = lambda p: hex(self.chain_id)
        m["net_version"] = lambda p: str(self.chain_id)
        m["web3_clientVersion"] = lambda p: self.engine.client_version
        m["eth_gasPrice"] = lambda p: hex(self.engine.next_base_fee() + DEFAULT_TIP)
        m["eth_maxPriorityFeePerGas"] = lambda p: hex(DEFAULT_TIP)
        m["evm_setAutomine"] = self._set_automine
        m["devnet_fund"] = self._fund
        m.update(self.engine.methods())

    def __repr__(self) -> str:
        return f"EvmDevnet(chain_id={self.chain_id}, name={self.name!r}, backend={self.backend!r})"

    @property
    def automine(self) -> bool:
        return self.engine.automine

    @automine.setter
    def automine(self, value: bool) -> None:
        self.engine.automine = value

    def _set_automine(self, p: list[Any]) -> None:
        if not p or not isinstance(p[0], bool):
            raise RpcFault(-32602, "invalid params: expected true or false")
        self.automine = p[0]

    def _fund(self, p: list[Any]) -> str:
        """Send ``p[1]`` wei to ``p[0]`` from the last prefunded account (the faucet)."""
        to, amount = p[0], quantity(p[1], "amount")
        faucet = self.accounts[-1]
        engine = self.engine
        tx = {
            "to": to, "value": amount, "gas": 21_000, "chainId": self.chain_id, "type": 2,
            "nonce": engine.pending_nonce(faucet.address),
            "maxFeePerGas": 2 * engine.next_base_fee() + DEFAULT_TIP,
            "maxPriorityFeePerGas": DEFAULT_TIP,
        }  # fmt: skip
        raw = "0x" + faucet.sign_transaction(tx).raw_transaction.hex()
        tx_hash: str = self.app.methods["eth_sendRawTransaction"]([raw])
        return tx_hash
