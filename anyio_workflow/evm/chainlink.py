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

from ..errors import InvalidArgument, InvalidResponse, NotFound
from ..rpc.eth import EthRpc
from .abi import function
from .address import to_checksum
from .gas import FeeOracle

__all__ = [
    "DECIMALS",
    "FEEDS",
    "LATEST_ROUND_DATA",
    "ChainlinkGasFeed",
    "GasPrice",
    "RoundData",
    "feed_address",
    "feed_decimals",
    "latest_round",
    "register_feed",
    "round_problem",
]

LATEST_ROUND_DATA = function(
    "latestRoundData() returns (uint80 roundId, int256 answer, uint256 startedAt, "
    "uint256 updatedAt, uint80 answeredInRound)"
)
DECIMALS = function("decimals() returns (uint8)")


FEEDS: dict[int, dict[str, str]] = {
    1: {  # Ethereum: Chainlink's published proxies
        "ETH/USD": "0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419",
        "BTC/USD": "0xF4030086522a5bEEa4988F8cA5B36dbC97BeE88c",
        "USDC/USD": "0x8fFfFfd4AfB6115b954Bd326cbe7B4BA576818f6",
        "LINK/USD": "0x2c1d072e956AFFC0D435Cb7AC38EF18d24d9127c",
    },
    137: {  # Polygon
        "ETH/USD": "0xF9680D99D6C9589e2a93a78A04A279e509205945",
        "BTC/USD": "0xc907E116054Ad103354f2D350FD2514433D57F6f",
        "USDC/USD": "0xfE4A8cc5b5B2366C1B58Bea3858e81843581b2F7",
        "MATIC/USD": "0xAB594600376Ec9fD91F8e885dADF0CE036862dE0",
    },
}
"""Chainlink data feeds (their proxies, which ``latestRoundData`` is read from) by chain
id and pair, from Chainlink's published list; :func:`register_feed` adds others (a
devnet's deployed aggregators)."""

_REGISTERED: dict[tuple[int, str], str] = {}


def _pair(pair: str) -> str:
    return pair.replace(" ", "").upper()


def register_feed(chain_id: int, pair: str, address: str) -> str:
    """Make ``pair`` (``"ETH/USD"``) name the feed at ``address`` on ``chain_id``; it
    takes precedence over the published list."""
    found = to_checksum(address)
    _REGISTERED[(chain_id, _pair(pair))] = found
    return found


def feed_address(chain_id: int, feed: str) -> str:
    """``feed`` as a feed's address: an address as is, a pair (``"ETH/USD"``) through the
    feeds registered and published for ``chain_id``."""
    if feed.startswith("0x"):
        return to_checksum(feed)
    pair = _pair(feed)
    found = _REGISTERED.get((chain_id, pair)) or FEEDS.get(chain_id, {}).get(pair)
    if found is None:
        known = sorted(set(FEEDS.get(chain_id, {})) | {p for c, p in _REGISTERED if c == chain_id})
        raise NotFound(
            f"feed: no Chainlink feed {feed!r} is known on chain {chain_id} "
            f"(known: {', '.join(known) or 'none'}; register_feed() adds one)"
        )
    return found


@dataclass(frozen=True, slots=True)
class RoundData:
    round_id: int
    answer: int
    started_at: int
    updated_at: int
    answered_in_round: int


async def latest_round(eth: EthRpc, feed: str) -> RoundData:
    """The feed's ``latestRoundData``; an answer that is not five words is an
    :class:`InvalidResponse`.

    Cancellation: a read; cancelled, nothing changed.
    """
    raw = await eth.call({"to": feed, "data": LATEST_ROUND_DATA.calldata()})
    if not raw and not await eth.get_code(feed):  # asked only when the answer is empty
        raise InvalidArgument(
            f"feed: {feed} has no contract code on this chain: no price feed is there (give "
            "the feed's address on this chain, as the chain's data lists it)"
        )
    if len(raw) != 5 * 32:
        raise InvalidResponse(f"{feed}: latestRoundData answered {len(raw)} bytes, not 160")
    return RoundData(*LATEST_ROUND_DATA.decode_output(raw))


async def feed_decimals(eth: EthRpc, feed: str) -> int:
    """The feed's ``decimals()``.

    Cancellation: a read; cancelled, nothing changed.
    """
    (decimals,) = DECIMALS.decode_output(await eth.call({"to": feed, "data": DECIMALS.calldata()}))
    return int(decimals)


def round_problem(round_: RoundData, now: int, heartbeat: int) -> str | None:
    """Why a round must not be used, or ``None``: an answer that is not a price, a round
    older than ``heartbeat`` seconds at ``now`` (a block timestamp), or a round answered
    in an earlier round."""
    if round_.answer <= 0:
        return f"answer {round_.answer} is not a price"
    age = now - round_.updated_at
    if age > heartbeat:
        return f"round {round_.round_id} is {age} s old (heartbeat {heartbeat} s)"
    if round_.answered_in_round < round_.round_id:
        return f"round {round_.round_id} was answered in round {round_.answered_in_round}"
    return None


@dataclass(frozen=True, slots=True)
class GasPrice:
    """A gas price in wei, where it came from, and why the feed was not used if it wasn't."""

    wei: int
    source: Literal["chainlink", "fee_history"]
    round: RoundData | None = None
    rejected: str | None = None


class ChainlinkGasFeed:
    """Reads a gas-price feed; falls back to ``FeeOracle`` (``optimal``) when it must.

    Cancellation: it only reads; cancelled, nothing is cached but the feed's decimals.
    """

    def __init__(self, eth: EthRpc, feed: str, chain_id: int, *, heartbeat: int = 3_600) -> None:
        if heartbeat <= 0:
            raise InvalidArgument("heartbeat: seconds, and positive")
        self.eth = eth
        self.feed = to_checksum(feed)
        self.heartbeat = heartbeat
        self.fallback = FeeOracle(eth, chain_id)
        self._decimals: int | None = None

    async def latest_round(self) -> RoundData:
        return await latest_round(self.eth, self.feed)

    async def fetch(self) -> GasPrice:
        """The feed's gas price in wei, or the fee oracle's when the round is refused."""
        round_ = await self.latest_round()
        block = await self.eth.get_block("latest")
        rejected = round_problem(round_, int(block["timestamp"]) if block else 0, self.heartbeat)
        if rejected is None:
            if self._decimals is None:
                self._decimals = await feed_decimals(self.eth, self.feed)
            wei = round_.answer * 10**9 // 10**self._decimals
            return GasPrice(wei, "chainlink", round_)
        quote = await self.fallback.quote("optimal")
        return GasPrice(quote.max_fee_per_gas, "fee_history", round_, rejected)
