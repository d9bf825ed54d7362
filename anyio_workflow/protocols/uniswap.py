"""Uniswap V3: its deployments as chain data, its contracts as :class:`Contract` objects
over the real ABIs, and its price arithmetic.

Prices: a pool's price is token1 per token0 (the tokens sorted by address), kept as
``sqrtPriceX96`` = sqrt(price in base units) * 2**96. :func:`sqrt_price_x96` and
:func:`price_from_sqrt` convert from and to a human price (whole token1 per whole
token0), with each token's decimals, exactly (integer square roots, ``Fraction``s).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import isqrt
from typing import TYPE_CHECKING

from ..errors import InvalidArgument, NotFound
from ..evm.address import to_checksum
from ..evm.contract import Contract
from .artifacts import protocol_artifact

if TYPE_CHECKING:
    from ..rpc.eth import EthRpc

__all__ = [
    "FEE_TICK_SPACING",
    "MAX_TICK",
    "MIN_TICK",
    "UNISWAP_V3",
    "UniswapV3",
    "full_range",
    "price_from_sqrt",
    "sort_tokens",
    "sqrt_price_x96",
    "uniswap_v3",
]

FEE_TICK_SPACING = {100: 1, 500: 10, 3000: 60, 10_000: 200}
"""The fee tiers (hundredths of a basis point: 3000 is 0.3 %) and their tick spacing."""
MIN_TICK, MAX_TICK = -887_272, 887_272
Q96 = 2**96


@dataclass(frozen=True, slots=True)
class UniswapV3:
    """Where Uniswap V3's contracts are on one chain."""

    factory: str
    router: str
    """``SwapRouter`` (the original V3 router: its swaps take a ``deadline``)."""
    quoter: str
    """``QuoterV2``."""
    positions: str
    """``NonfungiblePositionManager``."""

    def contracts(self, eth: EthRpc | None = None) -> dict[str, Contract]:
        """The four as contract objects over their real ABIs, read through ``eth``."""
        return {
            "factory": Contract(self.factory, protocol_artifact("UniswapV3Factory").abi, eth),
            "router": Contract(self.router, protocol_artifact("SwapRouter").abi, eth),
            "quoter": Contract(self.quoter, protocol_artifact("QuoterV2").abi, eth),
            "positions": Contract(
                self.positions, protocol_artifact("NonfungiblePositionManager").abi, eth
            ),
        }

    def pool(self, address: str, eth: EthRpc | None = None) -> Contract:
        return Contract(address, protocol_artifact("UniswapV3Pool").abi, eth)


_CANONICAL = UniswapV3(  # Uniswap's own deployment, at the same addresses on these chains
    factory="0x1F98431c8aD98523631AE4a59f267346ea31F984",
    router="0xE592427A0AEce92De3Edee1F18E0157C05861564",
    quoter="0x61fFE014bA17989E743c5F6cB21bF9697530B21e",
    positions="0xC36442b4a4522E871399CD717aBDD847Ab11FE88",
)
UNISWAP_V3: dict[int, UniswapV3] = {1: _CANONICAL, 10: _CANONICAL, 137: _CANONICAL,
                                    42161: _CANONICAL}  # fmt: skip
"""Uniswap V3 by chain id, from Uniswap's published deployments (Ethereum, Optimism,
Polygon, Arbitrum)."""


def uniswap_v3(chain_id: int, given: UniswapV3 | None = None) -> UniswapV3:
    """``given``, else Uniswap's deployment on ``chain_id``."""
    if given is not None:
        return given
    try:
        return UNISWAP_V3[chain_id]
    except KeyError:
        raise NotFound(
            f"uniswap: no Uniswap V3 deployment is known on chain {chain_id} "
            f"(known: {sorted(UNISWAP_V3)}); pass uniswap=UniswapV3(...)"
        ) from None


def sort_tokens(a: str, b: str) -> tuple[str, str]:
    """The pool's (token0, token1): the two addresses in ascending order."""
    a, b = to_checksum(a), to_checksum(b)
    if a.lower() == b.lower():
        raise InvalidArgument("tokens: a pool needs two different tokens")
    return (a, b) if int(a, 16) < int(b, 16) else (b, a)


def sqrt_price_x96(price: Decimal | Fraction | int | str, decimals0: int, decimals1: int) -> int:
    """The ``sqrtPriceX96`` of ``price`` whole token1 per whole token0."""
    value = Fraction(Decimal(price)) if isinstance(price, str | Decimal) else Fraction(price)
    if value <= 0:
        raise InvalidArgument(f"price: {price}; must be positive")
    raw = value * Fraction(10) ** (decimals1 - decimals0)  # token1 base units per token0's
    return isqrt(raw.numerator * Q96 * Q96 // raw.denominator)


def price_from_sqrt(sqrt_price: int, decimals0: int, decimals1: int) -> Fraction:
    """The price (whole token1 per whole token0) of a ``sqrtPriceX96``, exactly."""
    return Fraction(sqrt_price * sqrt_price, Q96 * Q96) * Fraction(10) ** (decimals0 - decimals1)


def full_range(fee: int) -> tuple[int, int]:
    """The lowest and highest ticks a position of the ``fee`` tier may span."""
    try:
        spacing = FEE_TICK_SPACING[fee]
    except KeyError:
        raise InvalidArgument(f"fee: {fee}; one of {sorted(FEE_TICK_SPACING)}") from None
    return -(MAX_TICK // spacing) * spacing, (MAX_TICK // spacing) * spacing
