"""Prices for the other agents: :class:`ChainlinkOracleAgent`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from ..errors import Veto
from ..evm.address import to_checksum
from ..evm.chainlink import _DECIMALS, _LATEST, RoundData
from .base import BaseAgent, Role

if TYPE_CHECKING:
    from ..workflow.context import RunContext
    from ..workflow.task import Task

__all__ = ["ChainlinkOracleAgent", "Price"]


@dataclass(frozen=True)
class Price:
    """A feed's answer, scaled by its decimals, with the round it came from."""

    feed: str
    value: Decimal
    round: RoundData
    age: int
    """Seconds between the round's update and the latest block."""


class ChainlinkOracleAgent(BaseAgent):
    """Reads an AggregatorV3 feed (``latestRoundData``) and publishes the :class:`Price`
    under ``key`` for the run's other agents (``await ctx.wait_for(key)``).

    A validator: it runs first, and a stale round (older than ``heartbeat`` seconds by the
    latest block's timestamp), a non-positive answer, or a round answered in an earlier
    round vetoes the run, saying which and with which numbers.
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
            raise ValueError(f"heartbeat: seconds, and positive; got {heartbeat}")
        self.feed = to_checksum(feed)
        self.key = key
        self.heartbeat = heartbeat
        self.chain_id = chain_id

    async def execute(self, task: Task, ctx: RunContext) -> Price:
        eth = ctx.eth(self.chain_id or ctx.chain_id)
        raw = await eth.call({"to": self.feed, "data": "0x" + _LATEST.encode().hex()})
        round_ = RoundData(*_LATEST.decode_output(raw))
        block = await eth.get_block("latest")
        age = (int(block["timestamp"]) if block else 0) - round_.updated_at
        if round_.answer <= 0:
            raise Veto(f"{self.key}: feed {self.feed} answered {round_.answer}, not a price")
        if age > self.heartbeat:
            raise Veto(
                f"{self.key}: round {round_.round_id} of {self.feed} is {age} s old "
                f"(heartbeat {self.heartbeat} s)"
            )
        if round_.answered_in_round < round_.round_id:
            raise Veto(f"{self.key}: round {round_.round_id} was answered in an earlier round")
        raw = await eth.call({"to": self.feed, "data": "0x" + _DECIMALS.encode().hex()})
        (decimals,) = _DECIMALS.decode_output(raw)
        price = Price(self.feed, Decimal(round_.answer).scaleb(-int(decimals)), round_, age)
        ctx.publish(self.key, price)
        return price
