"""Single payouts: :class:`NativeTransferAgent` and :class:`Erc20TransferAgent`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..chains import chain
from ..evm.accounts import Signer
from ..evm.address import to_checksum
from ..evm.tx import TxReceipt, TxRequest
from ._util import TRANSFER, Amount, base_units, calldata, resolve_signer, token_decimals
from .base import BaseAgent, Role

if TYPE_CHECKING:
    from ..workflow.context import RunContext
    from ..workflow.task import Task

__all__ = ["Erc20TransferAgent", "NativeTransferAgent"]


class NativeTransferAgent(BaseAgent):
    """Sends ``amount`` of the chain's coin to ``to``: wei as an ``int``, or whole coins as
    a ``Decimal`` (``Decimal("0.5")`` ETH). ``chain_id`` defaults to the task's; the
    signer to the workflow's ``signer`` service. Its output is the :class:`TxReceipt`."""

    role = Role.EXECUTOR

    def __init__(
        self,
        to: str,
        amount: Amount,
        *,
        chain_id: int | None = None,
        signer: Signer | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.to = to_checksum(to)
        self.amount = amount
        base_units(amount, 18)  # bad amounts fail here, at construction
        self.chain_id = chain_id
        self.signer = signer

    async def execute(self, task: Task, ctx: RunContext) -> TxReceipt:
        chain_id = self.chain_id or ctx.chain_id
        value = base_units(self.amount, chain(chain_id).decimals)
        sender = ctx.sender(resolve_signer(self.signer, ctx), chain_id)
        return await sender.send(TxRequest(to=self.to, value=value))


class Erc20TransferAgent(BaseAgent):
    """Sends ``amount`` of the ERC-20 ``token`` to ``to``: base units as an ``int``, or
    whole tokens as a ``Decimal``, scaled by the token's ``decimals()`` read from the
    chain (an amount with more decimal places than the token has is an error)."""

    role = Role.EXECUTOR

    def __init__(
        self,
        token: str,
        to: str,
        amount: Amount,
        *,
        chain_id: int | None = None,
        signer: Signer | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.token = to_checksum(token)
        self.to = to_checksum(to)
        self.amount = amount
        base_units(amount, 77)  # the shape of the amount is checked now, its scale later
        self.chain_id = chain_id
        self.signer = signer

    async def execute(self, task: Task, ctx: RunContext) -> TxReceipt:
        chain_id = self.chain_id or ctx.chain_id
        eth = ctx.eth(chain_id)
        amount = self.amount
        if not isinstance(amount, int):
            amount = base_units(amount, await token_decimals(eth, self.token))
        sender = ctx.sender(resolve_signer(self.signer, ctx), chain_id)
        return await sender.send(TxRequest(to=self.token, data=calldata(TRANSFER, self.to, amount)))
