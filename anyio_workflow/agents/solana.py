"""Solana agents: :class:`SolTransferAgent`, :class:`SplTransferAgent`,
:class:`SolanaPayoutAgent` (many transfers packed per transaction) and
:class:`SolanaProgramCallAgent`, sent through
:class:`~anyio_workflow.solana.tx.SolanaSender` (simulate, compute budget, priority fee by
strategy, sign, send, confirm, re-sign on an expired blockhash), journaled with the
workflow's journal."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from ..chains.caip import chain_ref, solana_cluster, spl_tokens
from ..core.task import Task
from ..errors import InvalidArgument, NotFound, one_error
from ..solana.client import SolanaRpc
from ..solana.signer import SolanaSigner
from ..solana.spl import (
    ASSOCIATED_TOKEN_PROGRAM,
    associated_token_address,
    create_associated_token_account,
    mint_decimals,
    token_holding,
    transfer_checked,
)
from ..solana.tx import SolanaReceipt, SolanaSender, SolanaStrategy
from .base import BaseAgent, Role
from .context import AgentContext
from .helpers import Amount, base_units

__all__ = [
    "PACKET_DATA_SIZE",
    "SolTransferAgent",
    "SolanaBatch",
    "SolanaPayoutAgent",
    "SolanaPayoutReport",
    "SolanaProgramCallAgent",
    "SplTransferAgent",
]

PACKET_DATA_SIZE = 1232
"""The most bytes a Solana transaction may take (an IPv6 packet's payload, less headers)."""

Strategy = SolanaStrategy


def _cluster(chain_id: str) -> str:
    found = chain_ref(chain_id)
    if not isinstance(found, str):
        raise InvalidArgument(f"chain_id: {chain_id!r} is not a Solana cluster (solana:...)")
    return found


def _signer(signer: SolanaSigner | None, ctx: AgentContext) -> SolanaSigner:
    """The agent's own signer, else the workflow's ``solana_signer`` service."""
    if signer is not None:
        return signer
    try:
        found = ctx.service("solana_signer")
    except NotFound:
        raise NotFound(
            "signer: this Solana agent has no signer of its own and no solana_signer service "
            "was given (AsyncWorkflow(..., solana_signer=SolanaSigner(...)))"
        ) from None
    if not isinstance(found, SolanaSigner):
        raise InvalidArgument("services.solana_signer: not a SolanaSigner")
    return found


class _SolanaAgent(BaseAgent[AgentContext]):
    """What the Solana executors share: a cluster (CAIP-2 ``chain_id``), a signer that
    signs and pays (default: the ``solana_signer`` service), a fee strategy, and the
    run's journaled :class:`SolanaSender` for them.

    Cancellation: before the send nothing is sent; after it, the signature stays sent
    (in the sender's journal) and only the wait for its confirmation is abandoned.
    """

    role = Role.EXECUTOR

    def __init__(
        self, *, chain_id: str, signer: SolanaSigner | None, strategy: Strategy, name: str | None
    ) -> None:
        super().__init__(name)
        self.chain_id = _cluster(chain_id)
        self.signer = signer
        self.strategy = strategy

    def sender(self, ctx: AgentContext) -> tuple[SolanaSigner, SolanaSender]:
        """The signer, and the run's journaled sender for it on this cluster."""
        signer = _signer(self.signer, ctx)
        return signer, ctx.solana_sender(signer, self.chain_id, strategy=self.strategy)


class _OneTransaction(_SolanaAgent):
    """An agent that sends :meth:`instructions_for` as one transaction; its output is the
    :class:`SolanaReceipt`."""

    async def instructions_for(self, signer: SolanaSigner, rpc: SolanaRpc) -> list[Instruction]:
        """The instructions to send. Cancellation: reads only."""
        raise NotImplementedError(f"{type(self).__name__} must implement instructions_for")

    def intent(self) -> dict[str, Any] | None:
        """What the journal knows this agent's send by, when it does not depend on the
        chain's state; ``None``: the instructions' bytes."""
        return None

    async def execute(self, task: Task, ctx: AgentContext) -> SolanaReceipt:
        signer, sender = self.sender(ctx)
        instructions = await self.instructions_for(signer, sender.rpc)
        return await sender.send(instructions, intent=self.intent())


class SolanaProgramCallAgent(_OneTransaction):
    """Sends ``instructions`` (solders ``Instruction``s) as one transaction on the
    Solana cluster ``chain_id`` (CAIP-2)."""

    def __init__(
        self,
        instructions: list[Instruction],
        *,
        chain_id: str,
        signer: SolanaSigner | None = None,
        strategy: Strategy = "optimal",
        name: str | None = None,
    ) -> None:
        super().__init__(chain_id=chain_id, signer=signer, strategy=strategy, name=name)
        if not instructions:
            raise InvalidArgument("instructions: at least one")
        self.instructions = list(instructions)

    async def instructions_for(self, signer: SolanaSigner, rpc: SolanaRpc) -> list[Instruction]:
        """The instructions given. Cancellation: nothing to abandon."""
        return self.instructions


class SolTransferAgent(_OneTransaction):
    """Sends ``amount`` of SOL to ``to`` on the cluster ``chain_id``: lamports as an
    ``int``, whole SOL as a ``Decimal``, or ``"2.5 SOL"``."""

    def __init__(
        self,
        to: str,
        amount: Amount,
        *,
        chain_id: str,
        signer: SolanaSigner | None = None,
        strategy: Strategy = "optimal",
        name: str | None = None,
    ) -> None:
        try:
            self.to = Pubkey.from_string(to)
        except (ValueError, TypeError):
            raise InvalidArgument(f"to: {to!r} is not a base58 Solana address") from None
        cluster = solana_cluster(_cluster(chain_id))
        self.lamports = base_units(amount, cluster.decimals, unit=cluster.native_symbol,
                                   uint256=False)  # fmt: skip
        if self.lamports <= 0 or self.lamports >= 2**64:
            raise InvalidArgument(f"amount: {amount!r}; between 1 lamport and a u64")
        super().__init__(chain_id=chain_id, signer=signer, strategy=strategy, name=name)

    def intent(self) -> dict[str, Any]:
        return {"sol": str(self.to), "lamports": self.lamports}

    async def instructions_for(self, signer: SolanaSigner, rpc: SolanaRpc) -> list[Instruction]:
        """The transfer (no read needed). Cancellation: nothing to abandon."""
        return self.build(signer)

    def build(self, signer: SolanaSigner) -> list[Instruction]:
        return [transfer(TransferParams(from_pubkey=signer.pubkey, to_pubkey=self.to,
                                        lamports=self.lamports))]  # fmt: skip


def _token(mint: str, chain_id: str) -> tuple[Pubkey, str | None]:
    """``mint`` as an address, and its symbol when it was given by one the cluster's data
    knows (``"USDC"``)."""
    known = spl_tokens(chain_id)
    symbol = None
    if mint.upper() in known:
        symbol, mint = known[mint.upper()].symbol, known[mint.upper()].mint
    try:
        return Pubkey.from_string(mint), symbol
    except (ValueError, TypeError):
        raise InvalidArgument(
            f"mint: {mint!r} is not a base58 Solana address, nor a token symbol known on "
            f"{chain_id} (known: {', '.join(sorted(known)) or 'none'}; register_token() "
            "adds one)"
        ) from None


async def solana_balance(rpc: SolanaRpc, owner: str, token: str | None, chain_id: str) -> int:
    """``owner``'s lamports, or its base units of ``token`` (a mint, or a symbol known on
    ``chain_id``). Cancellation: reads only."""
    try:
        wallet = Pubkey.from_string(owner)
    except (ValueError, TypeError):
        raise InvalidArgument(f"account: {owner!r} is not a base58 Solana address") from None
    if token is None:
        return await rpc.get_balance(owner)
    return await token_holding(rpc, wallet, _token(token, chain_id)[0])


class SplTransferAgent(_OneTransaction):
    """Sends ``amount`` of the SPL token ``mint`` (its address, or a symbol the cluster's
    data knows: ``"USDC"``) to the wallet ``to``, creating its associated token account
    when it has none: base units as an ``int``, whole tokens as a ``Decimal`` or
    ``"100 USDC"``, scaled by the mint's decimals (read from the chain). The transfer is
    ``transfer_checked``: the program checks the mint and its decimals too."""

    def __init__(
        self,
        mint: str,
        to: str,
        amount: Amount,
        *,
        chain_id: str,
        signer: SolanaSigner | None = None,
        strategy: Strategy = "optimal",
        name: str | None = None,
    ) -> None:
        self.mint, self.symbol = _token(mint, _cluster(chain_id))
        try:
            self.to = Pubkey.from_string(to)
        except (ValueError, TypeError):
            raise InvalidArgument(f"to: {to!r} is not a base58 Solana address") from None
        self.amount = amount
        base_units(amount, 18, uint256=False)  # its shape now, its scale once the mint is read
        super().__init__(chain_id=chain_id, signer=signer, strategy=strategy, name=name)

    def intent(self) -> dict[str, Any]:
        # The instructions depend on whether the recipient's token account exists: the
        # journal knows the send by the transfer instead, so that a resume finds it.
        return {"spl": str(self.mint), "to": str(self.to), "amount": str(self.amount)}

    async def instructions_for(self, signer: SolanaSigner, rpc: SolanaRpc) -> list[Instruction]:
        """The transfer, after the recipient's token account's creation when it has none.
        Cancellation: reads only."""
        decimals = await mint_decimals(rpc, self.mint)
        amount = self.amount
        if not isinstance(amount, int):
            amount = base_units(amount, decimals, unit=self.symbol, uint256=False)
        destination = associated_token_address(self.to, self.mint)
        steps: list[Instruction] = []
        if await rpc.get_account_info(str(destination)) is None:
            steps.append(create_associated_token_account(signer.pubkey, self.to, self.mint))
        source = associated_token_address(signer.pubkey, self.mint)
        steps.append(transfer_checked(source, self.mint, destination, signer.pubkey, amount,
                                      decimals))  # fmt: skip
        return steps


@dataclass(frozen=True)
class SolanaBatch:
    """One transaction of a :class:`SolanaPayoutAgent`, and the indexes of the payouts it
    carried."""

    receipt: SolanaReceipt
    payouts: tuple[int, ...]


@dataclass(frozen=True)
class SolanaPayoutReport:
    """What :class:`SolanaPayoutAgent` sent: its transactions, in the payouts' order."""

    batches: tuple[SolanaBatch, ...]

    @property
    def receipts(self) -> tuple[SolanaReceipt, ...]:
        return tuple(b.receipt for b in self.batches)


_PLACEHOLDER = str(Hash.default())  # a blockhash's size, to measure transactions by


class SolanaPayoutAgent(_SolanaAgent):
    """Pays every ``(recipient, amount)`` of ``payouts`` in SOL, or in the SPL token
    ``mint`` (an address, or a symbol the cluster's data knows), as few transactions as
    the 1,232-byte limit allows: transfers are packed in order into each transaction
    (compute-budget instructions included) while it fits; an SPL recipient without a
    token account gets one, created (idempotently) in each transaction that pays it, since
    transactions sent together may land in any order.
    Transactions go out ``concurrency`` at a time; each is simulated, priced, journaled
    and confirmed as any other. Amounts: base units (``int``), whole units (``Decimal``),
    or ``"2.5 SOL"`` / ``"100 USDC"``. Output: a :class:`SolanaPayoutReport`.

    A transaction that fails cancels those not sent yet (``fail_fast``); those that
    landed stay paid and are in the result's record, with the failure.

    Cancellation: transactions not yet sent are not sent; those sent stay sent (in the
    run's record and journal), and only the waits for their confirmations are abandoned.
    """

    def __init__(
        self,
        payouts: Sequence[tuple[str, Amount]] | Mapping[str, Amount],
        *,
        chain_id: str,
        mint: str | None = None,
        signer: SolanaSigner | None = None,
        strategy: Strategy = "optimal",
        concurrency: int = 8,
        name: str | None = None,
    ) -> None:
        cluster = _cluster(chain_id)
        pairs = list(payouts.items() if isinstance(payouts, Mapping) else payouts)
        if not pairs:
            raise InvalidArgument("payouts: at least one")
        if concurrency < 1:
            raise InvalidArgument(f"concurrency: {concurrency}; at least 1")
        self.mint: Pubkey | None = None
        self.symbol: str | None = None
        if mint is not None:
            self.mint, self.symbol = _token(mint, cluster)
        unit = self.symbol if self.mint is not None else solana_cluster(cluster).native_symbol
        self.recipients: list[Pubkey] = []
        self.amounts: list[Amount] = []
        for index, (to, amount) in enumerate(pairs):
            try:
                self.recipients.append(Pubkey.from_string(to))
            except (ValueError, TypeError):
                raise InvalidArgument(
                    f"payouts[{index}]: {to!r} is not a base58 Solana address"
                ) from None
            decimals = 9 if self.mint is None else 18  # a token's scale is read later
            if base_units(amount, decimals, f"payouts[{index}].amount", unit=unit,
                          uint256=False) <= 0:  # fmt: skip
                raise InvalidArgument(f"payouts[{index}].amount: must be positive")
            self.amounts.append(amount)
        self.concurrency = concurrency
        super().__init__(chain_id=chain_id, signer=signer, strategy=strategy, name=name)

    async def groups(self, signer: SolanaSigner, rpc: SolanaRpc) -> list[list[Instruction]]:
        """Each payout's instructions, in order. Cancellation: reads only."""
        if self.mint is None:
            lamports = [base_units(a, 9, unit="SOL", uint256=False) for a in self.amounts]
            pairs = zip(self.recipients, lamports, strict=True)
            payer = signer.pubkey
            return [[transfer(TransferParams(from_pubkey=payer, to_pubkey=to, lamports=n))]
                    for to, n in pairs]  # fmt: skip
        mint = self.mint
        decimals = await mint_decimals(rpc, mint)
        units = [base_units(a, decimals, unit=self.symbol, uint256=False) for a in self.amounts]
        exists: dict[Pubkey, bool] = {}

        async def look(owner: Pubkey) -> None:
            account = await rpc.get_account_info(str(associated_token_address(owner, mint)))
            exists[owner] = account is not None

        async with anyio.create_task_group() as tg:  # one batch of reads, coalesced
            for owner in dict.fromkeys(self.recipients):
                tg.start_soon(look, owner)
        source = associated_token_address(signer.pubkey, mint)
        groups: list[list[Instruction]] = []
        for owner, amount in zip(self.recipients, units, strict=True):
            steps: list[Instruction] = []
            if not exists[owner]:  # in every payout to it: transactions land in any order
                steps.append(create_associated_token_account(signer.pubkey, owner, mint))
            steps.append(transfer_checked(source, mint, associated_token_address(owner, mint),
                                          signer.pubkey, amount, decimals))  # fmt: skip
            groups.append(steps)
        return groups

    def pack(self, signer: SolanaSigner, groups: list[list[Instruction]]) -> list[list[int]]:
        """The payouts' indexes, packed in order into transactions of at most
        :data:`PACKET_DATA_SIZE` bytes (signed, with the compute-budget pair)."""
        return pack(groups, lambda ixs: _size(signer, _once(ixs)) <= PACKET_DATA_SIZE)

    async def execute(self, task: Task, ctx: AgentContext) -> SolanaPayoutReport:
        signer, sender = self.sender(ctx)
        groups = await self.groups(signer, sender.rpc)
        packed = self.pack(signer, groups)
        landed: dict[int, SolanaBatch] = {}
        limiter = anyio.CapacityLimiter(self.concurrency)
        mint = None if self.mint is None else str(self.mint)

        async def send(number: int, indexes: list[int]) -> None:
            async with limiter:
                intent = {"payouts": [[str(self.recipients[i]), str(self.amounts[i])]
                                      for i in indexes], "mint": mint}  # fmt: skip
                instructions = _once([ix for i in indexes for ix in groups[i]])
                receipt = await sender.send(instructions, intent=intent)
                landed[number] = SolanaBatch(receipt, tuple(indexes))

        with one_error():
            async with anyio.create_task_group() as tg:
                for number, indexes in enumerate(packed):
                    tg.start_soon(send, number, indexes)
        return SolanaPayoutReport(tuple(landed[n] for n in range(len(packed))))


def _once(instructions: list[Instruction]) -> list[Instruction]:
    """``instructions`` with each token account's creation kept once (the first): it is
    idempotent, and one transaction needs it once. Transfers are never merged."""
    seen: set[bytes] = set()
    kept: list[Instruction] = []
    for ix in instructions:
        if ix.program_id == ASSOCIATED_TOKEN_PROGRAM:
            if bytes(ix) in seen:
                continue
            seen.add(bytes(ix))
        kept.append(ix)
    return kept


def _size(signer: SolanaSigner, instructions: list[Instruction]) -> int:
    budget = [set_compute_unit_limit(1), set_compute_unit_price(1)]
    try:
        return len(bytes(signer.sign_instructions([*budget, *instructions], _PLACEHOLDER)))
    except Exception:  # solders refuses a message past its limits (accounts, indexes)
        return PACKET_DATA_SIZE + 1


def pack(
    groups: list[list[Instruction]], fits: Callable[[list[Instruction]], bool]
) -> list[list[int]]:
    """Pack ``groups`` (each one payout's instructions) in order into as few transactions
    as ``fits`` allows, never splitting a group: the indexes of each transaction's."""
    packed: list[list[int]] = []
    current: list[int] = []
    instructions: list[Instruction] = []
    for index, group in enumerate(groups):
        if current and not fits([*instructions, *group]):
            packed.append(current)
            current, instructions = [], []
        if not current and not fits(group):
            raise InvalidArgument(f"payouts[{index}]: does not fit in one transaction")
        current.append(index)
        instructions += group
    if current:
        packed.append(current)
    return packed
