"""The lifecycle of one transaction: :class:`TxSender`.

``TxRequest`` -> fill in the chain id, gas (the estimate plus 20 %) and fees -> simulate
(a revert raises ``ExecutionReverted`` with the decoded reason, and nothing is sent unless
``force=True``; ``eth_estimateGas`` executes the transaction, so it is the simulation, and
a request that names its own gas is simulated with ``eth_call``) -> take a nonce -> sign
-> broadcast -> wait for the receipt and ``confirmations`` blocks -> if it is stuck (no
receipt after ``stuck_after_blocks`` blocks, or after ``stuck_after_seconds``, by default four times
as long as those blocks take: a chain that mines only on demand, like anvil in automine
mode, has no blocks to count), replace it on the same nonce with both fees raised by
12.5 % (nodes want at least 10 %), never above the cap -> ``TxReceipt``.

Senders given a shared :class:`SendQueue` hold one of its slots from the nonce to the
receipt, and wait for one by urgency (``fast`` first, ``eco`` last; see
:mod:`.schedule`). Senders of one account share a :class:`NonceManager` when they are
handed the same one (``nonces=``; a workflow hands its senders its own
:class:`NonceManagers`); a sender without one counts the account's nonces alone.

The sender's settings are one :class:`SendSettings` value (or its fields as keywords).
With ``strategy="eco"`` (a strategy whose ``waits_for_base_fee`` is set) the sender
first waits (a cancellable poll, at most ``eco_wait`` seconds) for the next base fee to
fall to its target; past the wait it sends anyway if the fees stay under the cap, and
otherwise raises :class:`FeeCapExceeded` having sent nothing.

Whichever of the original and its replacements is mined is the one reported, and every
hash sent is kept: in ``TxReceipt.replaced``, in ``sender.journal`` from the moment it is
signed, and in :class:`TransactionError` when anything fails after a broadcast.

Why 20 % on the estimate: an estimate is exact for the state it ran on, and the state can
change before inclusion (a storage slot going from zero to non-zero costs 20,000 more gas);
unused gas is refunded, so the buffer costs nothing when it is not needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
from eth_utils.crypto import keccak
from pydantic import BaseModel, ConfigDict, Field

from ..chains import chain
from ..core.fees import CustomFees, FeeStrategy, GasStrategy, fee_strategy
from ..core.interleave import interleaving_point
from ..core.outcome import flatten_output
from ..core.protection import PrivateRelay
from ..errors import (
    FeeCapExceeded,
    InvalidArgument,
    JsonRpcError,
    RpcError,
    TransactionError,
    WrongChainError,
)
from ..journal.journal import Journal, JournalEntry, TxState, given_back_on_error
from ..rpc.client import JsonRpcClient
from ..rpc.eth import EthRpc
from .accounts import Signer
from .address import Address
from .gas import FeeOracle, FeeQuote
from .nonce import NonceManager
from .schedule import SendQueue

__all__ = [
    "FeeCapExceeded",
    "SendSettings",
    "TransactionError",
    "TxReceipt",
    "TxRequest",
    "TxSender",
    "receipts_in",
]

GAS_BUFFER = (6, 5)
STUCK_CHECK = 0.25  # seconds between block-height checks while waiting
FEE_BUMP = (9, 8)


class TxRequest(BaseModel):
    """What to send; the sender fills in the rest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    to: Address | None = None
    value: int = Field(default=0, ge=0, le=2**256 - 1, description="Wei (a uint256).")
    data: str = Field(default="0x", pattern=r"^0x([0-9a-fA-F]{2})*$")
    gas: int | None = Field(default=None, gt=0)


class TxReceipt(BaseModel):
    """A mined transaction, as the pipeline reports it."""

    model_config = ConfigDict(frozen=True)

    hash: str
    chain_id: int
    nonce: int
    status: int
    block_number: int
    gas_used: int
    effective_gas_price: int
    fee_paid: int
    contract_address: str | None = None
    logs: tuple[dict[str, Any], ...] = ()
    replaced: tuple[str, ...] = ()
    """Hashes sent on the same nonce that were not mined (replaced, or replacements)."""
    strategy: str | None = None
    """The fee strategy it was priced with."""


def _tx_hash(raw: bytes) -> str:
    return "0x" + keccak(raw).hex()


