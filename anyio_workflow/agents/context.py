"""The :class:`AgentContext` protocol: the run context with the chains in reach.

It extends the bottom layer's :class:`~anyio_workflow.core.RunContext` with what agents
that send transactions need (JSON-RPC clients, senders, the workflow's signer and store),
typed. The engine's context implements it; agents are written against it, so the agents
layer never imports the engine.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..core.context import RunContext
from ..core.fees import FeeStrategy, GasStrategy
from ..evm.accounts import Signer
from ..evm.nonce import NonceManagers
from ..evm.tx import TxSender
from ..journal.steps import Steps
from ..rpc.client import JsonRpcClient
from ..rpc.eth import EthRpc
from ..solana.client import SolanaRpc
from ..solana.signer import SolanaSigner
from ..solana.tx import SolanaSender, SolanaStrategy
from ..storage.stores import ContentStore

__all__ = ["AgentContext"]


class AgentContext(RunContext, Protocol):
    """A :class:`RunContext` that reaches chains; what the built-in agents are handed."""

    @property
    def signer(self) -> Signer | None:
        """The workflow's signer (``AsyncWorkflow(signer=...)``), the agents' default."""
        ...

    @property
    def store(self) -> ContentStore | None:
        """The workflow's content store (``AsyncWorkflow(store=...)``), for records."""
        ...

    @property
    def journal(self) -> Steps:
        """The agent's own steps, checkpointed by name: ``await ctx.journal.step(name, fn)``
        runs ``fn`` once, across retries and resumes."""
        ...

    @property
    def nonces(self) -> NonceManagers:
        """The workflow's nonce managers, one per account and chain."""
        ...

    def rpc(self, chain_id: int | str | None = None) -> JsonRpcClient:
        """The JSON-RPC client of ``chain_id`` (the task's chain by default; an EVM chain
        id or a CAIP-2 id)."""
        ...

    def eth(self, chain_id: int | str | None = None) -> EthRpc:
        """Typed EVM methods over :meth:`rpc`."""
        ...

    def solana(self, chain_id: str) -> SolanaRpc:
        """Typed Solana methods over :meth:`rpc` of the cluster ``chain_id`` (CAIP-2)."""
        ...

    def sender(
        self,
        signer: Signer,
        chain_id: int | None = None,
        *,
        strategy: GasStrategy | FeeStrategy | None = None,
        **options: Any,
    ) -> TxSender:
        """A :class:`TxSender` for ``signer`` on ``chain_id``, sharing the run's fee oracle,
        send queue and nonce managers; ``strategy`` defaults to the workflow's."""
        ...

    def solana_sender(
        self,
        signer: SolanaSigner,
        chain_id: str,
        *,
        strategy: SolanaStrategy = "optimal",
        **options: Any,
    ) -> SolanaSender:
        """A :class:`SolanaSender` for ``signer`` on the cluster ``chain_id``, journaled
        with the workflow's journal; what it sends is in :meth:`sent`."""
        ...

    def sent(self) -> list[tuple[str, int | str, str]]:
        """Every transaction the run's senders sent: ``(agent, chain_id, hash)``."""
        ...

    @property
    def followed(self) -> dict[str, dict[str, Any]]:
        """Receipts found after their agents stopped waiting (the engine follows what was
        sent and unsettled before the auditors run), by hash."""
        ...

    def service(self, name: str) -> Any:
        """The user's service registered under ``name``."""
        ...
