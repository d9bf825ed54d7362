"""The lifecycle of a Solana transaction: :class:`SolanaSender`.

build (the instructions, after a compute-budget pair) -> simulate (nothing is sent unless
it would succeed; the compute-unit limit is what it consumed, plus a margin) -> price (the
compute-unit price from ``getRecentPrioritizationFees`` by strategy: eco, optimal and fast
take the 25th, 50th and 75th percentile of recent slots' fees) -> sign -> send -> confirm
to the commitment asked for. When the blockhash expires before the transaction is seen,
its signature is looked up once more (a transaction that landed is reported, never paid
again), and only then is it signed afresh with a new blockhash and sent; every signature
sent is kept (``SolanaReceipt.replaced``).

With a journal (the workflow's, when the run has one), a send is journaled as an EVM
transaction is: its intent, then its signed bytes, durable *before* they are sent, and
how it ended. Solana has no nonce; what the journal keeps in an entry's ``nonce`` is the
block height its bytes expire after (``lastValidBlockHeight``), which is what decides
whether they may still land. A resumed run meets its intents again: a signature that
landed is reported, bytes that may still land are sent again as they are, and only bytes
that expired unseen are signed afresh. Nothing is paid twice.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Literal

import anyio
from pydantic import BaseModel, ConfigDict
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.instruction import Instruction
from solders.transaction import VersionedTransaction

from ..errors import InvalidArgument, SimulationFailed, TransactionError
from ..journal.journal import Journal, JournalEntry, TxState
from .client import Blockhash, SignatureStatus, Simulation, SolanaRpc
from .signer import SolanaSigner

__all__ = ["PERCENTILES", "SolanaReceipt", "SolanaSender", "SolanaStrategy"]

SolanaStrategy = Literal["eco", "optimal", "fast"] | int
"""A compute-unit price strategy: a percentile of recent fees by name, or a fixed price
(micro-lamports per compute unit)."""

PERCENTILES = {"eco": 25, "optimal": 50, "fast": 75}
"""Which percentile of recent prioritization fees each strategy pays."""
_LEVELS = {"processed": 0, "confirmed": 1, "finalized": 2}
MAX_COMPUTE_UNITS = 1_400_000
BLOCKHASH_FOR = 10.0  # seconds a sender reuses a blockhash for its next transactions
FEES_FOR = 2.0  # seconds it reuses the recent prioritization fees


class SolanaReceipt(BaseModel):
    """A Solana transaction that landed: its signature, slot and what it cost."""

    model_config = ConfigDict(frozen=True)

    hash: str
    """Its signature (base58): what explorers and ``getSignatureStatuses`` take."""
    chain_id: str
    """The cluster's CAIP-2 id."""
    slot: int
    status: int
    """1: it succeeded (a failed one raises ``TransactionError`` with this receipt)."""
    compute_unit_limit: int
    compute_unit_price: int
    """Micro-lamports per compute unit."""
    replaced: tuple[str, ...] = ()
    """Signatures sent for it before it landed (expired blockhashes), never landed."""
    strategy: str | None = None


def _expired(err: object) -> bool:
    """Whether a simulation's or a refusal's error says the blockhash is unknown."""
    if isinstance(err, dict):
        err = err.get("err")
    return err == "BlockhashNotFound" or (isinstance(err, str) and "Blockhash not found" in err)


def _processed(err: object) -> bool:
    """Whether a refusal says these very bytes were processed already."""
    if isinstance(err, dict):
        err = err.get("err")
    return err == "AlreadyProcessed" or (isinstance(err, str) and "already been processed" in err)


def _percentile(values: list[int], percent: int) -> int:
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(percent / 100 * len(ordered)) - 1)]


