"""MEV protection, as an agent asks for it: a private relay for its transactions, and a
bound on how far a price may move.

``BaseAgent(flashbots=True)`` sends the agent's signed transactions to Flashbots Protect
(``https://rpc.flashbots.net``) instead of the public mempool; ``private_rpc=URL`` to
any private endpoint: ``eth_sendRawTransaction`` (Flashbots Protect, MEV Blocker and the
like) or ``eth_sendPrivateTransaction`` with ``maxBlockNumber`` (a relay's own method).
The receipt is still read from the chain's public node. When the relay has not got the
transaction mined within ``max_blocks``, ``fallback="wait"`` keeps waiting (the
transaction stays private) and ``fallback="public"`` sends the same bytes to the public
node. ``max_slippage`` and ``frontrun_protection`` are read by the agents that trade
(``UniswapV3Agent``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import InvalidArgument
from .redact import redact_url

__all__ = ["FLASHBOTS_PROTECT", "MevProtection", "PrivateRelay"]

FLASHBOTS_PROTECT = "https://rpc.flashbots.net"
"""Flashbots Protect's RPC endpoint (Ethereum mainnet)."""


class PrivateRelay(BaseModel):
    """Where an agent's signed transactions go instead of the public mempool."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(description="The private endpoint; never shown whole (it may hold a key).")
    method: Literal["eth_sendRawTransaction", "eth_sendPrivateTransaction"] = (
        "eth_sendRawTransaction"
    )
    max_blocks: int = Field(default=25, ge=1, le=10_000)
    """Blocks the relay may take (``maxBlockNumber`` of ``eth_sendPrivateTransaction``)."""
    fallback: Literal["wait", "public"] = "wait"
    """After ``max_blocks``: keep waiting, or send the same bytes to the public node."""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise InvalidArgument(f"private_rpc: {redact_url(value)} is not an http(s) URL")
        return value

    def __repr__(self) -> str:
        return (f"PrivateRelay(url={redact_url(self.url)!r}, method={self.method!r}, "
                f"max_blocks={self.max_blocks}, fallback={self.fallback!r})")  # fmt: skip

    __str__ = __repr__


class MevProtection(BaseModel):
    """What an agent asked for: a private relay, a slippage bound, frontrun protection."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    relay: PrivateRelay | None = None
    max_slippage: Decimal | None = Field(default=None, ge=0, lt=100)
    """A percentage: 0.3 means 0.3 %."""
    frontrun_protection: bool = False

    @classmethod
    def of(
        cls,
        *,
        flashbots: bool = False,
        private_rpc: str | None = None,
        private_method: Literal["eth_sendRawTransaction", "eth_sendPrivateTransaction"] = (
            "eth_sendRawTransaction"
        ),
        private_blocks: int = 25,
        private_fallback: Literal["wait", "public"] = "wait",
        max_slippage: float | Decimal | str | None = None,
        frontrun_protection: bool = False,
    ) -> MevProtection | None:
        """The protection these options ask for; ``None`` for none."""
        relay = None
        if flashbots or private_rpc is not None:
            relay = PrivateRelay(url=private_rpc or FLASHBOTS_PROTECT, method=private_method,
                                 max_blocks=private_blocks, fallback=private_fallback)  # fmt: skip
        slippage = None if max_slippage is None else Decimal(str(max_slippage))
        if relay is None and slippage is None and not frontrun_protection:
            return None
        return cls(relay=relay, max_slippage=slippage, frontrun_protection=frontrun_protection)
