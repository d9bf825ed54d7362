"""Swaps on Uniswap V3: :class:`UniswapV3Agent`.

quote (QuoterV2, an ``eth_call``) -> the bound from ``max_slippage`` (``amountOutMinimum``
of an exact-in swap, ``amountInMaximum`` of an exact-out one) -> an approval of the
router, only when the allowance is short and only for what this swap may take -> with
``frontrun_protection``, a second quote just before the send, and a refusal when the
price moved more than ``max_slippage`` since the first -> the swap through SwapRouter
with a deadline (the latest block's time plus ``deadline`` seconds). The pool enforces
the bound: a swap that would execute worse reverts, and the run says so
(``TransactionError``, or ``ExecutionReverted`` at the simulation: nothing is sent).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from ..chains import token
from ..core.fees import GasStrategy
from ..core.task import Task
from ..errors import InvalidArgument, Veto
from ..evm.abi import ERC20_ABI
from ..evm.accounts import Signer
from ..evm.address import to_checksum
from ..evm.contract import Contract
from ..evm.tx import TxReceipt
from ..protocols.uniswap import FEE_TICK_SPACING, UniswapV3, uniswap_v3
from .base import BaseAgent, Role
from .context import AgentContext
from .helpers import (
    Amount,
    approval_lock,
    base_units,
    require_code,
    resolve_signer,
    token_decimals,
)

__all__ = ["SwapReport", "UniswapV3Agent"]

_NO_LOCK = contextlib.nullcontext()
_SWAP_TOPIC = "0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67"
"""Swap(address,address,int256,int256,uint160,uint128,int24), the pool's event."""


@dataclass(frozen=True)
class SwapReport:
    """What :class:`UniswapV3Agent` did: the quote, the bound, what executed."""

    token_in: str
    token_out: str
    fee: int
    exact: Literal["in", "out"]
    quoted: int
    """The quote: the output of an exact-in swap, the input of an exact-out one."""
    limit: int
    """``amountOutMinimum`` (exact in) or ``amountInMaximum`` (exact out)."""
    amount_in: int
    amount_out: int
    """What the pool moved, read from its ``Swap`` event."""
    receipts: tuple[TxReceipt, ...]
    """The approval (when one was needed) and the swap."""


def _percent(value: float | Decimal | str, field: str) -> Decimal:
    found = Decimal(str(value))
    if not found.is_finite() or not 0 <= found < 100:
        raise InvalidArgument(f"{field}: {value}; a percentage from 0 to under 100")
    return found


