"""Many payouts in few transactions: :class:`BatchTransferAgent`.

It sends N native or ERC-20 payouts through the project's ``BatchPayer`` contract
(``contracts/BatchPayer.sol``), ``chunk_size`` payouts to a transaction, when the node's
own estimates say that costs less gas than one transaction per payout, and one
transaction per payout otherwise. The decision and the numbers behind it are in the
:class:`BatchReport` it returns, with which payouts went in which transaction.

How it estimates: every individual payout with ``eth_estimateGas`` (concurrently; the
client batches the calls), and every batch the same way. An ERC-20 batch moves tokens
with ``transferFrom``, so the batcher needs an allowance first: when the allowance is
short, the approval (for exactly the total) is sent before the batches are estimated and
its gas counts on the batch side. A single payout is never batched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import anyio
from pydantic import BaseModel, ConfigDict, Field

from ..chains import chain
from ..core.fees import GasStrategy
from ..core.task import Task
from ..errors import InvalidArgument, NotFound
from ..evm.abi import function
from ..evm.accounts import Signer
from ..evm.address import Address, to_checksum
from ..evm.tx import TransactionError, TxReceipt, TxRequest
from .base import BaseAgent, Role
from .context import AgentContext
from .helpers import (
    ALLOWANCE,
    APPROVE,
    TRANSFER,
    Amount,
    base_units,
    resolve_signer,
    token_decimals,
    token_symbol,
)

if TYPE_CHECKING:
    from ..rpc.eth import EthRpc

__all__ = ["BatchReport", "BatchTransferAgent", "BatchTx", "Payout"]

PAY_NATIVE = function("payNative(address[],uint256[])")
PAY_TOKEN = function("payToken(address,address[],uint256[])")


class Payout(BaseModel):
    """One payment: a recipient and an amount (base units as an ``int``, or a string with
    its unit: ``"12.5 USDC"``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    to: Address
    amount: int | str = Field(description='Base units (int), or with its unit ("12.5 USDC").')


@dataclass(frozen=True)
class BatchTx:
    """One transaction of a batch payout, and the indexes of the payouts it carried."""

    receipt: TxReceipt
    payouts: tuple[int, ...]


@dataclass
class BatchReport:
    """What :class:`BatchTransferAgent` did, and why."""

    batched: bool
    transactions: list[BatchTx] = field(default_factory=list)
    estimated_individual_gas: int = 0
    estimated_batched_gas: int | None = None
    approval: TxReceipt | None = None

    @property
    def receipts(self) -> tuple[TxReceipt, ...]:
        """Every transaction sent, the approval first (the run's receipts include them)."""
        first = (self.approval,) if self.approval is not None else ()
        return first + tuple(t.receipt for t in self.transactions)

    @property
    def gas_used(self) -> int:
        return sum(r.gas_used for r in self.receipts)

    @property
    def fee_paid(self) -> int:
        return sum(r.fee_paid for r in self.receipts)

    @property
    def gas_saved_pct(self) -> float:
        """Gas used against the estimate of one transaction per payout, in percent."""
        if not self.estimated_individual_gas:
            return 0.0
        return 100.0 * (1 - self.gas_used / self.estimated_individual_gas)


def _payout(item: Payout | tuple[str, Amount] | Mapping[str, Any]) -> Payout:
    if isinstance(item, Payout):
        return item
    if isinstance(item, Mapping):
        to, amount = item.get("to"), item.get("amount")
    else:
        to, amount = item
    if not isinstance(amount, int):
        amount = str(amount)
    return Payout(to=to, amount=amount)


class BatchTransferAgent(BaseAgent[AgentContext]):
    """Pays ``payouts`` in native coin (``token=None``) or an ERC-20, batched when cheaper.

    ``batcher`` is a deployed ``BatchPayer`` (else the workflow's ``batcher`` service);
    ``mode`` forces ``"batch"`` or ``"individual"`` instead of deciding (``"auto"``).

    Cancellation: chunks already mined stay paid and are in the run's record; a chunk
    already broadcast stays sent (its hash is kept); no further chunk is sent.
    """

    role = Role.EXECUTOR

    def __init__(
        self,
        payouts: Sequence[Payout | tuple[str, Amount] | Mapping[str, Any]],
        *,
        token: str | None = None,
        batcher: str | None = None,
        chunk_size: int = 150,
        mode: Literal["auto", "batch", "individual"] = "auto",
        chain_id: int | None = None,
        signer: Signer | None = None,
        strategy: GasStrategy | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.payouts = [_payout(p) for p in payouts]
        if not self.payouts:
            raise InvalidArgument("payouts: give at least one")
        if not 1 <= chunk_size <= 500:
            raise InvalidArgument(f"chunk_size: between 1 and 500, got {chunk_size}")
        for i, p in enumerate(self.payouts):
            base_units(p.amount, 77, f"payouts[{i}].amount", uint256=False)
        self.token = to_checksum(token) if token else None
        self.batcher = to_checksum(batcher) if batcher else None
        self.chunk_size = chunk_size
        self.mode = mode
        self.chain_id = chain_id
        self.signer = signer
        self.strategy = strategy
        """The fee strategy of this agent's transactions; the workflow's when ``None``."""

    async def _amounts(self, eth: EthRpc, chain_id: int) -> list[int]:
        needs_scale = any(not isinstance(p.amount, int) for p in self.payouts)
        coin = chain(chain_id)
        decimals, unit = coin.decimals, coin.native_symbol
        if needs_scale and self.token is not None:
            decimals = await token_decimals(eth, self.token)
            unit = await token_symbol(eth, self.token)
        return [base_units(p.amount, decimals, f"payouts[{i}].amount", unit=unit)
                for i, p in enumerate(self.payouts)]  # fmt: skip

    def _single(self, to: str, amount: int) -> TxRequest:
        if self.token is None:
            return TxRequest(to=to, value=amount)
        return TxRequest(to=self.token, data=TRANSFER.calldata(to, amount))

    def _batch(self, batcher: str, chunk: list[int], amounts: list[int]) -> TxRequest:
        tos = [self.payouts[i].to for i in chunk]
        values = [amounts[i] for i in chunk]
        if self.token is None:
            return TxRequest(to=batcher, value=sum(values), data=PAY_NATIVE.calldata(tos, values))
        return TxRequest(to=batcher, data=PAY_TOKEN.calldata(self.token, tos, values))

    async def _estimate(self, eth: EthRpc, sender: str, requests: list[TxRequest]) -> int:
        total = 0

        async def one(request: TxRequest) -> None:
            nonlocal total
            call: dict[str, Any] = {"from": sender, "to": request.to, "value": hex(request.value)}
            if request.data != "0x":
                call["data"] = request.data
            gas = await eth.estimate_gas(call)  # awaited first: `total +=` reads after
            total += gas

        async with anyio.create_task_group() as tg:
            for request in requests:
                tg.start_soon(one, request)
        return total

    async def execute(self, task: Task, ctx: AgentContext) -> BatchReport:
        chain_id = self.chain_id or ctx.chain_id
        eth = ctx.eth(chain_id)
        signer = resolve_signer(self.signer, ctx)
        sender = ctx.sender(signer, chain_id, strategy=self.strategy)
        amounts = await self._amounts(eth, chain_id)
        indexes = list(range(len(self.payouts)))
        singles = [self._single(self.payouts[i].to, amounts[i]) for i in indexes]
        report = BatchReport(batched=False)
        report.estimated_individual_gas = await self._estimate(eth, signer.address, singles)

        batch = self.mode == "batch" or (self.mode == "auto" and len(self.payouts) > 1)
        if batch:
            batcher = self.batcher or ctx.services.get("batcher")
            if batcher is None:
                raise NotFound("batcher: give a BatchPayer address (or a 'batcher' service)")
            batcher = to_checksum(batcher)
            chunks = [
                indexes[i : i + self.chunk_size] for i in range(0, len(indexes), self.chunk_size)
            ]
            approval_gas = 0
            if self.token is not None:
                total = sum(amounts)
                raw = await eth.call(
                    {"to": self.token, "data": ALLOWANCE.calldata(signer.address, batcher)}
                )
                if int(ALLOWANCE.decode_output(raw)[0]) < total:
                    report.approval = await sender.send(
                        TxRequest(to=self.token, data=APPROVE.calldata(batcher, total))
                    )
                    approval_gas = report.approval.gas_used
            requests = [self._batch(batcher, chunk, amounts) for chunk in chunks]
            report.estimated_batched_gas = approval_gas + await self._estimate(
                eth, signer.address, requests
            )
            if (
                self.mode == "batch"
                or report.estimated_batched_gas < report.estimated_individual_gas
            ):
                report.batched = True
                await self._send_all(sender, requests, chunks, report)
                return report
        await self._send_all(sender, singles, [[i] for i in indexes], report)
        return report

    async def _send_all(
        self, sender: Any, requests: list[TxRequest], groups: list[list[int]], report: BatchReport
    ) -> None:
        results: dict[int, BatchTx] = {}

        async def one(position: int) -> None:
            receipt = await sender.send(requests[position])
            results[position] = BatchTx(receipt, tuple(groups[position]))

        try:
            async with anyio.create_task_group() as tg:
                for position in range(len(requests)):
                    tg.start_soon(one, position)
        except Exception as exc:  # one failed: every hash already sent is still reported
            if not sender.journal:
                raise
            raise TransactionError(
                f"{len(results)} of {len(requests)} payout transactions confirmed before a "
                f"failure: {exc!r}"[:300],
                list(sender.journal),
            ) from exc
        report.transactions = [results[p] for p in sorted(results)]
