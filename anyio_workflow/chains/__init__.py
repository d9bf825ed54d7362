"""Chains as data: what the library needs to know of each network it sends to, and the
well-known tokens on each (so that an amount can say its unit: ``"750000 DAI"``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..errors import NotFound
from .caip import (
    SOLANA_CLUSTERS,
    SOLANA_DEVNET,
    SOLANA_MAINNET,
    SOLANA_TESTNET,
    ChainRef,
    SolanaCluster,
    SplToken,
    caip2,
    chain_ref,
    namespace,
    register_spl_token,
    solana_cluster,
    solana_id,
    spl_tokens,
)

__all__ = [
    "CHAINS",
    "SOLANA_CLUSTERS",
    "SOLANA_DEVNET",
    "SOLANA_MAINNET",
    "SOLANA_TESTNET",
    "Chain",
    "ChainRef",
    "SolanaCluster",
    "SplToken",
    "Token",
    "caip2",
    "chain",
    "chain_ref",
    "namespace",
    "register_spl_token",
    "register_token",
    "solana_cluster",
    "solana_id",
    "spl_tokens",
    "token",
]

GWEI = 10**9


class Token(BaseModel):
    """A token a chain is known to have."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str = Field(min_length=1, max_length=16)
    address: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    decimals: int = Field(ge=0, le=77)


def _tokens(*rows: tuple[str, str, int]) -> tuple[Token, ...]:
    return tuple(Token(symbol=s, address=a, decimals=d) for s, a, d in rows)


class Chain(BaseModel):
    """One network."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int = Field(ge=1)
    name: str
    native_symbol: str = "ETH"
    decimals: int = 18
    eip1559: bool = True
    min_priority_fee: int = Field(default=0, ge=0, description="Wei; nodes drop tips below it.")
    block_time: float = Field(default=12.0, gt=0, description="Seconds, for waits and deadlines.")
    explorer: str | None = None
    tokens: tuple[Token, ...] = ()

    @property
    def caip2(self) -> str:
        return f"eip155:{self.id}"


CHAINS: dict[int, Chain] = {
    c.id: c
    for c in (
        Chain(
            id=1,
            name="ethereum",
            explorer="https://etherscan.io",
            tokens=_tokens(  # the issuers' published mainnet contracts
                ("USDC", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", 6),
                ("USDT", "0xdAC17F958D2ee523a2206206994597C13D831ec7", 6),
                ("DAI", "0x6B175474E89094C44Da98b954EedeAC495271d0F", 18),
                ("WETH", "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", 18),
            ),
        ),
        # Bor's txpool refuses tips under 30 gwei (its default price limit since 2023).
        Chain(
            id=137,
            name="polygon",
            native_symbol="POL",
            min_priority_fee=30 * GWEI,
            block_time=2,
            explorer="https://polygonscan.com",
            tokens=_tokens(
                ("USDC", "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359", 6),  # native USDC
                ("USDC.e", "0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174", 6),  # bridged
                ("USDT", "0xc2132D05D31c914a87C6611C10748AEb04B58e8F", 6),
                ("DAI", "0x8f3Cf7ad23Cd3CaDbD9735AFf958023239c6A063", 18),
                ("WETH", "0x7ceB23fD6bC0adD59E62ac25578270cFf1b9f619", 18),
            ),
        ),
        Chain(id=11155111, name="sepolia", explorer="https://sepolia.etherscan.io"),
        Chain(id=1337, name="devnet", block_time=1),
        Chain(id=31337, name="anvil", block_time=1),
    )
}


def chain(chain_id: int | str) -> Chain:
    """The known EVM chain of that id (or ``"eip155:N"``), or a generic EIP-1559 chain
    with no tip floor. A Solana cluster: :func:`solana_cluster`."""
    found = chain_ref(chain_id)
    if not isinstance(found, int):
        raise NotFound(f"chain_id: {chain_id!r} is a Solana cluster: see solana_cluster()")
    return CHAINS.get(found) or Chain(id=found, name=f"chain-{found}")


_REGISTERED: dict[tuple[int, str], Token] = {}


def register_token(
    chain_id: int | str, symbol: str, address: str, decimals: int
) -> Token | SplToken:
    """Make ``symbol`` name ``address`` on ``chain_id`` (a devnet's test token, say), for
    amounts such as ``"100 USDC"``; it takes precedence over the chain's data. On a Solana
    cluster (``"solana:..."``), ``address`` is the token's mint."""
    found = chain_ref(chain_id)
    if isinstance(found, str):
        return register_spl_token(found, symbol, address, decimals)
    registered = Token(symbol=symbol, address=address, decimals=decimals)
    _REGISTERED[(found, symbol.upper())] = registered
    return registered


def token(chain_id: int, symbol: str) -> Token:
    """The token ``symbol`` names on ``chain_id``; :class:`NotFound` lists the known ones."""
    key = symbol.upper()
    found = _REGISTERED.get((chain_id, key)) or next(
        (t for t in chain(chain_id).tokens if t.symbol.upper() == key), None
    )
    if found is None:
        known = sorted(
            {t.symbol for t in chain(chain_id).tokens}
            | {s for (c, s) in _REGISTERED if c == chain_id}
        )
        raise NotFound(
            f"token: no token {symbol!r} is known on chain {chain_id} "
            f"(known: {', '.join(known) or 'none'}; register_token() adds one)"
        )
    return found
