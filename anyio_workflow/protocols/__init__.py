"""Real DeFi protocols, from their own compiled bytecode: the artifacts their npm
packages ship (pinned in ``package.json``, copied unchanged into ``compiled/`` with a
NOTICE of each one's licence), their deployments as chain data, and the encoding of what
the agents send them."""

from .aave import AaveV3, AccountData
from .artifacts import ProtocolArtifact, protocol_artifact
from .uniswap import (
    FEE_TICK_SPACING,
    UNISWAP_V3,
    UniswapV3,
    full_range,
    price_from_sqrt,
    sqrt_price_x96,
    uniswap_v3,
)

__all__ = [
    "FEE_TICK_SPACING",
    "AaveV3",
    "AccountData",
    "UNISWAP_V3",
    "ProtocolArtifact",
    "UniswapV3",
    "full_range",
    "price_from_sqrt",
    "protocol_artifact",
    "sqrt_price_x96",
    "uniswap_v3",
]
