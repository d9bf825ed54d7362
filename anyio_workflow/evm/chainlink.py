"""``ChainlinkGasFeed``: a gas price from a Chainlink AggregatorV3 feed, with a fallback.

The seed's ``ChainlinkGasFeed`` reads a feed's ``latestRoundData`` through ``eth_call``.
A round is refused, and the fee-history oracle answers instead, when it is stale (its
``updatedAt`` is more than ``heartbeat`` seconds before the latest block's timestamp),
when its answer is not positive, or when it was answered in an earlier round than its
own. The feed is read as a gas price in gwei with the feed's ``decimals``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import InvalidResponse
from ..rpc.eth import EthRpc
from .abi import function
from .address import to_checksum
from .gas import FeeOracle

__all__ = ["ChainlinkGasFeed", "GasPrice", "RoundData"]

_LATEST = function(
    "latestRoundData() returns (uint80 roundId, int256 answer, uint256 startedAt, "
    "uint256 updatedAt, uint80 answeredInRound)"
)
_DECIMALS = function("decimals() returns (uint8)")


@dataclass(frozen=True, slots=True)
class RoundData:
    round_id: int
    answer: int
    started_at: int
    updated_at: int
    answered_in_round: int


@dataclass(frozen=True, slots=True)
class GasPrice:
    """A gas price in wei, where it came from, and why the feed was not used if it wasn't."""

    wei: int
    source: Literal["chainlink", "fee_history"]
    round: RoundData | None = None
    rejected: str | None = None


class ChainlinkGasFeed:
    """Reads a gas-price feed; falls back to ``FeeOracle`` (``optimal``) when it must."""

    def __init__(self, eth: EthRpc, feed: str, chain_id: int, *, heartbeat: int = 3_600) -> None:
        if heartbeat <= 0:
            raise ValueError("heartbeat: seconds, and positive")
        self.eth = eth
        self.feed = to_checksum(feed)
        self.heartbeat = heartbeat
        self.fallback = FeeOracle(eth, chain_id)
        self._decimals: int | None = None

    async def latest_round(self) -> RoundData:
        raw = await self.eth.call({"to": self.feed, "data": "0x" + _LATEST.encode().hex()})
        if len(raw) != 5 * 32:
            raise InvalidResponse(
                f"{self.feed}: latestRoundData answered {len(raw)} bytes, not 160"
            )
        return RoundData(*_LATEST.decode_output(raw))

    async def fetch(self) -> GasPrice:
        """The feed's gas price in wei, or the fee oracle's when the round is refused."""
        round_ = await self.latest_round()
        block = await self.eth.get_block("latest")
        now = int(block["timestamp"]) if block else 0
        if round_.answer <= 0:
            rejected = f"answer {round_.answer} is not a price"
        elif now - round_.updated_at > self.heartbeat:
            age = now - round_.updated_at
            rejected = f"round {round_.round_id} is {age} s old (heartbeat {self.heartbeat} s)"
        elif round_.answered_in_round < round_.round_id:
            rejected = f"round {round_.round_id} was answered in round {round_.answered_in_round}"
        else:
            if self._decimals is None:
                raw = await self.eth.call(
                    {"to": self.feed, "data": "0x" + _DECIMALS.encode().hex()}
                )
                (self._decimals,) = _DECIMALS.decode_output(raw)
            wei = round_.answer * 10**9 // 10**self._decimals
            return GasPrice(wei, "chainlink", round_)
        quote = await self.fallback.quote("optimal")
        return GasPrice(quote.max_fee_per_gas, "fee_history", round_, rejected)
