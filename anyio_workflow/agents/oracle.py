"""Prices for the other agents: :class:`ChainlinkOracleAgent`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..core.exact import scaled as exact_scaled
from ..core.task import Task
from ..errors import InvalidArgument, Veto
from ..evm.address import to_checksum
from ..evm.chainlink import RoundData, feed_address, feed_decimals, latest_round, round_problem
from .base import BaseAgent, Role
from .context import AgentContext

__all__ = ["ChainlinkOracleAgent", "Price"]


@dataclass(frozen=True)
class Price:
    """A feed's answer, scaled by its decimals, with the round it came from."""

    feed: str
    value: Decimal
    round: RoundData
    age: int
    """Seconds between the round's update and the latest block."""


class ChainlinkOracleAgent(BaseAgent[AgentContext]):
    """Reads an AggregatorV3 feed (``latestRoundData``) and publishes the :class:`Price`
    under ``key`` for the run's other agents (``await ctx.wait_for(key)``), and, for a feed
    named by its pair, under the pair too (``await ctx.wait_for("ETH/USD")``). ``feed`` is the
    feed's address, or its pair (``"ETH/USD"``), found in Chainlink's published feeds of
    the chain or those registered (``register_feed``, a devnet's).

    A validator: it runs first, and a stale round (older than ``heartbeat`` seconds by the
    latest block's timestamp), a non-positive answer, or a round answered in an earlier
    round vetoes the run, saying which and with which numbers.

    Cancellation: it only reads; cancelled, nothing is published and nothing was sent.
    """

    role = Role.VALIDATOR

    def __init__(
        self,
        feed: str,
        *,
        key: str = "price",
        heartbeat: int = 3_600,
        chain_id: int | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        if heartbeat <= 0:
            raise InvalidArgument(f"heartbeat: seconds, and positive; got {heartbeat}")
        self.feed = to_checksum(feed) if feed.startswith("0x") else feed
        self.key = key
        self.heartbeat = heartbeat
        self.chain_id = chain_id

    async def execute(self, task: Task, ctx: AgentContext) -> Price:
        chain_id = self.chain_id or ctx.chain_id
        eth = ctx.eth(chain_id)
        address = feed_address(chain_id, self.feed)
        round_ = await latest_round(eth, address)
        block = await eth.get_block("latest")
        now = int(block["timestamp"]) if block else 0
        problem = round_problem(round_, now, self.heartbeat)
        if problem is not None:
            raise Veto(f"{self.key}: feed {self.feed}: {problem}")
        decimals = await feed_decimals(eth, address)
        age = now - round_.updated_at
        price = Price(address, exact_scaled(round_.answer, -decimals), round_, age)
        ctx.publish(self.key, price)
        if not self.feed.startswith("0x") and self.feed != self.key:
            ctx.publish(self.feed, price)  # also under its pair: what a user waits for
        return price