class UniswapV3Agent(BaseAgent[AgentContext]):
    """Swaps ``amount`` of ``token_in`` for ``token_out`` in the pool of the ``fee`` tier.

    ``exact="in"`` spends exactly ``amount`` of ``token_in``; ``exact="out"`` buys
    exactly ``amount`` of ``token_out``. Tokens are addresses or symbols the chain knows;
    amounts are base units (``int``), whole tokens (``Decimal``) or ``"100 USDC"``.
    ``max_slippage`` is a percentage, as the seed writes it: 0.3 means 0.3 %.
    ``uniswap`` says where the protocol is (Uniswap's own deployment by default).
    ``at_least`` (exact in) is a floor of the caller's own, in base units of
    ``token_out`` (from an oracle's price, say): the swap's bound is never under it, so a
    pool priced off the market makes the swap revert at its simulation, unsent.
    ``flashbots=True`` / ``private_rpc=URL`` send the approval and the swap through a
    private relay, never the public mempool.

    Cancellation: before a broadcast nothing is sent; after it, the transaction stays
    sent and only the wait for its receipt is abandoned.
    """

    role = Role.EXECUTOR

    def __init__(
        self,
        token_in: str,
        token_out: str,
        amount: Amount,
        *,
        exact: Literal["in", "out"] = "in",
        fee: int = 3000,
        max_slippage: float | Decimal | str = Decimal("0.5"),
        deadline: int = 300,
        frontrun_protection: bool = False,
        recipient: str | None = None,
        uniswap: UniswapV3 | None = None,
        chain_id: int | None = None,
        signer: Signer | None = None,
        strategy: GasStrategy | None = None,
        at_least: int | None = None,
        flashbots: bool = False,
        private_rpc: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name, flashbots=flashbots, private_rpc=private_rpc,
                         max_slippage=_percent(max_slippage, "max_slippage"),
                         frontrun_protection=frontrun_protection)  # fmt: skip
        if exact not in ("in", "out"):
            raise InvalidArgument(f"exact: {exact!r}; 'in' or 'out'")
        if fee not in FEE_TICK_SPACING:
            raise InvalidArgument(f"fee: {fee}; one of {sorted(FEE_TICK_SPACING)}")
        if deadline <= 0:
            raise InvalidArgument(f"deadline: {deadline} s; must be positive")
        self.token_in, self.token_out = token_in, token_out
        base_units(amount, 77, uint256=False)  # its shape now, its scale from the token
        if amount == 0:
            raise InvalidArgument("amount: must be positive")
        self.amount = amount
        self.exact = exact
        self.fee = fee
        self.max_slippage = _percent(max_slippage, "max_slippage")
        self.deadline = deadline
        if at_least is not None and (exact != "in" or at_least <= 0):
            raise InvalidArgument("at_least: a positive output floor, for an exact-in swap")
        self.at_least = at_least
        self.frontrun_protection = frontrun_protection
        self.recipient = to_checksum(recipient) if recipient else None
        self.uniswap = uniswap
        self.chain_id = chain_id
        self.signer = signer
        self.strategy = strategy

    async def execute(self, task: Task, ctx: AgentContext) -> SwapReport:
        chain_id = self.chain_id or ctx.chain_id
        eth = ctx.eth(chain_id)
        uni = uniswap_v3(chain_id, self.uniswap).contracts(eth)
        token_in = self._address(self.token_in, chain_id)
        token_out = self._address(self.token_out, chain_id)
        # What does not change within a run is read once per run: the contracts' code
        # (that each is a contract) and the token's decimals.
        checked = ctx.state.setdefault("uniswap:checked", set())
        for address in (token_in, token_out, uni["router"].address, uni["quoter"].address):
            if (chain_id, address) not in checked:
                await require_code(eth, address, "uniswap")
                checked.add((chain_id, address))
        scale = token_out if self.exact == "out" else token_in
        decimals = ctx.state.setdefault("uniswap:decimals", {})
        if (chain_id, scale) not in decimals:
            decimals[(chain_id, scale)] = await token_decimals(eth, scale)
        amount = base_units(self.amount, decimals[(chain_id, scale)], uint256=False)
        signer = resolve_signer(self.signer, ctx)
        recipient = self.recipient or signer.address
        sender = ctx.sender(signer, chain_id, strategy=self.strategy)
        receipts: list[TxReceipt] = []
        erc20 = Contract(token_in, ERC20_ABI, eth)
        router = uni["router"]
        # An approval sets the allowance, it does not add to it: two swaps of one token
        # from one account, each approving its own amount, would take each other's. One
        # approve-and-swap at a time per account, token and router, in the run.
        # An allowance of 2**255 or more (an "unlimited" approval, as treasuries give a
        # router once) cannot run out: no approval, no lock, swaps run side by side.
        unlimited = await erc20.functions.allowance(signer.address, router.address).call()
        lock = approval_lock(ctx, chain_id, signer.address, token_in, router.address)
        async with lock if unlimited < 2**255 else _NO_LOCK:  # the quote inside too
            quoted = await self._quote(uni["quoter"], token_in, token_out, amount)
            slack = Fraction(self.max_slippage) / 100  # exact: amounts may pass 28 digits
            if self.exact == "in":
                limit = math.floor(quoted * (1 - slack))  # the least it may give
                limit = max(limit, self.at_least or 0)  # and never under the caller's floor
            else:
                limit = math.ceil(quoted * (1 + slack))  # the most it may take
            spend = amount if self.exact == "in" else limit
            allowance = await erc20.functions.allowance(signer.address, router.address).call()
            if allowance < spend:  # only what this swap may take
                receipts.append(await sender.send(erc20.functions.approve(router.address, spend)))
            if self.frontrun_protection:
                again = await self._quote(uni["quoter"], token_in, token_out, amount)
                moved = Fraction(abs(again - quoted) * 100, quoted)
                if moved > Fraction(self.max_slippage):
                    raise Veto(
                        f"frontrun protection: the quote moved {float(moved):.3f} % since the "
                        f"first ({quoted} -> {again}), over max_slippage {self.max_slippage} %; "
                        "nothing was swapped"
                    )
            deadline = await eth.block_timestamp() + self.deadline
            params = (token_in, token_out, self.fee, recipient, deadline, amount, limit, 0)
            if self.exact == "in":
                swap = router.functions.exactInputSingle(params)
            else:
                swap = router.functions.exactOutputSingle(params)
            receipt = await sender.send(swap)
        receipts.append(receipt)
        amount_in, amount_out = _swapped(receipt, token_in, token_out)
        return SwapReport(token_in, token_out, self.fee, self.exact, quoted, limit, amount_in,
                          amount_out, tuple(receipts))  # fmt: skip

    def _address(self, given: str, chain_id: int) -> str:
        if given.startswith("0x"):
            return to_checksum(given)
        return to_checksum(token(chain_id, given).address)

    async def _quote(self, quoter: Contract, token_in: str, token_out: str, amount: int) -> int:
        """QuoterV2's answer: the output for an exact input, the input for an exact
        output. Cancellation: a read."""
        if self.exact == "in":
            call = quoter.functions.quoteExactInputSingle(
                (token_in, token_out, amount, self.fee, 0)
            )
        else:
            call = quoter.functions.quoteExactOutputSingle(
                (token_in, token_out, amount, self.fee, 0)
            )
        found = await call.call()
        return int(found[0])


def _swapped(receipt: TxReceipt, token_in: str, token_out: str) -> tuple[int, int]:
    """(amount in, amount out) from the pool's ``Swap`` event: amount0 and amount1 are
    what the pool received (positive) and paid (negative)."""
    for log in receipt.logs:
        topics = log.get("topics") or []
        if topics and str(topics[0]).lower() == _SWAP_TOPIC:
            data = bytes.fromhex(str(log["data"])[2:])
            amount0 = int.from_bytes(data[0:32], "big", signed=True)
            amount1 = int.from_bytes(data[32:64], "big", signed=True)
            in_is_0 = int(token_in, 16) < int(token_out, 16)
            return (amount0, -amount1) if in_is_0 else (amount1, -amount0)
    raise InvalidArgument(f"receipt {receipt.hash}: no Swap event of a Uniswap V3 pool")
