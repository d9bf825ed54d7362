"""Fee quotes for ``gas_strategy``: an ``eth_feeHistory`` oracle with eco/optimal/fast.

The numbers are data (:data:`anyio_workflow.core.fees.FEE_STRATEGIES`); why they are
what they are:

| strategy | priority fee (tip) | max fee per gas |
| --- | --- | --- |
| ``eco`` | 10th percentile tip of each of the last 10 blocks, median | next base fee x 1.25 + tip |
| ``optimal`` | 50th percentile, median over the blocks | next base fee x 2 + tip |
| ``fast`` | 90th percentile, median over the blocks, x 1.2 | next base fee x 2 + tip |

Blocks without transactions report a zero tip; when the median is zero the node's own
``eth_maxPriorityFeePerGas`` is used instead.

The base fee can rise 12.5 % a block. x2 covers six full blocks in a row (ethers' and
viem's default); x1.25 covers about two, so an eco transaction waits when the base fee
climbs instead of paying for it. Every tip is raised to the chain's floor
(``Chain.min_priority_fee``: Polygon's nodes refuse less than 30 gwei). A user's cap on the
max fee is never exceeded: the quote is clamped to it, and says so. A chain whose blocks
have no base fee (pre-London) gets ``eth_gasPrice`` (x1.0 eco, x1.1 optimal, x1.25 fast).
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio

from ..chains import chain as chain_info
from ..core.fees import CustomFees, FeeStrategy, GasStrategy, fee_strategy
from ..errors import InvalidArgument
from ..rpc.eth import EthRpc

__all__ = ["CustomFees", "FeeOracle", "FeeQuote", "Strategy"]

Strategy = GasStrategy
"""The strategy names (``GasStrategy``); a ``FeeStrategy`` value is accepted too."""

HISTORY_BLOCKS = 10


@dataclass(frozen=True, slots=True)
class FeeQuote:
    """What to put in a transaction's fee fields, and how it was decided."""

    strategy: str
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    base_fee: int
    """The next block's base fee (the gas price itself on a legacy chain)."""
    capped: bool = False
    """True when the user's cap lowered the max fee."""
    legacy: bool = False

    @property
    def fields(self) -> dict[str, int]:
        """The transaction fields: EIP-1559 fees, or ``gasPrice`` on a legacy chain."""
        if self.legacy:
            return {"gasPrice": self.max_fee_per_gas}
        return {
            "maxFeePerGas": self.max_fee_per_gas,
            "maxPriorityFeePerGas": self.max_priority_fee_per_gas,
        }

    @property
    def includable(self) -> bool:
        """Whether the next block would take it (its max fee covers the base fee)."""
        return self.max_fee_per_gas >= self.base_fee


def _scale(value: int, fraction: tuple[int, int]) -> int:
    return value * fraction[0] // fraction[1]


class FeeOracle:
    """Quotes fees for one chain from its fee history.

    Cancellation: a quote cancelled while waiting for the node caches nothing;
    concurrent callers waiting for it ask again.
    """

    def __init__(
        self,
        eth: EthRpc,
        chain_id: int,
        *,
        custom: CustomFees | None = None,
        max_age: float = 1.0,
    ) -> None:
        self.eth = eth
        self.chain = chain_info(chain_id)
        self.custom = custom
        self.max_age = max_age
        self._cache: dict[tuple[str, int | None], tuple[float, FeeQuote]] = {}
        self._lock = anyio.Lock()

    async def quote(
        self, strategy: Strategy | FeeStrategy = "optimal", *, cap: int | None = None
    ) -> FeeQuote:
        """A fee quote; with ``cap``, ``max_fee_per_gas`` is never above it.

        Quotes are kept ``max_age`` seconds (a block is 2 to 12 s), so that 100 concurrent
        sends ask the node once, not 100 times; concurrent callers wait for one answer.
        """
        if cap is not None and cap < 0:
            raise InvalidArgument("cap: a fee cap cannot be negative")
        spec = fee_strategy(strategy)
        key = (spec.name, cap)
        async with self._lock:
            cached = self._cache.get(key)
            if cached is not None and anyio.current_time() - cached[0] < self.max_age:
                return cached[1]
            quote = await self._quote(spec, cap)
            self._cache[key] = (anyio.current_time(), quote)
            return quote

    async def _quote(self, strategy: FeeStrategy, cap: int | None) -> FeeQuote:
        history = await self.eth.fee_history(HISTORY_BLOCKS, "latest", [strategy.tip_percentile])
        base_fee = history.base_fee_per_gas[-1]
        if not any(history.base_fee_per_gas):  # a legacy chain: no base fee at all
            return self._legacy(strategy, await self.eth.gas_price(), cap)
        floor = self.chain.min_priority_fee
        if strategy.name == "custom":
            max_fee, tip = await self._custom(base_fee)
        else:
            tips = sorted(row[0] for row in history.reward if row)
            tip = tips[len(tips) // 2] if tips else 0
            if tip == 0:
                tip = await self.eth.max_priority_fee_per_gas()
            tip = max(_scale(tip, strategy.tip_boost), floor)
            max_fee = _scale(base_fee, strategy.base_headroom) + tip
        capped = cap is not None and max_fee > cap
        if cap is not None:
            max_fee = min(max_fee, cap)
            tip = min(tip, max_fee)
        return FeeQuote(strategy.name, max_fee, tip, base_fee, capped=capped)

    async def _custom(self, base_fee: int) -> tuple[int, int]:
        if self.custom is None:
            raise InvalidArgument(
                'custom_fees: gas_strategy="custom" needs CustomFees (fixed values or a function)'
            )
        if self.custom.compute is not None:
            return await self.custom.compute(base_fee)
        assert self.custom.max_fee_per_gas is not None  # CustomFees checks it has both
        assert self.custom.max_priority_fee_per_gas is not None
        return self.custom.max_fee_per_gas, self.custom.max_priority_fee_per_gas

    def _legacy(self, strategy: FeeStrategy, gas_price: int, cap: int | None) -> FeeQuote:
        price = _scale(gas_price, strategy.legacy_multiplier)
        capped = cap is not None and price > cap
        if cap is not None:
            price = min(price, cap)
        return FeeQuote(strategy.name, price, price, gas_price, capped=capped, legacy=True)