class SolanaSender:
    """Sends instruction lists for ``signer`` through ``rpc`` (see the module's docstring).

    :param strategy: ``"eco"``, ``"optimal"`` or ``"fast"``, or an ``int``: a fixed
        compute-unit price in micro-lamports.
    :param margin: the compute-unit limit over what the simulation consumed (x1.2).
    :param durable: a journal: each send is journaled (see the module's docstring) under
        ``labels`` (the run's key and the agent's name).
    :param signatures: the signatures already signed by the senders this one shares
        with (the run's, on this cluster). Two identical transfers signed with the same
        blockhash are one transaction (the same bytes, the same signature): the second
        would be refused as already processed, and one payment lost. A transaction
        whose signature is in the set is signed again on a newer blockhash.

    Cancellation: before a send nothing is sent; after it, the signature stays in
    :attr:`journal` and only the wait is abandoned.
    """

    def __init__(
        self,
        rpc: SolanaRpc,
        signer: SolanaSigner,
        chain_id: str,
        *,
        strategy: SolanaStrategy = "optimal",
        commitment: Literal["processed", "confirmed", "finalized"] = "confirmed",
        margin: float = 1.2,
        poll_interval: float = 0.2,
        max_resigns: int = 3,
        durable: Journal | None = None,
        labels: tuple[str, str] = ("", ""),
        signatures: set[str] | None = None,
    ) -> None:
        if isinstance(strategy, str) and strategy not in PERCENTILES:
            raise InvalidArgument(
                f"strategy: {strategy!r}; one of {sorted(PERCENTILES)}, or an int"
            )
        if isinstance(strategy, int) and strategy < 0:
            raise InvalidArgument(f"strategy: {strategy} micro-lamports; at least 0")
        if margin < 1:
            raise InvalidArgument(f"margin: {margin}; at least 1")
        self.rpc = rpc
        self.signer = signer
        self.chain_id = chain_id
        self.strategy = strategy
        self.commitment = commitment
        self.margin = margin
        self.poll_interval = poll_interval
        self.max_resigns = max_resigns
        self.durable = durable
        self.labels = labels
        self.journal: list[str] = []
        """Every signature sent, in order: whatever happens to the wait, they are known."""
        self.settled: set[str] = set()
        """The signatures of :attr:`journal` whose fate is known."""
        self.signatures = signatures if signatures is not None else set()
        self._blockhash: tuple[float, Blockhash] | None = None
        self._fees: tuple[float, list[int]] | None = None

    async def price(self, instructions: list[Instruction]) -> int:
        """The compute-unit price (micro-lamports) for a transaction of ``instructions``."""
        if isinstance(self.strategy, int):
            return self.strategy
        writable = sorted({str(a.pubkey) for ix in instructions for a in ix.accounts
                           if a.is_writable})  # fmt: skip
        now = anyio.current_time()
        if self._fees is None or now - self._fees[0] > FEES_FOR:
            self._fees = now, await self.rpc.get_recent_prioritization_fees(writable[:128])
        return _percentile(self._fees[1], PERCENTILES[self.strategy])

    async def blockhash(self, *, fresh: bool = False) -> Blockhash:
        """A recent blockhash: the one fetched in the last ``BLOCKHASH_FOR`` seconds (a
        blockhash stays valid for 150 blocks, about a minute), else a new one."""
        now = anyio.current_time()
        if fresh or self._blockhash is None or now - self._blockhash[0] > BLOCKHASH_FOR:
            self._blockhash = now, await self.rpc.get_latest_blockhash()
        return self._blockhash[1]

    def _signed(
        self, instructions: list[Instruction], limit: int, price: int, blockhash: str
    ) -> VersionedTransaction:
        budget = [set_compute_unit_limit(limit), set_compute_unit_price(price)]
        return self.signer.sign_instructions([*budget, *instructions], blockhash)

    async def send(
        self, instructions: list[Instruction], *, intent: dict[str, Any] | None = None
    ) -> SolanaReceipt:
        """Simulate, price, sign, send and confirm ``instructions`` as one transaction.

        ``intent`` is what the journal knows the send by (default: the instructions'
        bytes): give one that does not depend on the chain's state (an agent's transfer,
        not the instructions read for it) so that a resumed run recognizes its send.

        Cancellation: before the send nothing is sent; after it, the signature stays in
        :attr:`journal` (and in the durable journal) and only the wait is abandoned.
        """
        if not instructions:
            raise InvalidArgument("instructions: at least one")
        entry: str | None = None
        sent: list[str] = []
        try:
            if self.durable is not None:
                recorded = intent if intent is not None else {
                    "instructions": [bytes(ix).hex() for ix in instructions]}  # fmt: skip
                before = self._take(recorded)
                entry = before.intent if before is not None else None
                if before is not None and before.state is not TxState.INTENT:
                    landed = await self._resume(before)
                    if landed is not None:
                        return landed
                if before is not None:  # nothing of it can land: it is signed afresh
                    entry, sent = before.intent, list(before.pending)
            blockhash = await self.blockhash()
            simulated = await self._simulate(instructions, blockhash.blockhash)
            if _expired(simulated.err):  # our cached blockhash aged out: once more, fresh
                blockhash = await self.blockhash(fresh=True)
                simulated = await self._simulate(instructions, blockhash.blockhash)
            if simulated.err is not None:
                raise SimulationFailed(
                    -32002, f"Transaction simulation failed: {simulated.err}",
                    {"err": simulated.err, "logs": list(simulated.logs)},
                    method="simulateTransaction",
                )  # fmt: skip
            used = simulated.units_consumed or MAX_COMPUTE_UNITS
            limit = min(MAX_COMPUTE_UNITS, math.ceil(used * self.margin) + 300)
            price = await self.price(instructions)
            if self.durable is not None and entry is None:
                entry = await self.durable.intent(
                    run_id=self.labels[0], agent=self.labels[1], chain_id=self.chain_id,
                    account=self.signer.address, request=recorded,
                )  # fmt: skip
            for _ in range(self.max_resigns + 1):
                tx = self._signed(instructions, limit, price, blockhash.blockhash)
                while str(tx.signatures[0]) in self.signatures:  # the same bytes as another's
                    blockhash = await self._newer(blockhash)
                    tx = self._signed(instructions, limit, price, blockhash.blockhash)
                signature = str(tx.signatures[0])
                self.signatures.add(signature)
                if entry is not None:  # durable before the bytes can reach a node
                    assert self.durable is not None
                    await self.durable.signed(
                        entry, nonce=blockhash.last_valid_block_height, tx_hash=signature,
                        raw=bytes(tx), gas=limit, fees={"computeUnitPrice": price},
                    )  # fmt: skip
                self.journal.append(signature)
                sent.append(signature)
                try:
                    await self.rpc.send_transaction(bytes(tx), skip_preflight=True)
                except SimulationFailed as exc:
                    data = exc.data if isinstance(exc.data, dict) else None
                    if not _processed(data):  # refused: the node does not have these bytes
                        self.journal.remove(signature)
                        sent.remove(signature)
                        self.signatures.discard(signature)  # they can never land
                        if entry is not None:
                            assert self.durable is not None
                            await self.durable.refused(entry, signature)
                        if not _expired(data):
                            raise
                        blockhash = await self.blockhash(fresh=True)
                        continue
                    # These very bytes are there already: a send retried after a lost answer
                    # (no other sender of the run signs the same bytes: ``signatures``).
                if entry is not None:
                    assert self.durable is not None
                    await self.durable.moved(entry, TxState.BROADCAST, signature, wait=False)
                status = await self._confirm(signature, blockhash.last_valid_block_height)
                if status is None:  # expired unseen: sign afresh
                    blockhash = await self.blockhash(fresh=True)
                    continue
                return await self._landed(signature, status, sent, limit, price, entry)
            if entry is not None:  # every signature expired unseen: nothing was paid
                assert self.durable is not None
                await self.durable.moved(entry, TxState.DROPPED)
            self.settled.update(sent)
            raise TransactionError(
                f"no signature landed before its blockhash expired, {self.max_resigns + 1} times",
                sent,
            )
        except BaseException:
            # Not settled here: the agent's retry in this process meets what was signed
            # for it (it may land yet) rather than paying afresh (issue 26).
            if entry is not None:
                assert self.durable is not None
                self.durable.give_back(entry)
            raise

    def _take(self, recorded: dict[str, Any]) -> JournalEntry | None:
        """The journal's earliest open intent of this agent for ``recorded`` from an
        earlier process, past those that were dropped (they paid nothing)."""
        assert self.durable is not None
        while True:
            before = self.durable.take(
                run_id=self.labels[0], agent=self.labels[1], chain_id=self.chain_id,
                request=recorded,
            )  # fmt: skip
            if before is None or before.state is not TxState.DROPPED:
                return before

    async def _resume(self, entry: JournalEntry) -> SolanaReceipt | None:
        """Meet an intent an earlier process journaled: its receipt when a signature of
        it landed (confirmed now if it must be), after sending its bytes again when they
        may still land; ``None`` when they expired unseen (they can never land: the
        caller signs afresh, on the same intent).

        Cancellation: as :meth:`send` after the broadcast: the bytes stay sent."""
        assert self.durable is not None and entry.nonce is not None
        if entry.state is TxState.FAILED or entry.state is TxState.REPLACED:
            raise TransactionError(
                f"intent {entry.intent} failed in an earlier run; it is not sent again",
                list(entry.hashes),
            )
        pending = list(entry.pending)
        if not pending:
            return None
        self.journal.extend(pending)
        self.signatures.update(pending)
        limit = entry.gas or MAX_COMPUTE_UNITS
        price = entry.fees.get("computeUnitPrice", 0)
        statuses = await self.rpc.get_signature_statuses(pending)
        for signature, seen in zip(pending, statuses, strict=True):
            if seen is not None:  # it landed: report it (at the commitment), pay nothing
                status = await self._confirm(signature, entry.nonce)
                assert status is not None  # seen once: a status does not vanish
                # Recorded already (mined), or recorded now.
                record = None if entry.state is TxState.MINED else entry.intent
                return await self._landed(signature, status, pending, limit, price, record)
        if await self.rpc.get_block_height() <= entry.nonce:  # may still land: resend
            # Refused now (expired in between, or known): the look below decides.
            with contextlib.suppress(SimulationFailed):
                await self.rpc.send_transaction(entry.raw[pending[-1]], skip_preflight=True)
            status = await self._confirm(pending[-1], entry.nonce)
            if status is not None:
                return await self._landed(pending[-1], status, pending, limit, price,
                                          entry.intent)  # fmt: skip
        self.settled.update(pending)  # expired unseen: they never land
        return None

    async def _landed(
        self,
        signature: str,
        status: SignatureStatus,
        sent: list[str],
        limit: int,
        price: int,
        entry: str | None,
    ) -> SolanaReceipt:
        """The receipt of ``signature``, journaled; raises when it failed on chain."""
        receipt = SolanaReceipt(
            hash=signature, chain_id=self.chain_id, slot=status.slot,
            status=1 if status.err is None else 0, compute_unit_limit=limit,
            compute_unit_price=price, replaced=tuple(s for s in sent if s != signature),
            strategy=str(self.strategy),
        )  # fmt: skip
        if entry is not None:
            assert self.durable is not None
            state = TxState.MINED if status.err is None else TxState.FAILED
            await self.durable.moved(entry, state, signature, wait=status.err is not None)
        self.settled.update(sent)
        self.settled.add(signature)
        if status.err is not None:
            raise TransactionError(
                f"transaction {signature} failed on chain: {status.err}", sent, receipt
            )
        return receipt

    async def _newer(self, old: Blockhash) -> Blockhash:
        """A blockhash other than ``old``: the cluster makes one every slot.

        Cancellation: a plain wait."""
        while True:
            found = await self.blockhash(fresh=True)
            if found.blockhash != old.blockhash:
                return found
            await anyio.sleep(self.poll_interval)

    async def _simulate(self, instructions: list[Instruction], blockhash: str) -> Simulation:
        trial = self._signed(instructions, MAX_COMPUTE_UNITS, 0, blockhash)
        try:
            return await self.rpc.simulate_transaction(bytes(trial))
        except SimulationFailed as exc:  # a node that answers an error, not a value
            data = exc.data if isinstance(exc.data, dict) else {}
            return Simulation(err=data.get("err", str(exc)), logs=tuple(data.get("logs") or ()),
                              units_consumed=None)  # fmt: skip

    async def _confirm(self, signature: str, last_valid: int) -> SignatureStatus | None:
        """The signature's status once it reaches the commitment; ``None`` when the
        blockhash expired and a last look finds it nowhere."""
        want = _LEVELS[self.commitment]
        while True:
            (status,) = await self.rpc.get_signature_statuses([signature])
            if status is not None and (
                status.err is not None or _LEVELS.get(status.confirmation_status or "", -1) >= want
            ):
                return status
            if await self.rpc.get_block_height() > last_valid:
                (status,) = await self.rpc.get_signature_statuses([signature])
                if status is None:
                    return None
                continue  # seen after all: wait for its commitment
            await anyio.sleep(self.poll_interval)

    def __repr__(self) -> str:
        return f"<SolanaSender {self.signer.address} on {self.chain_id} sent={len(self.journal)}>"