def receipts_in(value: Any) -> Iterator[TxReceipt]:
    """Every :class:`TxReceipt` in an agent's output: the output itself, or inside its
    lists, tuples, dict values and reports (anything with a ``receipts`` tuple)."""
    if isinstance(value, TxReceipt):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from receipts_in(item)
    elif isinstance(value, list | tuple) or isinstance(getattr(value, "receipts", None), tuple):
        for item in flatten_output(value):
            yield from receipts_in(item)


class SendSettings(BaseModel):
    """How a :class:`TxSender` sends; see the module docstring for what each one does."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: GasStrategy | FeeStrategy = "optimal"
    fee_cap: int | None = Field(
        default=None, ge=0, description="Wei; the strategy's cap when None."
    )
    custom_fees: CustomFees | None = None
    confirmations: int = Field(default=1, ge=1)
    poll_interval: float = Field(default=0.2, gt=0, description="Seconds between receipt polls.")
    stuck_after_blocks: int = Field(default=3, ge=1)
    stuck_after_seconds: float | None = Field(
        default=None, gt=0, description="Four times as long as stuck_after_blocks take when None."
    )
    max_replacements: int = Field(default=5, ge=0)
    receipt_timeout: float = Field(default=300.0, gt=0)
    eco_target: int | None = Field(
        default=None, ge=0, description="Wei; the recent median when None."
    )
    eco_wait: float = Field(default=600.0, ge=0)
    private: PrivateRelay | None = None
    """A private relay: the signed bytes go there, never to the public node (but as its
    ``fallback`` says); receipts are still read from the public node."""


class TxSender:
    """Sends transactions for one signer on one chain; see the module docstring.

    Cancellation: a transaction already broadcast stays in ``journal`` (and in the node);
    the wait for its receipt is abandoned.
    """

    def __init__(
        self,
        eth: EthRpc,
        signer: Signer,
        chain_id: int,
        settings: SendSettings | None = None,
        *,
        oracle: FeeOracle | None = None,
        queue: SendQueue | None = None,
        nonces: NonceManager | None = None,
        durable: Journal | None = None,
        labels: tuple[str, str] = ("", ""),
        **options: Any,
    ) -> None:
        """``settings``, or its fields as keywords (``TxSender(eth, signer, 1,
        poll_interval=0.05)``); ``oracle``, ``queue`` and ``nonces`` are shared with the
        other senders of the chain (each sender makes its own when not given). With
        ``durable``, every transaction's intent and signed bytes are recorded there before
        they act (``labels`` are the run id and agent recorded with them)."""
        if options:
            base = settings.model_dump(exclude_unset=True) if settings is not None else {}
            settings = SendSettings(**{**base, **options})
        self.settings = settings = settings or SendSettings()
        self.eth = eth
        self.signer = signer
        self.chain_id = chain_id
        self.fee_strategy = fee_strategy(settings.strategy)
        self.strategy: GasStrategy = self.fee_strategy.name
        cap = settings.fee_cap
        self.fee_cap = cap if cap is not None else self.fee_strategy.fee_cap
        # Senders of one chain can share an oracle, and so its cached quote.
        self.oracle = oracle or FeeOracle(eth, chain_id, custom=settings.custom_fees)
        self.confirmations = settings.confirmations
        self.poll_interval = settings.poll_interval
        self.stuck_after_blocks = settings.stuck_after_blocks
        stuck_after_seconds = settings.stuck_after_seconds
        if stuck_after_seconds is None:  # a backstop for chains that mine on demand
            stuck_after_seconds = 4 * settings.stuck_after_blocks * chain(chain_id).block_time
        self.stuck_after_seconds = stuck_after_seconds
        self.max_replacements = settings.max_replacements
        self.receipt_timeout = settings.receipt_timeout
        self.eco_target = settings.eco_target
        self.eco_wait = settings.eco_wait
        self.private = settings.private
        self._raw: dict[str, bytes] = {}  # signed bytes by hash, for a private fallback
        self.nonces = nonces if nonces is not None else NonceManager(chain_id, signer.address)
        if (self.nonces.chain_id, self.nonces.address) != (chain_id, signer.address):
            raise InvalidArgument(
                f"nonces: the manager counts {self.nonces.address} on chain "
                f"{self.nonces.chain_id}, not {signer.address} on chain {chain_id}"
            )
        self.queue = queue
        """Shared by the senders of a chain: admits transactions by urgency."""
        self.durable = durable
        """Where intents and signed bytes are kept before they act (``None``: nowhere)."""
        self.labels = labels
        self.journal: list[str] = []
        self.settled: set[str] = set()
        """The hashes of :attr:`journal` whose fate is known: mined, or replaced by one
        that was."""
        """Every hash this sender signed and sent, in order."""

    def _call(self, request: TxRequest) -> dict[str, Any]:
        call: dict[str, Any] = {"from": self.signer.address, "value": hex(request.value)}
        if request.to is not None:
            call["to"] = request.to
        if request.data != "0x":
            call["data"] = request.data
        return call

    async def prepare(self, request: TxRequest, *, simulate: bool = True) -> tuple[int, FeeQuote]:
        """Gas and fees for ``request``; simulates it first unless told not to.

        Cancellation: it sends nothing; cancelled, nothing changed.
        """
        call = self._call(request)
        if request.gas is None:
            # The estimate runs the transaction, so it is the simulation: a revert raises
            # ExecutionReverted with the node's revert data, on anvil and the devnet alike.
            gas = await self.eth.estimate_gas(call) * GAS_BUFFER[0] // GAS_BUFFER[1]
        else:
            gas = request.gas
            if simulate:
                await self.eth.call({**call, "gas": hex(gas)})  # raises ExecutionReverted
        quote = await self.oracle.quote(self.fee_strategy, cap=self.fee_cap)
        return gas, quote

    def _sign(self, request: TxRequest, nonce: int, gas: int, fees: dict[str, int]) -> Any:
        tx: dict[str, Any] = {
            "value": request.value, "data": request.data, "gas": gas, "nonce": nonce,
            "chainId": self.chain_id, **fees,
        }  # fmt: skip
        if request.to is not None:
            tx["to"] = request.to
        if "maxFeePerGas" in fees:
            tx["type"] = 2
        return self.signer.sign_transaction(tx)

    async def wait_for_base_fee(self) -> int:
        """``eco``: wait, up to ``eco_wait`` seconds, for the next base fee to fall to the
        target (``eco_target``, or the median of the last 10 blocks'); returns the base fee
        at the end. It polls once per ``poll_interval``; cancellation ends the wait, having
        sent nothing."""
        history = await self.eth.fee_history(10, "latest", [])
        fees = sorted(history.base_fee_per_gas)
        target = self.eco_target if self.eco_target is not None else fees[len(fees) // 2]
        base_fee = history.base_fee_per_gas[-1]
        with anyio.move_on_after(self.eco_wait):
            while base_fee > target:
                await anyio.sleep(self.poll_interval)
                base_fee = (await self.eth.fee_history(1, "latest", [])).base_fee_per_gas[-1]
        return base_fee

    async def send(self, request: TxRequest, *, force: bool = False) -> TxReceipt:
        """Send ``request`` and wait for it to be mined; see the module docstring.

        ``force=True`` sends even when the simulation reverts (the transaction will be
        mined with status 0 and raise :class:`TransactionError`).

        Cancellation before the broadcast sends nothing (the nonce goes back to the pool);
        after it, the transaction stays sent, its hash stays in :attr:`journal`, and only
        the wait for its receipt is abandoned.
        """
        if self.fee_strategy.waits_for_base_fee:
            await self.wait_for_base_fee()
        try:
            gas, quote = await self.prepare(request, simulate=not force)
        except Exception:
            if not force:
                raise
            quote = await self.oracle.quote(self.fee_strategy, cap=self.fee_cap)
            gas = request.gas or 1_000_000
        if quote.capped and not quote.includable:
            raise FeeCapExceeded(
                f"the next base fee is {quote.base_fee} wei, "
                f"over the fee cap of {self.fee_cap} wei",
                details="Nothing was sent. Raise the cap, or wait and try again.",
            )
        intent = None
        if self.durable is not None:
            recorded = request.model_dump(mode="json")
            before = self.durable.take(
                run_id=self.labels[0], agent=self.labels[1], chain_id=self.chain_id,
                request=recorded,
            )  # fmt: skip
            if before is not None and before.state is not TxState.INTENT:
                with given_back_on_error(self.durable, before.intent):
                    return await self._resume(request, before)
            if before is not None:
                intent = before.intent  # recorded, never signed: sign it now
            else:
                intent = await self.durable.intent(
                    run_id=self.labels[0], agent=self.labels[1], chain_id=self.chain_id,
                    account=self.signer.address, request=recorded,
                )  # fmt: skip
        with given_back_on_error(self.durable, intent):
            if self.durable is not None:
                await self._claim_journaled_nonces()
            if self.queue is None:
                return await self._send(request, gas, quote, intent)
            deadline = anyio.current_time() + self.receipt_timeout
            async with self.queue.slot(self.fee_strategy, deadline):
                return await self._send(request, gas, quote, intent)

    async def _send(
        self, request: TxRequest, gas: int, quote: FeeQuote, intent: str | None = None
    ) -> TxReceipt:
        served = await self.eth.served_chain_id()
        if served != self.chain_id:  # before anything is signed for it
            raise WrongChainError(self.eth.client.endpoint, self.chain_id, served)
        await self.nonces.check_chain(self.eth)
        last_error: JsonRpcError | None = None
        for _ in range(3):
            async with self.nonces.lease(self.eth) as moved:
                if moved and self.durable is not None:
                    # Another process sent from this account: what it signed is ours to
                    # know before any nonce is taken.
                    await self.durable.refresh()
                    await self._claim_journaled_nonces()
                sent = await self._sign_and_broadcast(request, gas, quote, intent)
            if isinstance(sent, JsonRpcError):
                last_error = sent
                await self.nonces.resync(self.eth)
                continue
            nonce, tx_hash = sent
            await interleaving_point(f"sent {tx_hash}")
            return await self._confirm(request, nonce, gas, quote, tx_hash, intent)
        assert last_error is not None
        raise last_error

    async def _sign_and_broadcast(
        self, request: TxRequest, gas: int, quote: FeeQuote, intent: str | None
    ) -> tuple[int, str] | JsonRpcError:
        """Take a nonce, sign, record and broadcast: the nonce and hash sent, or the
        node's "nonce too low/high" for the caller to resync and try again."""
        async with self.nonces.reserve(self.eth) as reservation:
            signed = self._sign(request, reservation.value, gas, quote.fields)
            if intent is not None:
                assert self.durable is not None
                # Durable before the bytes can reach a node; and from here their nonce
                # is spent, whatever happens to the broadcast, since a resume would
                # send these very bytes again.
                await self.durable.signed(
                    intent, nonce=reservation.value, tx_hash=signed.hash, raw=signed.raw,
                    gas=gas, fees=quote.fields,
                )  # fmt: skip
                reservation.broadcast()
            self.journal.append(signed.hash)
            try:
                await interleaving_point(f"broadcast {signed.hash}")
                await self._broadcast(signed.raw)
            except JsonRpcError as exc:  # the node answered: it does not have it
                self.journal.remove(signed.hash)
                if intent is not None:
                    assert self.durable is not None
                    await self.durable.refused(intent, signed.hash)
                    reservation.refused()  # recorded as never to be sent: free again
                if "nonce too" not in exc.message.lower():
                    raise
                return exc
            except RpcError as exc:
                # No answer: the node may have it. The nonce stays spent and the
                # hash is reported, so that nothing sends this payment twice.
                reservation.broadcast()
                raise TransactionError(
                    f"broadcast of {signed.hash} is uncertain: {exc.short_message}",
                    [signed.hash],
                ) from exc
            reservation.broadcast()
            if intent is not None:
                assert self.durable is not None
                await self.durable.moved(intent, TxState.BROADCAST, signed.hash, wait=False)
            return reservation.value, signed.hash

    async def _claim_journaled_nonces(self) -> None:
        """Before this account signs anything new: hold every nonce the journal has signed
        bytes on, unsettled, so that no new payment takes one of them."""
        assert self.durable is not None
        held = self.nonces.unclaimed(
            e.nonce
            for e in self.durable.unsettled()
            if e.chain_id == self.chain_id and e.account == self.signer.address
            and e.nonce is not None
        )  # fmt: skip
        if held:
            await self.nonces.claim(held)

    async def _resume(self, request: TxRequest, entry: JournalEntry) -> TxReceipt:
        """Meet an intent the journal has from an earlier process: report what the chain
        did with it, or send its signed bytes again, as they are; never sign anew.

        Cancellation: as :meth:`send` after the broadcast: the bytes stay sent.
        """
        assert self.durable is not None and entry.nonce is not None
        if entry.state is TxState.FAILED or not entry.pending:
            raise TransactionError(
                f"intent {entry.intent} failed in an earlier run; it is not sent again",
                list(entry.hashes),
            )
        await self._claim_journaled_nonces()
        self.journal.extend(entry.pending)
        for tx_hash in reversed(entry.pending):
            receipt = await self.eth.get_transaction_receipt(tx_hash)
            if receipt is not None:  # it was mined: report it, pay nothing
                settled = entry.state in (TxState.MINED, TxState.FAILED)
                record = None if settled else entry.intent  # recorded already, or now
                return await self._settle(receipt, entry.nonce, list(entry.hashes), record)
        latest = entry.pending[-1]
        try:
            await self._broadcast(entry.raw[latest])  # the same bytes: the same transaction
        except JsonRpcError as exc:
            raise TransactionError(
                f"intent {entry.intent}: its bytes on nonce {entry.nonce} are refused "
                f"({exc.short_message}); nothing else is sent for it",
                list(entry.hashes),
            ) from exc
        if entry.state is not TxState.BROADCAST:
            await self.durable.moved(entry.intent, TxState.BROADCAST, latest, wait=False)
        fees = entry.fees
        quote = FeeQuote(self.strategy, fees.get("maxFeePerGas", fees.get("gasPrice", 0)),
                         fees.get("maxPriorityFeePerGas", fees.get("gasPrice", 0)), 0,
                         legacy="gasPrice" in fees)  # fmt: skip
        return await self._confirm(
            request, entry.nonce, entry.gas or request.gas or 21_000, quote, latest,
            entry.intent, known=list(entry.pending),
        )  # fmt: skip

    async def _broadcast(self, raw: bytes, attempts: int = 3) -> None:
        """Send signed bytes, again on a transient failure: the same bytes are the same
        transaction, so a node that got them the first time answers "already known".
        With a private relay they go there, and never to the public node."""
        if self.private is not None:
            await self._send_private(raw, attempts)
            return
        await self._send_public(raw, attempts)

    async def _send_private(self, raw: bytes, attempts: int = 3) -> None:
        """The bytes to the private relay (its method; ``maxBlockNumber`` from the public
        head). Cancellation: as a broadcast: the relay may have them."""
        assert self.private is not None
        relay = self.private
        self._raw[_tx_hash(raw)] = raw
        params: list[Any] = ["0x" + raw.hex()]
        if relay.method == "eth_sendPrivateTransaction":
            head = await self.eth.block_number()
            params = [{"tx": "0x" + raw.hex(), "maxBlockNumber": hex(head + relay.max_blocks)}]
        async with JsonRpcClient(relay.url, coalesce=False) as client:
            for attempt in range(1, attempts + 1):
                try:
                    await client.request(relay.method, params)
                    return
                except RpcError as exc:
                    if not exc.transient or attempt == attempts:
                        raise
                    await anyio.sleep(self.poll_interval * attempt)

    async def _send_public(self, raw: bytes, attempts: int = 3) -> None:
        for attempt in range(1, attempts + 1):
            try:
                await self.eth.send_raw_transaction(raw)
                return
            except RpcError as exc:
                if not exc.transient or attempt == attempts:
                    raise
                await anyio.sleep(self.poll_interval * attempt)

    async def _confirm(
        self,
        request: TxRequest,
        nonce: int,
        gas: int,
        quote: FeeQuote,
        first: str,
        intent: str | None = None,
        known: list[str] | None = None,
    ) -> TxReceipt:
        """Wait for one of ``hashes`` to be mined, replacing the transaction when stuck.

        A transient RPC failure while waiting only means "poll again": raising it would
        invite a retry that sends a second transaction. Any other failure, and the
        timeout, raise :class:`TransactionError` with every hash sent.
        """
        hashes = list(known) if known else [first]
        fees = dict(quote.fields)
        sent_at: int | None = None
        first_block: int | None = None
        public = False
        checked = since = anyio.current_time()
        try:
            with anyio.fail_after(self.receipt_timeout):
                while True:
                    try:
                        for tx_hash in reversed(hashes):
                            receipt = await self.eth.get_transaction_receipt(tx_hash)
                            if receipt is not None:
                                return await self._settle(receipt, nonce, hashes, intent)
                        # The block height only tells whether the transaction is stuck:
                        # it is read at most every STUCK_CHECK seconds.
                        now = anyio.current_time()
                        if sent_at is None:
                            sent_at = await self.eth.block_number()
                            since = now
                        elif now - checked >= STUCK_CHECK:
                            checked = now
                            head = await self.eth.block_number()
                            if first_block is None:
                                first_block = sent_at
                            if (self.private is not None and not public
                                    and self.private.fallback == "public"
                                    and head - first_block >= self.private.max_blocks):  # fmt: skip
                                public = True  # the relay did not get it mined: go public
                                await self._send_public(self._raw[hashes[-1]])
                            if (
                                head - sent_at >= self.stuck_after_blocks
                                or now - since >= self.stuck_after_seconds
                            ):
                                fees = await self._replace(
                                    request, nonce, gas, fees, hashes, intent
                                )
                                sent_at, since = head, now
                    except RpcError as exc:
                        if not exc.transient:
                            raise TransactionError(
                                f"waiting for nonce {nonce}: {exc.short_message}", hashes
                            ) from exc
                    await anyio.sleep(self.poll_interval)
        except TimeoutError:
            raise TransactionError(
                f"no receipt after {self.receipt_timeout} s for nonce {nonce}", hashes
            ) from None

    async def _replace(
        self,
        request: TxRequest,
        nonce: int,
        gas: int,
        fees: dict[str, int],
        hashes: list[str],
        intent: str | None = None,
    ) -> dict[str, int]:
        """Send the same transaction on the same nonce with bumped fees; the new fees."""
        bumped = self._bump(fees)
        if bumped is None or len(hashes) > self.max_replacements:
            return fees
        signed = self._sign(request, nonce, gas, bumped)
        if intent is not None:
            assert self.durable is not None
            await self.durable.signed(
                intent, nonce=nonce, tx_hash=signed.hash, raw=signed.raw, gas=gas, fees=bumped
            )
        self.journal.append(signed.hash)
        hashes.append(signed.hash)
        try:
            await self._broadcast(signed.raw, attempts=1)
        except JsonRpcError as exc:
            # The original was mined meanwhile ("nonce too low"), or the node refuses the
            # bump: the receipts loop tells which.
            if "nonce too low" not in exc.message.lower():
                hashes.pop()
                if intent is not None:
                    assert self.durable is not None
                    await self.durable.refused(intent, signed.hash)
        else:
            if intent is not None:
                assert self.durable is not None
                await self.durable.moved(intent, TxState.BROADCAST, signed.hash, wait=False)
        return bumped

    def _bump(self, fees: dict[str, int]) -> dict[str, int] | None:
        """Fees raised by 12.5 %, within the cap; ``None`` when the cap leaves no room."""
        cap = self.fee_cap
        if "gasPrice" in fees:
            price = fees["gasPrice"] * FEE_BUMP[0] // FEE_BUMP[1] + 1
            return None if cap is not None and price > cap else {"gasPrice": price}
        max_fee = fees["maxFeePerGas"] * FEE_BUMP[0] // FEE_BUMP[1] + 1
        tip = fees["maxPriorityFeePerGas"] * FEE_BUMP[0] // FEE_BUMP[1] + 1
        if cap is not None and max_fee > cap:
            return None
        return {"maxFeePerGas": max_fee, "maxPriorityFeePerGas": min(tip, max_fee)}

    async def _settle(
        self, receipt: dict[str, Any], nonce: int, hashes: list[str], intent: str | None = None
    ) -> TxReceipt:
        if self.confirmations > 1:
            while await self.eth.block_number() - receipt["blockNumber"] + 1 < self.confirmations:  # noqa: ASYNC110
                await anyio.sleep(self.poll_interval)
        mined = receipt["transactionHash"]
        self.settled.update(hashes)
        self.settled.add(mined)
        result = TxReceipt(
            hash=mined,
            chain_id=self.chain_id,
            nonce=nonce,
            status=receipt["status"],
            block_number=receipt["blockNumber"],
            gas_used=receipt["gasUsed"],
            effective_gas_price=receipt["effectiveGasPrice"],
            fee_paid=receipt["gasUsed"] * receipt["effectiveGasPrice"],
            contract_address=receipt.get("contractAddress"),
            logs=tuple(receipt.get("logs", [])),
            replaced=tuple(h for h in hashes if h != mined),
            strategy=self.strategy,
        )
        if intent is not None and self.durable is not None:
            state = TxState.MINED if result.status == 1 else TxState.FAILED
            # Queued, not waited for: the chain keeps what it did, and a resume reads it.
            await self.durable.moved(intent, state, mined, wait=False)
        if result.status != 1:
            raise TransactionError(f"transaction {mined} reverted on chain", hashes, result)
        return result
