"""Single payouts: :class:`NativeTransferAgent` and :class:`Erc20TransferAgent`."""

from __future__ import annotations

from ..chains import chain, token
from ..core.fees import GasStrategy
from ..core.task import Task
from ..errors import TransactionError
from ..evm.accounts import Signer
from ..evm.address import to_checksum
from ..evm.tx import TxReceipt, TxRequest
from .base import BaseAgent, Role
from .context import AgentContext
from .helpers import (
    TRANSFER,
    TRANSFER_TOPIC,
    Amount,
    base_units,
    require_code,
    resolve_signer,
    token_decimals,
    token_symbol,
)

__all__ = ["Erc20TransferAgent", "NativeTransferAgent"]


class NativeTransferAgent(BaseAgent[AgentContext]):
    """Sends ``amount`` of the chain's coin to ``to``: wei as an ``int``, whole coins as a
    ``Decimal`` (``Decimal("0.5")``), or a string with the coin's symbol (``"0.5 ETH"``,
    ``"10 POL"``). ``chain_id`` defaults to the task's; the signer to the workflow's. Its
    output is the :class:`TxReceipt`.

    Cancellation: before the broadcast nothing is sent; after it, the transfer stays
    sent (its hash in the sender's journal) and only the wait for its receipt is
    abandoned.
    """

    role = Role.EXECUTOR

    def __init__(
        self,
        to: str,
        amount: Amount,
        *,
        chain_id: int | None = None,
        signer: Signer | None = None,
        strategy: GasStrategy | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.to = to_checksum(to)
        self.amount = amount
        base_units(amount, 18, uint256=False)  # a bad amount fails here, at construction
        self.chain_id = chain_id
        self.signer = signer
        self.strategy = strategy
        """The fee strategy of this agent's transactions; the workflow's when ``None``."""

    async def execute(self, task: Task, ctx: AgentContext) -> TxReceipt:
        chain_id = self.chain_id or ctx.chain_id
        coin = chain(chain_id)
        value = base_units(self.amount, coin.decimals, unit=coin.native_symbol)
        sender = ctx.sender(resolve_signer(self.signer, ctx), chain_id, strategy=self.strategy)
        return await sender.send(TxRequest(to=self.to, value=value))


class Erc20TransferAgent(BaseAgent[AgentContext]):
    """Sends ``amount`` of the ERC-20 ``token`` to ``to``: base units as an ``int``, whole
    tokens as a ``Decimal``, or a string with the token's symbol (``"100 USDC"``), scaled
    by the token's ``decimals()`` read from the chain (an amount with more decimal places
    than the token has is an error). ``token`` is an address, or a symbol the chain knows
    (``"USDC"``: ``anyio_workflow.chains.token``).

    Cancellation: before the broadcast nothing is sent; after it, the transfer stays
    sent (its hash in the sender's journal) and only the wait for its receipt is
    abandoned.
    """

    role = Role.EXECUTOR

    def __init__(
        self,
        token: str,
        to: str,
        amount: Amount,
        *,
        chain_id: int | None = None,
        signer: Signer | None = None,
        strategy: GasStrategy | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.token = to_checksum(token) if token.startswith("0x") else token
        self.to = to_checksum(to)
        self.amount = amount
        base_units(amount, 77, uint256=False)  # its shape is checked now, its scale later
        self.chain_id = chain_id
        self.signer = signer
        self.strategy = strategy
        """The fee strategy of this agent's transactions; the workflow's when ``None``."""

    async def execute(self, task: Task, ctx: AgentContext) -> TxReceipt:
        chain_id = self.chain_id or ctx.chain_id
        eth = ctx.eth(chain_id)
        address, symbol = self.token, None
        if not address.startswith("0x"):  # a symbol: the chain's data says which token
            known = token(chain_id, address)
            address, symbol = to_checksum(known.address), known.symbol
        await require_code(eth, address, "token")
        amount = self.amount
        if not isinstance(amount, int):
            if isinstance(amount, str) and symbol is None:
                symbol = await token_symbol(eth, address)
            amount = base_units(amount, await token_decimals(eth, address), unit=symbol)
        sender = ctx.sender(resolve_signer(self.signer, ctx), chain_id, strategy=self.strategy)
        receipt = await sender.send(TxRequest(to=address, data=TRANSFER.calldata(self.to, amount)))
        if not any(
            log.get("address", "").lower() == address.lower()
            and (log.get("topics") or [None])[0] == TRANSFER_TOPIC
            for log in receipt.logs
        ):  # mined, and did nothing: a token that does not move anything is no payout
            raise TransactionError(
                f"token {address}: the transfer was mined without a Transfer event",
                [receipt.hash],
                receipt,
            )
        return receipt
