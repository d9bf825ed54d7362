"""Chain identity across ecosystems: CAIP-2 identifiers (``namespace:reference``), the
ecosystem's convention: ``"eip155:1"`` (Ethereum), ``"eip155:137"`` (Polygon),
``"solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"`` (Solana mainnet: the first 32 characters
of its genesis hash). An ``int`` stays the shorthand for ``eip155:N``.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from ..core.chainref import SOLANA, SOLANA_MAINNET, ChainRef, chain_ref
from ..errors import InvalidArgument, NotFound

__all__ = [
    "SOLANA_CLUSTERS",
    "SOLANA_DEVNET",
    "SOLANA_MAINNET",
    "SOLANA_TESTNET",
    "ChainRef",
    "SolanaCluster",
    "SplToken",
    "register_spl_token",
    "spl_tokens",
    "caip2",
    "chain_ref",
    "namespace",
    "solana_cluster",
    "solana_id",
]

_SOLANA = SOLANA
_BASE58 = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")

SOLANA_DEVNET = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1"
SOLANA_TESTNET = "solana:4uhcVJyU9pJkvQyS88uRDiswHXSCkY3z"


def caip2(chain: ChainRef) -> str:
    """The CAIP-2 identifier of ``chain``."""
    found = chain_ref(chain)
    return f"eip155:{found}" if isinstance(found, int) else found


def namespace(chain: ChainRef) -> str:
    """``"eip155"`` or ``"solana"``."""
    return caip2(chain).split(":", 1)[0]


def solana_id(genesis_hash: str) -> str:
    """The CAIP-2 id of the Solana cluster with that genesis hash (base58)."""
    if not _BASE58.match(genesis_hash):
        raise InvalidArgument(f"genesis_hash: {genesis_hash!r} is not a base58 hash")
    return f"solana:{genesis_hash[:32]}"


class SplToken(BaseModel):
    """An SPL token a Solana cluster is known to have: its mint and decimals."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str = Field(min_length=1, max_length=16)
    mint: str = Field(pattern=r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")
    decimals: int = Field(ge=0, le=18)


class SolanaCluster(BaseModel):
    """One Solana cluster, as data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_SOLANA.pattern)
    name: str
    native_symbol: str = "SOL"
    decimals: int = 9
    explorer: str | None = None
    tokens: tuple[SplToken, ...] = ()


SOLANA_CLUSTERS: dict[str, SolanaCluster] = {
    c.id: c
    for c in (
        SolanaCluster(
            id=SOLANA_MAINNET,
            name="solana",
            explorer="https://explorer.solana.com",
            tokens=(  # the issuers' published mainnet mints
                SplToken(
                    symbol="USDC", mint="EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", decimals=6
                ),
                SplToken(
                    symbol="USDT", mint="Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB", decimals=6
                ),
            ),
        ),
        SolanaCluster(
            id=SOLANA_DEVNET,
            name="solana-devnet",
            explorer="https://explorer.solana.com/?cluster=devnet",
        ),
        SolanaCluster(
            id=SOLANA_TESTNET,
            name="solana-testnet",
            explorer="https://explorer.solana.com/?cluster=testnet",
        ),
    )
}


_REGISTERED_SPL: dict[tuple[str, str], SplToken] = {}


def register_spl_token(cluster: str, symbol: str, mint: str, decimals: int) -> SplToken:
    """Make ``symbol`` name the mint ``mint`` on the Solana ``cluster`` (CAIP-2): an
    embedded devnet's USDC, say, for amounts such as ``"100 USDC"``. It takes precedence
    over the cluster's data. (``register_token`` does this for a Solana id.)"""
    found = SplToken(symbol=symbol, mint=mint, decimals=decimals)
    _REGISTERED_SPL[(str(chain_ref(cluster)), symbol.upper())] = found
    return found


def spl_tokens(cluster: str) -> dict[str, SplToken]:
    """The tokens known on ``cluster`` by upper-case symbol: its data's, then those
    registered (which win)."""
    found = chain_ref(cluster)
    known = {t.symbol.upper(): t for t in solana_cluster(cluster).tokens}
    known.update({s: t for (c, s), t in _REGISTERED_SPL.items() if c == found})
    return known


def solana_cluster(chain: str) -> SolanaCluster:
    """The known cluster of that CAIP-2 id, or a generic one (an embedded devnet's)."""
    found = chain_ref(chain)
    if not isinstance(found, str):
        raise NotFound(f"chain_id: {chain!r} is an EVM chain, not a Solana cluster")
    return SOLANA_CLUSTERS.get(found) or SolanaCluster(id=found, name=f"solana-{found[7:15]}")
