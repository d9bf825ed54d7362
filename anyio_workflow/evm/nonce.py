"""Nonces for parallel sends from one account: :class:`NonceManager`.

One manager per (chain id, address), shared by every sender that is handed it: a
:class:`NonceManagers` keeps one per account, and each ``AsyncWorkflow`` owns one
(``AsyncWorkflow(nonces=...)`` shares one between workflows that send from the same
account at the same time, which they must). The first nonce comes from
``eth_getTransactionCount(address, "pending")``; after that nonces are handed out
locally under an AnyIO lock, so 100 concurrent sends get 100 distinct, consecutive nonces.

A nonce is *reserved* for one transaction, and the reservation ends one of two ways:

- ``broadcast()``: the node has the transaction; the nonce is spent.
- leaving the ``reserve()`` block without it (an error or a cancellation before the
  broadcast): the nonce is **reused**. It goes back to the pool and the next reservation
  takes the lowest free nonce first, so a failure never leaves a gap that would hold up
  every later transaction.

On "nonce too low" or "nonce too high" call :meth:`resync`: the manager asks the node
again and rebuilds its pool. Nonces the node already counts are dropped; nonces above it
that nobody holds and nobody broadcast become free again. A broadcast nonce is never
handed out again, even when the node's count does not show it yet (it may be waiting in
the pool behind a gap): two different transactions on one nonce would let the node keep
either, and a payout could vanish. Replacing a stuck transaction on its own nonce is the
transaction lifecycle's job, done on purpose with the same payload.

A manager belongs to one event loop at a time. Used from a new one (a new ``anyio.run``),
it starts again from the node's count, since no reservation outlives its event loop. It
also belongs to one chain: :meth:`check_chain` compares the node's genesis block with the
one it first saw, and starts again on a different chain behind the same chain id (two
embedded devnets of chain 1 in one process, a restarted anvil, a fork).

Processes that send from the same account at the same time (Temporal workers on one
machine) share a directory instead: ``NonceManagers(shared=path)``. A sender then takes
each nonce and broadcasts under the account's :meth:`NonceManager.lease`, a file lock
(freed when its process dies, even by SIGKILL); a manager that finds another process
held the lease since it last did asks the node again before it hands out a nonce. The
lease covers signing and the broadcast, never the wait for a receipt; the price is that
one account's broadcasts go one at a time across those processes.
"""

from __future__ import annotations

import heapq
import os
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol

import anyio

from ..core.filelock import try_lock, unlock
from .address import to_checksum

__all__ = ["NonceManager", "NonceManagers", "NonceSource", "Reservation"]


class NonceSource(Protocol):
    """What the manager asks the node (``EthRpc`` is one).

    Cancellation: a read; cancelled, it has changed nothing.
    """

    async def get_transaction_count(self, address: str, block: int | str = "pending") -> int: ...


class Reservation:
    """A nonce held for one transaction."""

    __slots__ = ("broadcasted", "value")

    def __init__(self, value: int) -> None:
        self.value = value
        self.broadcasted = False

    def broadcast(self) -> None:
        """Say the node accepted the transaction (or may have it): the nonce is spent."""
        self.broadcasted = True

    def refused(self) -> None:
        """Say the node refused the transaction outright: the nonce is free again."""
        self.broadcasted = False

    def __repr__(self) -> str:
        return f"<Reservation nonce={self.value}{' broadcast' if self.broadcasted else ''}>"


