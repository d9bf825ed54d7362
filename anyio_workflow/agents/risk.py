"""Vetoes on numbers: :class:`RiskMonitorAgent` and its conditions.

A condition is checked against the run (prices other agents published, balances read
from the chain) and fails with a message naming itself and its numbers. The seed's
``RiskMonitorAgent(threshold=0.85)`` is a utilization limit: the run may not move more
than 85 % of what the paying account holds (the task's ``total`` parameter, in base
units, against the balance of the workflow's ``signer`` or of ``account``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

import anyio

from ..chains import chain
from ..chains.caip import chain_ref
from ..core.exact import scaled as exact_scaled
from ..core.task import Task
from ..errors import InvalidArgument, NotFound, Veto
from ..evm.abi import ERC20_ABI
from ..evm.address import to_checksum
from ..evm.chainlink import feed_address, feed_decimals, latest_round, round_problem
from ..evm.contract import Contract
from .base import BaseAgent, Role
from .context import AgentContext
from .helpers import base_units, resolve_signer, token_balance, token_decimals, token_symbol
from .solana import solana_balance

if TYPE_CHECKING:
    from ..rpc.eth import EthRpc

__all__ = [
    "Condition",
    "MaxDeviation",
    "MaxUtilization",
    "MinBalance",
    "PriceBounds",
    "ProofOfReserve",
    "RiskMonitorAgent",
]


class Condition(Protocol):
    """Cancellation: a check only reads the chain and the run's state; cancelled, it has
    changed nothing."""

    async def check(self, task: Task, ctx: AgentContext) -> str | None:
        """``None`` when it holds; otherwise why not, with the numbers."""
        ...


WAIT = 30.0
"""Seconds a condition waits for a price another agent is to publish."""


def _fmt(value: Decimal) -> str:
    """``2000`` rather than ``2000.00000000`` or ``2E+3``."""
    return format(value.normalize(), "f")


async def _price(ctx: AgentContext, key: str) -> Decimal:
    with anyio.move_on_after(WAIT):
        published: Any = await ctx.wait_for(key)
        return Decimal(getattr(published, "value", published))
    raise NotFound(f"no price was published under {key!r} within {WAIT:.0f} s")


async def _balance(eth: EthRpc, account: str, token: str | None) -> int:
    """``account``'s balance of ``token``, or of the chain's coin without one."""
    if token is None:
        return await eth.get_balance(account)
    return await token_balance(eth, token, account)


@dataclass(frozen=True)
class PriceBounds:
    """The price published under ``key`` lies within ``[low, high]``.

    Cancellation: it only reads; cancelled, it has changed nothing.
    """

    key: str
    low: Decimal
    high: Decimal

    async def check(self, task: Task, ctx: AgentContext) -> str | None:
        price = await _price(ctx, self.key)
        if not Decimal(self.low) <= price <= Decimal(self.high):
            return f"price {self.key} = {_fmt(price)} is outside [{self.low}, {self.high}]"
        return None


@dataclass(frozen=True)
class MaxDeviation:
    """Two published prices differ by at most ``limit`` (a fraction of the first).

    Cancellation: it only reads; cancelled, it has changed nothing.
    """

    key: str
    other: str
    limit: Decimal

    async def check(self, task: Task, ctx: AgentContext) -> str | None:
        a = await _price(ctx, self.key)
        b = await _price(ctx, self.other)
        deviation = abs(a - b) / a if a else Decimal("Infinity")
        if deviation > Decimal(self.limit):
            return (
                f"{self.key} = {_fmt(a)} and {self.other} = {_fmt(b)} deviate by {deviation:.4f}, "
                f"over the limit of {self.limit}"
            )
        return None


@dataclass(frozen=True)
class MinBalance:
    """``account`` holds at least ``threshold`` base units (of ``token``, else the coin).

    Cancellation: it only reads; cancelled, it has changed nothing.
    """

    account: str
    threshold: int
    token: str | None = None
    chain_id: int | str | None = None
    """The task's chain by default; an EVM chain id or a CAIP-2 id. On a Solana cluster,
    ``account`` is a wallet and ``token`` a mint (or a symbol the cluster knows)."""

    async def check(self, task: Task, ctx: AgentContext) -> str | None:
        chain = ctx.chain_id if self.chain_id is None else chain_ref(self.chain_id)
        if isinstance(chain, str):
            account = self.account
            balance = await solana_balance(ctx.solana(chain), account, self.token, chain)
        else:
            account = to_checksum(self.account)
            balance = await _balance(ctx.eth(chain), account, self.token)
        if balance < self.threshold:
            what = f"token {self.token}" if self.token else "native"
            return f"{account} holds {balance} ({what}), under the threshold of {self.threshold}"
        return None


@dataclass(frozen=True)
class MaxUtilization:
    """The task's ``total`` is at most ``threshold`` of the payer's balance of ``token``
    (the chain's coin without one). ``total`` takes the amount forms every other field
    takes: an ``int`` of base units, a ``Decimal`` of whole units, or ``"900 USDC"``. A
    total in another unit than the balance it is weighed against fails the check, naming
    both: unlike units are never compared.

    Cancellation: it only reads; cancelled, it has changed nothing.
    """

    threshold: float
    account: str | None = None
    token: str | None = None

    async def check(self, task: Task, ctx: AgentContext) -> str | None:
        total = task.params.get("total")
        if total is None:
            return f"utilization: the task has no 'total' to compare with {self.threshold:.0%}"
        account = to_checksum(self.account or resolve_signer(None, ctx).address)
        eth = ctx.eth(ctx.chain_id)
        if self.token is None:
            coin = chain(ctx.chain_id)
            decimals, symbol = coin.decimals, coin.native_symbol
        else:
            decimals, symbol = (
                await token_decimals(eth, self.token),
                await token_symbol(eth, self.token),
            )
        said = total.split()[-1] if isinstance(total, str) and len(total.split()) == 2 else None
        if said is not None and said.upper() != symbol.upper():
            return (
                f"utilization: the task's total {total!r} is in {said}, and this check weighs "
                f"it against {account}'s {symbol} balance; unlike units are not compared "
                f"(give MaxUtilization(token=...) the token the total is in)"
            )
        moved = base_units(total, decimals, "task.params.total", unit=symbol)
        balance = await _balance(eth, account, self.token)
        if Fraction(moved) > Fraction(balance) * Fraction(str(self.threshold)):  # exact
            share = f"{Decimal(moved) / Decimal(balance):.1%}" if balance else "all"
            return (
                f"utilization: the run moves {moved} of {account}'s {balance} "
                f"({share}), over the threshold of {self.threshold:.0%}"
            )
        return None


@dataclass(frozen=True)
class ProofOfReserve:
    """The token's total supply is covered by the reserves its Chainlink Proof of Reserve
    feed reports (the seed's advice for stablecoin workflows): a veto when the supply
    exceeds the reserves, or when the feed's latest round is stale (older than
    ``heartbeat`` seconds by the latest block), not positive, or answered in an earlier
    round. The feed's answer is read in whole units with the feed's decimals; the supply
    with the token's.

    Cancellation: it only reads; cancelled, it has changed nothing.
    """

    feed: str
    """The PoR feed's address, or its name in the chain's feeds (``register_feed``)."""
    token: str
    heartbeat: int = 86_400
    chain_id: int | None = None

    async def check(self, task: Task, ctx: AgentContext) -> str | None:
        chain_id = self.chain_id or ctx.chain_id
        eth = ctx.eth(chain_id)
        feed = feed_address(chain_id, self.feed)
        token_address = to_checksum(self.token)
        round_ = await latest_round(eth, feed)
        now = await eth.block_timestamp()
        problem = round_problem(round_, now, self.heartbeat)
        if problem is not None:
            return f"proof of reserve: feed {self.feed}: {problem}"
        reserves = exact_scaled(round_.answer, -await feed_decimals(eth, feed))
        erc20 = Contract(token_address, ERC20_ABI, eth)
        raw_supply = await erc20.functions.totalSupply().call()
        supply = exact_scaled(raw_supply, -await token_decimals(eth, token_address))
        if supply > reserves:
            return (
                f"proof of reserve: {token_address} has {supply.normalize():f} in "
                f"circulation, over the {reserves.normalize():f} of reserves its feed "
                f"{self.feed} reports"
            )
        return None


class RiskMonitorAgent(BaseAgent[AgentContext]):
    """A validator that vetoes the run when any of its conditions fails.

    ``RiskMonitorAgent(threshold=0.85)`` is the seed's form (a :class:`MaxUtilization`);
    ``conditions=[...]`` takes any mix. All conditions are checked concurrently; the veto
    names every one that failed.

    Cancellation: its checks only read; cancelled, nothing was sent and the run records
    the agent as cancelled.
    """

    role = Role.VALIDATOR

    def __init__(
        self,
        conditions: Sequence[Condition] = (),
        *,
        threshold: float | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        checks = list(conditions)
        if threshold is not None:
            if not 0 < threshold <= 1:
                raise InvalidArgument(f"threshold: a fraction in (0, 1], got {threshold}")
            checks.append(MaxUtilization(threshold))
        if not checks:
            raise InvalidArgument("conditions: give at least one (or a threshold)")
        self.conditions = checks

    async def execute(self, task: Task, ctx: AgentContext) -> list[str]:
        failures: list[str | None] = [None] * len(self.conditions)

        async def one(i: int, condition: Condition) -> None:
            try:
                failures[i] = await condition.check(task, ctx)
            except NotFound as exc:
                failures[i] = exc.short_message

        async with anyio.create_task_group() as tg:
            for i, condition in enumerate(self.conditions):
                tg.start_soon(one, i, condition)
        failed = [f for f in failures if f is not None]
        if failed:
            raise Veto("; ".join(failed))
        return [type(c).__name__ for c in self.conditions]
