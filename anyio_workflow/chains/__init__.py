"""Chains as data: what the library needs to know of each network it sends to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CHAINS", "Chain", "chain"]

GWEI = 10**9


class Chain(BaseModel):
    """One network."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int = Field(ge=1)
    name: str
    native_symbol: str = "ETH"
    decimals: int = 18
    eip1559: bool = True
    min_priority_fee: int = Field(0, ge=0, description="Wei; nodes drop tips below it.")
    block_time: float = Field(12.0, gt=0, description="Seconds, for waits and deadlines.")


CHAINS: dict[int, Chain] = {
    c.id: c
    for c in (
        Chain(id=1, name="ethereum"),
        # Bor's txpool refuses tips under 30 gwei (its default price limit since 2023).
        Chain(
            id=137, name="polygon", native_symbol="POL", min_priority_fee=30 * GWEI, block_time=2
        ),
        Chain(id=11155111, name="sepolia"),
        Chain(id=1337, name="devnet", block_time=1),
        Chain(id=31337, name="anvil", block_time=1),
    )
}


def chain(chain_id: int) -> Chain:
    """The known chain of that id, or a generic EIP-1559 chain with no tip floor."""
    return CHAINS.get(chain_id) or Chain(id=chain_id, name=f"chain-{chain_id}")