class NonceManager:
    """Hands out the nonces of one account on one chain; see the module docstring."""

    def __init__(self, chain_id: int, address: str, *, shared: Path | None = None) -> None:
        self.chain_id = chain_id
        self.address = to_checksum(address)
        self.shared = shared
        """The lock file processes that send from this account coordinate through, or
        ``None`` (this process alone sends from it)."""
        self._fd: int | None = None
        self._mark = uuid.uuid4().hex.encode()  # written by each lease: "I held it last"
        self._loop: object = None
        self._genesis: str | None = None
        self._reset()

    def _reset(self) -> None:
        self._lock = anyio.Lock()
        self._leasing = anyio.Lock()
        self._next: int | None = None
        self._free: list[int] = []  # a heap: the lowest free nonce first
        self._reserved: set[int] = set()
        self._broadcast: set[int] = set()  # spent here, maybe not yet counted by the node
        self._floor = 0  # the node's count at the last resync: nothing below is reusable
        self.resyncs = 0

    async def check_chain(self, node: object) -> None:
        """Start again if ``node`` is another chain than the one this manager counted on
        (``node`` needs ``genesis_hash()``, as ``EthRpc`` has; others are not checked).

        Cancellation: a read; cancelled, the manager is as it was.
        """
        genesis_hash = getattr(node, "genesis_hash", None)
        if genesis_hash is None:
            return
        genesis = await genesis_hash()
        self._bind()
        if self._genesis is None:
            self._genesis = genesis
        elif genesis != self._genesis and not self._reserved:
            self._reset()
            self._genesis = genesis

    def _bind(self) -> None:
        loop = anyio.lowlevel.current_token().native_token
        if loop is not self._loop:
            self._reset()
            self._loop = loop

    async def claim(self, nonces: Iterable[int]) -> None:
        """Hold ``nonces`` as spent: signed bytes on them are in a journal and may yet be
        (re)sent, so no other payment may take them. Cancelled, it claims nothing."""
        self._bind()
        async with self._lock:
            self._broadcast.update(nonces)
            self._free = [n for n in self._free if n not in self._broadcast]
            heapq.heapify(self._free)

    def unclaimed(self, nonces: Iterable[int]) -> list[int]:
        """Those of ``nonces`` this manager does not hold as spent: what a :meth:`claim`
        would change (checked without the lock, so that a sender asks on every send at no
        cost)."""
        return [n for n in nonces if n not in self._broadcast]

    @property
    def reserved(self) -> frozenset[int]:
        return frozenset(self._reserved)

    @asynccontextmanager
    async def lease(self, node: NonceSource) -> AsyncIterator[bool]:
        """Hold the account against other processes for one signing and broadcast;
        yields whether another process held it since this manager last did (the manager
        has asked the node again by then; a sender with a journal reads it again too).
        Without :attr:`shared`, it holds nothing and yields ``False``.

        Cancellation: cancelled while waiting for the lock, it holds nothing; the lock is
        let go however the block ends."""
        if self.shared is None:
            yield False
            return
        self._bind()
        async with self._leasing:  # one holder per process; the file lock for the others
            if self._fd is None:
                self.shared.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.shared, os.O_RDWR | os.O_CREAT, 0o600)
            fd = self._fd
            while not try_lock(fd):  # noqa: ASYNC110  (another process holds it: poll)
                await anyio.sleep(0.001)
            try:
                moved = os.pread(fd, 64, 0) not in (self._mark, b"")
                if moved:
                    await self.resync(node)
                os.pwrite(fd, self._mark, 0)
                yield moved
            finally:
                unlock(fd)

    @asynccontextmanager
    async def reserve(self, node: NonceSource) -> AsyncIterator[Reservation]:
        """Hold the next nonce for the block; call ``broadcast()`` once the node has the
        transaction. Without it, the nonce is given back when the block ends, on an error
        and on cancellation alike (cancelled while waiting for the lock, it holds nothing)."""
        reservation = Reservation(await self._take(node))
        try:
            yield reservation
        finally:
            self._settle(reservation)

    async def _take(self, node: NonceSource) -> int:
        self._bind()
        async with self._lock:
            if self._next is None:
                self._next = await node.get_transaction_count(self.address, "pending")
            if self._free:
                nonce = heapq.heappop(self._free)
            else:
                while self._next in self._broadcast:  # claimed by a journal's bytes
                    self._next += 1
                nonce = self._next
                self._next += 1
            self._reserved.add(nonce)
            return nonce

    def _settle(self, reservation: Reservation) -> None:
        # Synchronous on purpose: it runs in `finally`, also under cancellation.
        self._reserved.discard(reservation.value)
        if reservation.broadcasted:
            self._broadcast.add(reservation.value)
        elif reservation.value >= self._floor:
            heapq.heappush(self._free, reservation.value)

    async def resync(self, node: NonceSource) -> int:
        """Ask the node again (after "nonce too low" or "too high"); returns its count.
        Cancelled, it leaves the pool as it was."""
        self._bind()
        async with self._lock:
            counted = await node.get_transaction_count(self.address, "pending")
            self._broadcast = {n for n in self._broadcast if n >= counted}
            taken = self._reserved | self._broadcast
            top = max([counted, *(n + 1 for n in taken if n >= counted)])
            self._free = [n for n in range(counted, top) if n not in taken]
            heapq.heapify(self._free)
            self._next = top
            self._floor = counted
            self.resyncs += 1
            return counted

    def __repr__(self) -> str:
        return (
            f"<NonceManager chain={self.chain_id} {self.address} next={self._next} "
            f"reserved={sorted(self._reserved)} free={sorted(self._free)}>"
        )


class NonceManagers:
    """One :class:`NonceManager` per (chain id, account): what the senders of a workflow
    (or of several workflows, when they are handed the same one) share.

    :param shared: a directory through which processes that send from the same accounts
        coordinate (see the module docstring): Temporal workers on one machine.
    """

    def __init__(self, *, shared: str | os.PathLike[str] | None = None) -> None:
        self._managers: dict[tuple[int, str], NonceManager] = {}
        self.shared = Path(shared) if shared is not None else None

    def get(self, chain_id: int, address: str) -> NonceManager:
        """The manager of ``address`` on ``chain_id``, made on first use."""
        key = (chain_id, to_checksum(address))
        manager = self._managers.get(key)
        if manager is None:
            lock = self.shared / f"{chain_id}-{key[1]}.lock" if self.shared is not None else None
            manager = self._managers[key] = NonceManager(chain_id, address, shared=lock)
        return manager

    def __len__(self) -> int:
        return len(self._managers)

    def __repr__(self) -> str:
        return f"<NonceManagers accounts={len(self._managers)}>"
