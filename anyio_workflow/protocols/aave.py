"""Aave V3: where a market is, and its accounts' positions read from the real Pool.

Health factors are Aave's: 1e18 is 1.0, and a position under 1.0 can be liquidated.
Base-currency amounts are USD with 8 decimals (Aave's oracle base unit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from ..core.exact import scaled
from ..evm.contract import Contract
from .artifacts import protocol_artifact

if TYPE_CHECKING:
    from ..rpc.eth import EthRpc

__all__ = ["AaveV3", "AccountData"]

NO_DEBT = 2**256 - 1
"""The health factor Aave reports for an account without debt."""


@dataclass(frozen=True, slots=True)
class AccountData:
    """``getUserAccountData``: an account's position across the market."""

    collateral: int
    """USD, 8 decimals."""
    debt: int
    available_borrows: int
    liquidation_threshold: int
    """Basis points."""
    ltv: int
    health_factor: int
    """1e18 is 1.0; ``NO_DEBT`` when the account owes nothing."""

    @property
    def health(self) -> Decimal | None:
        """The health factor as a number (``None``: no debt)."""
        if self.health_factor == NO_DEBT:
            return None
        return scaled(self.health_factor, -18)


@dataclass(frozen=True, slots=True)
class AaveV3:
    """An Aave V3 market: its addresses provider and what it points to."""

    provider: str
    pool: str
    oracle: str
    data_provider: str
    feeds: dict[str, str] = field(default_factory=dict)
    """Price feeds by asset, where the market was deployed here (a devnet's)."""

    def pool_contract(self, eth: EthRpc | None = None) -> Contract:
        return Contract(self.pool, protocol_artifact("Pool").abi, eth)

    async def account(self, eth: EthRpc, user: str) -> AccountData:
        """The user's position. Cancellation: a read."""
        found = await self.pool_contract(eth).functions.getUserAccountData(user).call()
        return AccountData(*(int(v) for v in found))
