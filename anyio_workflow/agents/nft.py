"""Batch minting: :class:`Erc721BatchMintAgent`, for the seed's ``mint_erc721_batch``."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.fees import GasStrategy
from ..core.task import Task
from ..errors import InvalidArgument, NotFound
from ..evm.abi import function
from ..evm.accounts import Signer
from ..evm.address import to_checksum
from ..evm.tx import TxReceipt, TxRequest
from .base import BaseAgent, Role
from .context import AgentContext
from .helpers import TRANSFER_TOPIC, resolve_signer

__all__ = ["Erc721BatchMintAgent", "MintReport"]

MINT_BATCH = function("mintBatch(address,uint256) returns (uint256)")


@dataclass(frozen=True)
class MintReport:
    """The tokens minted, and the transactions that minted them."""

    token_ids: tuple[int, ...]
    receipts: tuple[TxReceipt, ...]


class Erc721BatchMintAgent(BaseAgent[AgentContext]):
    """Mints ``count`` tokens of ``contract`` (the project's ``TestNFT``, or any contract
    with ``mintBatch(address,uint256)``) to ``to`` (the signer by default), at most
    ``per_tx`` to a transaction, one after another. It sends with the workflow's
    ``gas_strategy`` unless given its own ``strategy``; the seed's best practice for batch
    mints is ``eco`` (``AsyncWorkflowConfig(gas_strategy="eco")``), which waits, within
    ``eco_wait``, for a lower base fee. ``contract`` defaults to the workflow's ``erc721``
    service.

    Cancellation: the batches already mined stay minted (and in the run's record as the
    agent's transactions); a batch already broadcast stays sent; nothing more is sent."""

    role = Role.EXECUTOR

    def __init__(
        self,
        count: int,
        contract: str | None = None,
        *,
        to: str | None = None,
        per_tx: int = 100,
        strategy: GasStrategy | None = None,
        eco_wait: float = 60.0,
        chain_id: int | None = None,
        signer: Signer | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise InvalidArgument(f"count: a positive integer, got {count!r}")
        if not 1 <= per_tx <= 500:
            raise InvalidArgument(f"per_tx: between 1 and 500, got {per_tx}")
        self.count = count
        self.contract = to_checksum(contract) if contract else None
        self.to = to_checksum(to) if to else None
        self.per_tx = per_tx
        self.strategy = strategy
        self.eco_wait = eco_wait
        self.chain_id = chain_id
        self.signer = signer

    async def execute(self, task: Task, ctx: AgentContext) -> MintReport:
        chain_id = self.chain_id or ctx.chain_id
        contract = self.contract
        if contract is None:
            try:
                contract = ctx.service("erc721")
            except NotFound:  # the seed's mint names none: say what to give, and where
                raise InvalidArgument(
                    f"contract: {self.name} mints on an ERC-721 contract with "
                    "mintBatch(address,uint256) and needs its address: "
                    "Erc721BatchMintAgent(count, contract=ADDRESS), or AsyncWorkflow(..., "
                    "services={'erc721': ADDRESS}) for every mint agent of the workflow"
                ) from None
        signer = resolve_signer(self.signer, ctx)
        to = self.to or signer.address
        sender = ctx.sender(signer, chain_id, strategy=self.strategy, eco_wait=self.eco_wait)
        receipts: list[TxReceipt] = []
        ids: list[int] = []
        left = self.count
        while left:  # one after another: each batch continues the ids of the one before
            n = min(left, self.per_tx)
            data = MINT_BATCH.calldata(to, n)
            receipt = await sender.send(TxRequest(to=to_checksum(contract), data=data))
            receipts.append(receipt)
            ids += [int(log["topics"][3], 16) for log in receipt.logs
                    if log["topics"] and log["topics"][0] == TRANSFER_TOPIC]  # fmt: skip
            left -= n
        return MintReport(tuple(ids), tuple(receipts))
