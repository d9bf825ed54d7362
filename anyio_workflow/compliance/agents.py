"""The compliance agents: :class:`ComplianceAgent` (a validator: enough owners of the Safe
approved this very transaction, or the run is vetoed naming who is missing) and
:class:`SafeTransferAgent` (an executor: the money moves through the Safe's
``execTransaction``, which checks the same signatures on chain).

A task says what moves: ``params`` ``recipient`` (or ``to``), ``amount`` and, for an
ERC-20, ``token`` (an address or a symbol the chain knows); the seed's flat form
``{"type": "approve_budget", "amount": "750000 DAI", "recipient": "0x..."}`` names the
token in the amount.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio

from ..agents.base import BaseAgent, Role
from ..agents.context import AgentContext
from ..agents.helpers import (
    base_units,
    require_code,
    resolve_signer,
    token_decimals,
    token_symbol,
)
from ..chains import chain, token
from ..core.exact import scaled as exact_scaled
from ..core.task import Task
from ..errors import InvalidArgument, Veto
from ..evm.abi import function
from ..evm.accounts import Signer
from ..evm.address import to_checksum
from ..evm.tx import TxReceipt, TxRequest
from ..rpc.eth import EthRpc
from .approvals import ApprovalSource, Tally, tally
from .safe import Safe, SafeTx, hex_bytes, pack_signatures

__all__ = [
    "ComplianceAgent",
    "Payment",
    "SafeTransferAgent",
    "ScreeningAgent",
    "SpendLedger",
    "TreasuryAgent",
    "payment_of",
    "safe_tx_for",
]

TRANSFER = function("transfer(address,uint256) returns (bool)")


class Payment:
    """What a task moves: ``amount`` base units of ``token`` (``None``: the chain's coin)
    to ``recipient``."""

    __slots__ = ("amount", "recipient", "symbol", "token")

    def __init__(self, recipient: str, amount: int, token: str | None, symbol: str) -> None:
        self.recipient, self.amount, self.token, self.symbol = recipient, amount, token, symbol

    def __repr__(self) -> str:
        return f"<Payment {self.amount} {self.symbol} base units to {self.recipient}>"


async def payment_of(params: dict[str, Any], eth: EthRpc, chain_id: int) -> Payment:
    """The payment a task's ``params`` describe (see the module's docstring).
    Cancellation: reads only; cancelled, nothing changed."""
    recipient = params.get("recipient", params.get("to"))
    if not isinstance(recipient, str):
        raise InvalidArgument("task.params.recipient: the address the money goes to")
    amount = params.get("amount")
    if amount is None or isinstance(amount, bool | float):
        raise InvalidArgument(
            "task.params.amount: an int of base units, a Decimal, or '750000 DAI'"
        )
    named = params.get("token")
    if named is None and isinstance(amount, str) and len(amount.split()) == 2:
        unit = amount.split()[1]
        if unit != chain(chain_id).native_symbol:
            named = unit
    if named is None:
        coin = chain(chain_id)
        value = base_units(amount, coin.decimals, "task.params.amount", unit=coin.native_symbol)
        return Payment(to_checksum(recipient), value, None, coin.native_symbol)
    if not isinstance(named, str):
        raise InvalidArgument("task.params.token: an address or a symbol")
    address, symbol = named, named
    if not named.startswith("0x"):
        known = token(chain_id, named)
        address, symbol = known.address, known.symbol
    address = to_checksum(address)
    await require_code(eth, address, "task.params.token")
    if named.startswith("0x") and isinstance(amount, str):
        symbol = await token_symbol(eth, address)  # "750000 DAI" must name this token
    if isinstance(amount, int):
        return Payment(to_checksum(recipient), amount, address, symbol)
    decimals = await token_decimals(eth, address)
    value = base_units(amount, decimals, "task.params.amount",
                       unit=symbol if isinstance(amount, str) else None)  # fmt: skip
    return Payment(to_checksum(recipient), value, address, symbol)


async def safe_tx_for(payment: Payment, safe: Safe, chain_id: int) -> SafeTx:
    """The Safe transaction that makes ``payment``, on the Safe's current nonce.
    Cancellation: a read; cancelled, nothing changed."""
    nonce = await safe.nonce()
    if payment.token is None:
        return SafeTx(safe=safe.address, chain_id=chain_id, to=payment.recipient,
                      value=payment.amount, nonce=nonce)  # fmt: skip
    data = TRANSFER.encode(payment.recipient, payment.amount)
    return SafeTx(safe=safe.address, chain_id=chain_id, to=payment.token, data=data,
                  nonce=nonce)  # fmt: skip


def _state_key(safe: str, chain_id: int) -> str:
    return f"compliance:{chain_id}:{safe.lower()}"


class ComplianceAgent(BaseAgent[AgentContext]):
    """A validator: the task's payment, as a transaction of the Safe at ``safe``, must be
    approved by ``threshold`` (default: the Safe's own) of ``signers`` (default: all its
    owners) before anything moves. Approvals come from ``approvals``; it waits for them up
    to ``wait`` seconds (a cancellable wait), then vetoes naming the owners missing and
    why any approval did not count. Its output (the Safe transaction's digest and the
    approvals that counted) goes into the run's record; :class:`SafeTransferAgent` sends
    with those approvals.

    Cancellation: the wait is abandoned; nothing was signed or sent.
    """

    role = Role.VALIDATOR

    def __init__(
        self,
        safe: str | None = None,
        *,
        approvals: ApprovalSource | None = None,
        signers: list[str] | None = None,
        threshold: int | None = None,
        wait: float = 0.0,
        chain_id: int | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        if safe is None:  # the seed's ComplianceAgent(signers=[...]) has none: say why
            raise InvalidArgument(
                "safe: the address of the Safe whose owners approve the payment. Multi-sig "
                "compliance here is a real Safe's threshold of its owners' signatures: "
                "deploy one (anyio_workflow.compliance.deploy_safe, on a devnet or a "
                "chain) and give its address; signers= then names which owners' approvals "
                "count (docs/compliance.md)"
            )
        if not isinstance(approvals, ApprovalSource):
            raise InvalidArgument(
                "approvals: where the owners' approvals come from, an ApprovalSource "
                "(InMemoryApprovals, DirectoryApprovals, or TemporalApprovals)"
            )
        if threshold is not None and threshold < 1:
            raise InvalidArgument(f"threshold: {threshold}; at least 1")
        if wait < 0:
            raise InvalidArgument(f"wait: {wait} seconds; at least 0")
        self.safe = to_checksum(safe)
        self.approvals = approvals
        self.signers = [to_checksum(s) for s in signers] if signers is not None else None
        self.threshold = threshold
        self.wait = wait
        self.chain_id = chain_id

    async def execute(self, task: Task, ctx: AgentContext) -> dict[str, Any]:
        chain_id = self.chain_id or ctx.chain_id
        eth = ctx.eth(chain_id)
        safe = Safe(self.safe, eth)
        await require_code(eth, safe.address, "safe")
        owners = await safe.owners()
        signers = self.signers if self.signers is not None else owners
        strangers = [s for s in signers if s not in owners]
        if strangers:
            raise InvalidArgument(f"signers: {', '.join(strangers)} not owners of {safe.address}")
        threshold = self.threshold if self.threshold is not None else await safe.threshold()
        if threshold > len(signers):
            raise InvalidArgument(f"threshold: {threshold} of only {len(signers)} signers")
        payment = await payment_of(task.params, eth, chain_id)
        tx = await safe_tx_for(payment, safe, chain_id)
        result = await self._collect(tx, signers, threshold)
        if not result.reached:
            raise Veto(result.explain())
        ctx.publish(_state_key(safe.address, chain_id), result)
        return {
            "safe": safe.address, "chain_id": chain_id, "nonce": tx.nonce,
            "digest": "0x" + tx.digest().hex(), "threshold": threshold,
            "approvals": [
                {"signer": a.signer, "signature": "0x" + a.signature.hex()}
                for a in result.valid.values()
            ],
            "rejected": [{"signer": a.signer, "why": why} for a, why in result.rejected],
        }  # fmt: skip

    async def _collect(self, tx: SafeTx, signers: list[str], threshold: int) -> Tally:
        result = tally(tx, await self.approvals.approvals(tx), signers, threshold)
        deadline = anyio.current_time() + self.wait
        while not result.reached and (left := deadline - anyio.current_time()) > 0:
            await self.approvals.wait(left)
            result = tally(tx, await self.approvals.approvals(tx), signers, threshold)
        return result


class SafeTransferAgent(BaseAgent[AgentContext]):
    """An executor: the task's payment (or ``to`` and ``amount`` given here) moves out of
    the Safe at ``safe`` through ``execTransaction``, with the approvals its
    :class:`ComplianceAgent` gathered; the Safe checks them again on chain. ``signer``
    (default: the workflow's) only pays the gas: it need not be an owner.

    Cancellation: before the broadcast nothing is sent; after it, the transaction stays
    sent and only the wait for its receipt is abandoned.
    """

    role = Role.EXECUTOR

    def __init__(
        self,
        safe: str,
        *,
        to: str | None = None,
        amount: int | Decimal | str | None = None,
        token: str | None = None,
        signer: Signer | None = None,
        chain_id: int | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.safe = to_checksum(safe)
        self.to = to_checksum(to) if to is not None else None
        self.amount = amount
        self.token = token
        self.signer = signer
        self.chain_id = chain_id

    async def execute(self, task: Task, ctx: AgentContext) -> TxReceipt:
        chain_id = self.chain_id or ctx.chain_id
        # The exact calldata is a checkpoint: a resumed run sends the same bytes of the
        # same request (met by its journaled intent), even after the Safe's nonce moved.
        calldata = await ctx.journal.step(
            f"execTransaction:{chain_id}:{self.safe}", self._calldata, task, ctx, chain_id
        )
        sender = ctx.sender(resolve_signer(self.signer, ctx), chain_id)
        return await sender.send(TxRequest(to=self.safe, data=calldata))

    async def _calldata(self, task: Task, ctx: AgentContext, chain_id: int) -> str:
        eth = ctx.eth(chain_id)
        params = dict(task.params)
        for key, value in (("recipient", self.to), ("amount", self.amount),
                           ("token", self.token)):  # fmt: skip
            if value is not None:
                params[key] = value
        tx = await safe_tx_for(await payment_of(params, eth, chain_id), Safe(self.safe, eth),
                               chain_id)  # fmt: skip
        approved: Tally | None = ctx.state.get(_state_key(self.safe, chain_id))
        if approved is not None:
            digest, signatures = approved.tx.digest(), approved.signatures()
        else:  # its ComplianceAgent succeeded in the run this one resumes: its output
            digest, signatures = self._recorded(ctx, chain_id)
        if tx.digest() != digest:
            raise InvalidArgument(
                f"the transaction to send (to {tx.to}, nonce {tx.nonce}) is not the one "
                f"its owners approved (digest 0x{digest.hex()})"
            )
        return tx.exec_calldata(signatures)

    def _recorded(self, ctx: AgentContext, chain_id: int) -> tuple[bytes, bytes]:
        """The approved digest and packed signatures from a ComplianceAgent's output."""
        for outcome in ctx.outcomes:
            output = outcome.output
            if (
                outcome.role is Role.VALIDATOR
                and isinstance(output, dict)
                and output.get("safe") == self.safe
                and output.get("chain_id") == chain_id
                and "approvals" in output
            ):
                signed = {a["signer"]: hex_bytes(a["signature"]) for a in output["approvals"]}
                return hex_bytes(output["digest"]), pack_signatures(signed)
        raise InvalidArgument(
            f"safe: no ComplianceAgent of this run approved a transaction of {self.safe}"
        )


class SpendLedger:
    """What a :class:`TreasuryAgent` has let through, per token: ``(time, base units)``,
    for its rolling window. In memory, shared by the runs of one agent (give several
    agents the same ledger to share a limit). A run that passed the treasury counts,
    whether or not its transfer went through afterwards: the conservative reading."""

    def __init__(self) -> None:
        self._spent: dict[str, list[tuple[float, int]]] = {}

    def total(self, token: str, since: float) -> int:
        return sum(amount for at, amount in self._spent.get(token, []) if at >= since)

    def add(self, token: str, at: float, amount: int) -> None:
        self._spent.setdefault(token, []).append((at, amount))

    def __repr__(self) -> str:
        return f"<SpendLedger tokens={len(self._spent)}>"


def _whole(amount: int, decimals: int) -> str:
    """Base units as whole units, with thousands separators: ``750,000``, ``0.5``."""
    text = f"{exact_scaled(amount, -decimals):,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class TreasuryAgent(BaseAgent[AgentContext]):
    """A validator of the treasury's limits on the task's payment of ``token`` (a symbol,
    an address, or ``None`` for the chain's coin), in whole units:

    - ``threshold``: above it, the owners' approvals are required: ``compliance`` (the
      run's :class:`ComplianceAgent`) must pass; without one, the payment is vetoed;
    - ``per_transaction``: no single payment above it;
    - ``window``: ``(limit, seconds)``: no more than ``limit`` let through in any
      ``seconds`` (kept in ``ledger``).

    A payment of another token than the one it judges is vetoed, never passed unjudged:
    a limit that cannot judge a payment refuses it (give one ``TreasuryAgent`` per token
    the run may pay). Vetoes say the numbers. Cancellation: nothing to undo; the ledger
    changes only when it passes.
    """

    role = Role.VALIDATOR

    def __init__(
        self,
        *,
        threshold: int | Decimal,
        token: str | None = None,
        per_transaction: int | Decimal | None = None,
        window: tuple[int | Decimal, float] | None = None,
        compliance: ComplianceAgent | None = None,
        ledger: SpendLedger | None = None,
        chain_id: int | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        for field, value in (("threshold", threshold), ("per_transaction", per_transaction),
                             ("window", window[0] if window else None)):  # fmt: skip
            if value is not None and (isinstance(value, bool | float) or value < 0):
                raise InvalidArgument(f"{field}: {value!r}; whole units as an int or Decimal")
        if window is not None and window[1] <= 0:
            raise InvalidArgument(f"window: {window[1]} seconds; more than 0")
        self.threshold = Decimal(threshold)
        self.token = token
        self.per_transaction = Decimal(per_transaction) if per_transaction is not None else None
        self.window = (Decimal(window[0]), float(window[1])) if window is not None else None
        self.compliance = compliance
        self.ledger = ledger if ledger is not None else SpendLedger()
        self.chain_id = chain_id

    async def execute(self, task: Task, ctx: AgentContext) -> dict[str, Any]:
        chain_id = self.chain_id or ctx.chain_id
        eth = ctx.eth(chain_id)
        payment = await payment_of(task.params, eth, chain_id)
        mine = None
        if self.token is not None:
            mine = self.token
            if not mine.startswith("0x"):
                mine = token(chain_id, mine).address
            mine = to_checksum(mine)
        if payment.token != mine:  # fail closed: a limit that cannot judge refuses
            judged = self.token or chain(chain_id).native_symbol
            raise Veto(
                f"{self.name} judges payments of {judged} only, and this one is of "
                f"{payment.symbol}: it cannot say whether {payment.symbol} is within its "
                f"limits, so it refuses it. Give the workflow a TreasuryAgent with "
                f"token={payment.symbol!r} (its limits in {payment.symbol})."
            )
        decimals = chain(chain_id).decimals if mine is None else await token_decimals(eth, mine)
        amount, symbol = payment.amount, payment.symbol
        shown = f"{_whole(amount, decimals)} {symbol}"
        if self.per_transaction is not None and amount > exact_scaled(
            self.per_transaction, decimals
        ):
            cap = _whole(int(exact_scaled(self.per_transaction, decimals)), decimals)
            raise Veto(f"{shown} is over the per-transaction limit of {cap} {symbol}")
        now = ctx.now()
        if self.window is not None:
            limit, seconds = self.window
            spent = self.ledger.total(symbol, now - seconds)
            if spent + amount > exact_scaled(limit, decimals):
                raise Veto(
                    f"{shown} would make {_whole(spent + amount, decimals)} {symbol} in "
                    f"{seconds:g} s, over the window's limit of "
                    f"{_whole(int(exact_scaled(limit, decimals)), decimals)} {symbol} "
                    f"({_whole(spent, decimals)} {symbol} already)"
                )
        approved = False
        if amount > exact_scaled(self.threshold, decimals):
            if self.compliance is None:
                threshold = _whole(int(exact_scaled(self.threshold, decimals)), decimals)
                raise Veto(f"{shown} is over the treasury threshold of {threshold} {symbol} "
                           "and no ComplianceAgent was given to approve it")  # fmt: skip
            chain_of = self.compliance.chain_id or chain_id
            # Or vetoed; as long as its ComplianceAgent waits for the owners (its wait=).
            await ctx.wait_for(_state_key(self.compliance.safe, chain_of), timeout=None)
            approved = True
        self.ledger.add(symbol, now, amount)
        return {"token": symbol, "amount": _whole(amount, decimals),
                "over_threshold": approved}  # fmt: skip


DenyList = Callable[[str], Awaitable[bool]]


class ScreeningAgent(BaseAgent[AgentContext]):
    """A validator that refuses recipients on a deny-list, and, with
    ``refuse_contracts``, recipients that are contracts. ``deny`` is a file of addresses
    (one per line; ``#`` comments), an iterable of addresses, or ``async fn(address) ->
    bool`` (the user's sanctions service: the list is the user's to supply).
    ``list_version`` names the list in the record. The decision (the list's version,
    whether the recipient matched) is the agent's output, and so in the record; the
    recipient itself is not repeated there.

    Cancellation: a read; nothing to undo.
    """

    role = Role.VALIDATOR

    def __init__(
        self,
        deny: str | Path | Iterable[str] | DenyList,
        *,
        refuse_contracts: bool = False,
        list_version: str | None = None,
        chain_id: int | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self._check: DenyList
        if callable(deny):
            self._check = deny
        else:
            if isinstance(deny, str | Path):
                lines = Path(deny).read_text().splitlines()
                deny = [line.split("#")[0].strip() for line in lines]
            listed = {to_checksum(a) for a in deny if a}

            async def on_list(address: str) -> bool:
                return address in listed

            self._check = on_list
        self.refuse_contracts = refuse_contracts
        self.list_version = list_version
        self.chain_id = chain_id

    async def execute(self, task: Task, ctx: AgentContext) -> dict[str, Any]:
        chain_id = self.chain_id or ctx.chain_id
        recipient = task.params.get("recipient", task.params.get("to"))
        if not isinstance(recipient, str):
            raise InvalidArgument("task.params.recipient: the address the money goes to")
        recipient = to_checksum(recipient)
        # The decision goes into the record as salted commitments (the auditor's salts
        # file holds the values): an auditor shown them can check it, the public cannot.
        decision: dict[str, Any] = {"list_version": self.list_version, "match": False,
                                    "personal": ["list_version", "match", "contract"]}  # fmt: skip
        if await self._check(recipient):
            version = f" (list version {self.list_version})" if self.list_version else ""
            raise Veto(f"recipient {recipient} is on the deny-list{version}")
        if self.refuse_contracts:
            code = await ctx.eth(chain_id).get_code(recipient)
            decision["contract"] = bool(code)
            if code:
                raise Veto(f"recipient {recipient} is a contract, and the policy refuses them")
        return decision
