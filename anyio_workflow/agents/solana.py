"""Solana agents: :class:`SolTransferAgent` and :class:`SolanaProgramCallAgent`, sent
through :class:`~anyio_workflow.solana.tx.SolanaSender` (simulate, compute budget,
priority fee by strategy, sign, send, confirm, re-sign on an expired blockhash)."""

from __future__ import annotations

from typing import Literal

from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from ..chains.caip import chain_ref, solana_cluster
from ..core.task import Task
from ..errors import InvalidArgument, NotFound
from ..solana.client import SolanaRpc
from ..solana.signer import SolanaSigner
from ..solana.spl import (
    associated_token_address,
    create_associated_token_account,
    mint_decimals,
    transfer_checked,
)
from ..solana.tx import SolanaReceipt, SolanaSender
from .base import BaseAgent, Role
from .context import AgentContext
from .helpers import Amount, base_units

__all__ = ["SolTransferAgent", "SolanaProgramCallAgent", "SplTransferAgent"]

Strategy = Literal["eco", "optimal", "fast"] | int


def _cluster(chain_id: str) -> str:
    found = chain_ref(chain_id)
    if not isinstance(found, str):
        raise InvalidArgument(f"chain_id: {chain_id!r} is not a Solana cluster (solana:...)")
    return found


def _signer(signer: SolanaSigner | None, ctx: AgentContext) -> SolanaSigner:
    """The agent's own signer, else the workflow's ``solana_signer`` service."""
    if signer is not None:
        return signer
    try:
        found = ctx.service("solana_signer")
    except NotFound:
        raise NotFound(
            "signer: this Solana agent has no signer of its own and no solana_signer service "
            "was given (AsyncWorkflow(..., solana_signer=SolanaSigner(...)))"
        ) from None
    if not isinstance(found, SolanaSigner):
        raise InvalidArgument("services.solana_signer: not a SolanaSigner")
    return found


class _SolanaAgent(BaseAgent[AgentContext]):
    """What the Solana executors share: a cluster (CAIP-2 ``chain_id``), a signer that
    signs and pays (default: the ``solana_signer`` service), a fee strategy, and a send
    of :meth:`instructions_for` through :class:`SolanaSender`. Output: the
    :class:`SolanaReceipt`.

    Cancellation: before the send nothing is sent; after it, the signature stays sent
    (in the sender's journal) and only the wait for its confirmation is abandoned.
    """

    role = Role.EXECUTOR

    def __init__(
        self, *, chain_id: str, signer: SolanaSigner | None, strategy: Strategy, name: str | None
    ) -> None:
        super().__init__(name)
        self.chain_id = _cluster(chain_id)
        self.signer = signer
        self.strategy = strategy

    async def instructions_for(self, signer: SolanaSigner, rpc: SolanaRpc) -> list[Instruction]:
        """The instructions to send. Cancellation: reads only."""
        raise NotImplementedError(f"{type(self).__name__} must implement instructions_for")

    async def execute(self, task: Task, ctx: AgentContext) -> SolanaReceipt:
        signer = _signer(self.signer, ctx)
        rpc = ctx.solana(self.chain_id)
        sender = SolanaSender(rpc, signer, self.chain_id, strategy=self.strategy)
        return await sender.send(await self.instructions_for(signer, rpc))


class SolanaProgramCallAgent(_SolanaAgent):
    """Sends ``instructions`` (solders ``Instruction``s) as one transaction on the
    Solana cluster ``chain_id`` (CAIP-2)."""

    def __init__(
        self,
        instructions: list[Instruction],
        *,
        chain_id: str,
        signer: SolanaSigner | None = None,
        strategy: Strategy = "optimal",
        name: str | None = None,
    ) -> None:
        super().__init__(chain_id=chain_id, signer=signer, strategy=strategy, name=name)
        if not instructions:
            raise InvalidArgument("instructions: at least one")
        self.instructions = list(instructions)

    async def instructions_for(self, signer: SolanaSigner, rpc: SolanaRpc) -> list[Instruction]:
        """The instructions given. Cancellation: nothing to abandon."""
        return self.instructions


