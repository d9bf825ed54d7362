"""Lending on Aave V3: :class:`AaveLendingAgent`.

supply / withdraw / borrow / repay through the market's Pool. Before a borrow or a
withdrawal, the agent reads the account's position (``getUserAccountData``), the asset's
price (the market's oracle) and its liquidation threshold (the protocol data provider),
and projects the health factor the action would leave: an action that would take it
under ``min_health`` is vetoed before anything is signed. A supply or a repayment
approves the Pool for exactly its amount (when the allowance is short) first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

from ..chains import token
from ..core.fees import GasStrategy
from ..core.task import Task
from ..errors import InvalidArgument, Veto
from ..evm.abi import ERC20_ABI
from ..evm.accounts import Signer
from ..evm.address import to_checksum
from ..evm.contract import Contract
from ..evm.tx import TxReceipt
from ..protocols.aave import NO_DEBT, AaveV3, AccountData
from ..protocols.artifacts import protocol_artifact
from .base import BaseAgent, Role
from .context import AgentContext
from .helpers import Amount, approval_lock, base_units, resolve_signer, token_decimals

if TYPE_CHECKING:
    from ..rpc.eth import EthRpc

__all__ = ["AaveLendingAgent", "LendingReport"]

Action = Literal["supply", "withdraw", "borrow", "repay"]
VARIABLE_RATE = 2
MAX = 2**256 - 1


@dataclass(frozen=True)
class LendingReport:
    """What :class:`AaveLendingAgent` did, and the account's position before and after."""

    action: Action
    token: str
    amount: int
    """Base units asked for (``2**256 - 1``: all of it, for a withdrawal or a repayment)."""
    receipts: tuple[TxReceipt, ...]
    before: AccountData
    after: AccountData


class AaveLendingAgent(BaseAgent[AgentContext]):
    """Supplies, withdraws, borrows (variable rate) or repays ``amount`` of ``token`` on
    the Aave V3 market ``aave``, for the signer's account; ``amount="all"`` withdraws or
    repays everything. Amounts: base units (``int``), whole tokens (``Decimal``),
    ``"1000 USDC"``. A borrow or withdrawal that would leave the health factor under
    ``min_health`` (1.5 by default) is vetoed, saying the projected figure.

    Cancellation: before a broadcast nothing is sent; after it, the transaction stays
    sent and only the wait for its receipt is abandoned.
    """

    role = Role.EXECUTOR

    def __init__(
        self,
        action: Action,
        token: str,
        amount: Amount | Literal["all"],
        *,
        aave: AaveV3,
        min_health: Decimal | str | int = Decimal("1.5"),
        chain_id: int | None = None,
        signer: Signer | None = None,
        strategy: GasStrategy | None = None,
        flashbots: bool = False,
        private_rpc: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name, flashbots=flashbots, private_rpc=private_rpc)
        if action not in ("supply", "withdraw", "borrow", "repay"):
            raise InvalidArgument(f"action: {action!r}; supply, withdraw, borrow or repay")
        if amount == "all" and action not in ("withdraw", "repay"):
            raise InvalidArgument(f"amount: 'all' only withdraws or repays, not {action}s")
        if amount != "all":
            base_units(amount, 77, uint256=False)  # its shape now, its scale from the token
        self.min_health = Decimal(str(min_health))
        if self.min_health < 1:
            raise InvalidArgument(f"min_health: {min_health}; at least 1 (liquidation)")
        self.action: Action = action
        self.token, self.amount = token, amount
        self.aave = aave
        self.chain_id = chain_id
        self.signer = signer
        self.strategy = strategy

    async def execute(self, task: Task, ctx: AgentContext) -> LendingReport:
        chain_id = self.chain_id or ctx.chain_id
        eth = ctx.eth(chain_id)
        asset = to_checksum(self.token if self.token.startswith("0x")
                            else token(chain_id, self.token).address)  # fmt: skip
        decimals = await token_decimals(eth, asset)
        amount = MAX if self.amount == "all" else base_units(self.amount, decimals, uint256=False)
        signer = resolve_signer(self.signer, ctx)
        user = signer.address
        pool = self.aave.pool_contract(eth)
        before = await self.aave.account(eth, user)
        if self.action == "borrow" or (self.action == "withdraw" and before.debt > 0):
            await self._check_health(ctx, eth, asset, decimals, amount, before)
        sender = ctx.sender(signer, chain_id, strategy=self.strategy)
        receipts: list[TxReceipt] = []
        if self.action in ("supply", "repay"):
            erc20 = Contract(asset, ERC20_ABI, eth)
            async with approval_lock(ctx, chain_id, user, asset, pool.address):
                spend = amount if amount != MAX else await erc20.functions.balanceOf(user).call()
                if await erc20.functions.allowance(user, pool.address).call() < spend:
                    receipts.append(await sender.send(erc20.functions.approve(pool.address,
                                                                             spend)))  # fmt: skip
                receipts.append(await sender.send(self._call(pool, asset, amount, user)))
        else:
            receipts.append(await sender.send(self._call(pool, asset, amount, user)))
        after = await self.aave.account(eth, user)
        return LendingReport(self.action, asset, amount, tuple(receipts), before, after)

    def _call(self, pool: Contract, asset: str, amount: int, user: str) -> Any:
        f = pool.functions
        if self.action == "supply":
            return f.supply(asset, amount, user, 0)
        if self.action == "withdraw":
            return f.withdraw(asset, amount, user)
        if self.action == "borrow":
            return f.borrow(asset, amount, VARIABLE_RATE, 0, user)
        return f.repay(asset, amount, VARIABLE_RATE, user)

    async def _check_health(
        self, ctx: AgentContext, eth: EthRpc, asset: str, decimals: int, amount: int,
        before: AccountData,
    ) -> None:  # fmt: skip
        """Veto when the action would leave the health factor under ``min_health``.
        Cancellation: reads only."""
        oracle = Contract(self.aave.oracle, protocol_artifact("AaveOracle").abi, eth)
        price = await oracle.functions.getAssetPrice(asset).call()  # USD, 8 decimals
        value = Fraction(amount * price, 10**decimals) if amount != MAX else Fraction(0)
        weighted = Fraction(before.collateral * before.liquidation_threshold, 10_000)
        debt = Fraction(before.debt)
        if self.action == "borrow":
            debt += value
        else:  # a withdrawal of collateral lowers it by its own threshold
            provider = Contract(self.aave.data_provider,
                                protocol_artifact("AaveProtocolDataProvider").abi, eth)  # fmt: skip
            config = await provider.functions.getReserveConfigurationData(asset).call()
            threshold = int(config[2])
            if amount == MAX:
                raise Veto(f"{self.name}: withdrawing all while owing {before.debt} (USD, 8 "
                           "decimals) is left to Aave to refuse; name an amount")  # fmt: skip
            weighted -= value * threshold / 10_000
        health = weighted / debt if debt else None
        if health is not None and health < Fraction(self.min_health):
            was = "no debt" if before.health_factor == NO_DEBT else f"{before.health:.4f}"
            raise Veto(
                f"{self.name}: {self.action} of {amount} base units of {asset} would take the "
                f"health factor from {was} to {float(health):.4f}, under the floor of "
                f"{self.min_health}; nothing was sent"
            )