class SolTransferAgent(_SolanaAgent):
    """Sends ``amount`` of SOL to ``to`` on the cluster ``chain_id``: lamports as an
    ``int``, whole SOL as a ``Decimal``, or ``"2.5 SOL"``."""

    def __init__(
        self,
        to: str,
        amount: Amount,
        *,
        chain_id: str,
        signer: SolanaSigner | None = None,
        strategy: Strategy = "optimal",
        name: str | None = None,
    ) -> None:
        try:
            self.to = Pubkey.from_string(to)
        except (ValueError, TypeError):
            raise InvalidArgument(f"to: {to!r} is not a base58 Solana address") from None
        cluster = solana_cluster(_cluster(chain_id))
        self.lamports = base_units(amount, cluster.decimals, unit=cluster.native_symbol,
                                   uint256=False)  # fmt: skip
        if self.lamports <= 0 or self.lamports >= 2**64:
            raise InvalidArgument(f"amount: {amount!r}; between 1 lamport and a u64")
        super().__init__(chain_id=chain_id, signer=signer, strategy=strategy, name=name)

    async def instructions_for(self, signer: SolanaSigner, rpc: SolanaRpc) -> list[Instruction]:
        """The transfer (no read needed). Cancellation: nothing to abandon."""
        return self.build(signer)

    def build(self, signer: SolanaSigner) -> list[Instruction]:
        return [transfer(TransferParams(from_pubkey=signer.pubkey, to_pubkey=self.to,
                                        lamports=self.lamports))]  # fmt: skip


class SplTransferAgent(_SolanaAgent):
    """Sends ``amount`` of the SPL token ``mint`` (its address, or a symbol the cluster's
    data knows: ``"USDC"``) to the wallet ``to``, creating its associated token account
    when it has none: base units as an ``int``, whole tokens as a ``Decimal`` or
    ``"100 USDC"``, scaled by the mint's decimals (read from the chain). The transfer is
    ``transfer_checked``: the program checks the mint and its decimals too."""

    def __init__(
        self,
        mint: str,
        to: str,
        amount: Amount,
        *,
        chain_id: str,
        signer: SolanaSigner | None = None,
        strategy: Strategy = "optimal",
        name: str | None = None,
    ) -> None:
        cluster = solana_cluster(_cluster(chain_id))
        known = {t.symbol.upper(): t for t in cluster.tokens}
        self.symbol: str | None = None
        if mint.upper() in known:
            self.symbol, mint = known[mint.upper()].symbol, known[mint.upper()].mint
        try:
            self.mint, self.to = Pubkey.from_string(mint), Pubkey.from_string(to)
        except (ValueError, TypeError):
            raise InvalidArgument(
                f"mint, to: base58 Solana addresses (or a token symbol {sorted(known)})"
            ) from None
        self.amount = amount
        base_units(amount, 18, uint256=False)  # its shape now, its scale once the mint is read
        super().__init__(chain_id=chain_id, signer=signer, strategy=strategy, name=name)

    async def instructions_for(self, signer: SolanaSigner, rpc: SolanaRpc) -> list[Instruction]:
        """The transfer, after the recipient's token account's creation when it has none.
        Cancellation: reads only."""
        decimals = await mint_decimals(rpc, self.mint)
        amount = self.amount
        if not isinstance(amount, int):
            amount = base_units(amount, decimals, unit=self.symbol, uint256=False)
        destination = associated_token_address(self.to, self.mint)
        steps: list[Instruction] = []
        if await rpc.get_account_info(str(destination)) is None:
            steps.append(create_associated_token_account(signer.pubkey, self.to, self.mint))
        source = associated_token_address(signer.pubkey, self.mint)
        steps.append(transfer_checked(source, self.mint, destination, signer.pubkey, amount,
                                      decimals))  # fmt: skip
        return steps
