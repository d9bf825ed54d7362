"""Gas-aware scheduling: :class:`SendQueue` admits pending transactions by urgency.

A chain's senders in one run share a queue with a fixed number of slots; a transaction
holds a slot from its nonce to its receipt. When the slots are taken, waiting
transactions are admitted in order of urgency, not of arrival: ``fast`` first, then
``optimal`` and ``custom``, then ``eco``; within one strategy, the earlier deadline first,
then the earlier arrival. So a burst of eco payouts never delays the one transaction
that must go now, and the number of unconfirmed transactions of a run stays bounded
(geth keeps at most 64 future transactions per account in its pool by default, which is
the default here).

``eco`` itself waits for its base fee before it asks for a slot (see
:meth:`TxSender.wait_for_base_fee`), so it holds no slot while it waits.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from ..core.fees import FEE_STRATEGIES, FeeStrategy, GasStrategy, fee_strategy
from ..errors import InvalidArgument

__all__ = ["URGENCY", "SendQueue"]

URGENCY: dict[str, int] = {name: spec.urgency for name, spec in FEE_STRATEGIES.items()}
"""Each strategy's ``FeeStrategy.urgency``: lower goes first."""


class _Waiter:
    __slots__ = ("admitted", "event", "key")

    def __init__(self, key: tuple[int, float, int]) -> None:
        self.key = key
        self.event = anyio.Event()
        self.admitted = False

    def __lt__(self, other: _Waiter) -> bool:
        return self.key < other.key


class SendQueue:
    """A capacity limiter that admits waiters by ``(urgency, deadline, arrival)``."""

    def __init__(self, slots: int = 64) -> None:
        if slots < 1:
            raise InvalidArgument(f"slots: must be at least 1, got {slots}")
        self.slots = slots
        self._busy = 0
        self._waiting: list[_Waiter] = []
        self._arrivals = itertools.count()
        self.admitted: list[tuple[int, float, int]] = []
        """The keys in the order they were admitted (for tests and diagnostics)."""

    @property
    def busy(self) -> int:
        return self._busy

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @asynccontextmanager
    async def slot(
        self, strategy: GasStrategy | FeeStrategy = "optimal", deadline: float | None = None
    ) -> AsyncIterator[None]:
        """Hold a slot for the block; waits, by urgency, while all are taken.
        ``deadline`` is an ``anyio.current_time()`` value. Cancelled while waiting, it
        leaves the queue (a slot handed over meanwhile goes to the next waiter)."""
        key = (fee_strategy(strategy).urgency, math.inf if deadline is None else deadline,
               next(self._arrivals))  # fmt: skip
        await self._acquire(key)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, key: tuple[int, float, int]) -> None:
        await anyio.lowlevel.checkpoint_if_cancelled()
        if self._busy < self.slots and not self._waiting:
            self._busy += 1
            self.admitted.append(key)
            await anyio.lowlevel.cancel_shielded_checkpoint()
            return
        waiter = _Waiter(key)
        heapq.heappush(self._waiting, waiter)
        try:
            await waiter.event.wait()
        except BaseException:
            if waiter.admitted:  # handed a slot while being cancelled: pass it on
                self._release()
            else:
                self._waiting.remove(waiter)
                heapq.heapify(self._waiting)
            raise

    def _release(self) -> None:
        if self._waiting:
            waiter = heapq.heappop(self._waiting)  # the slot goes straight to it
            waiter.admitted = True
            self.admitted.append(waiter.key)
            waiter.event.set()
        else:
            self._busy -= 1

    def __repr__(self) -> str:
        return f"<SendQueue busy={self._busy}/{self.slots} waiting={len(self._waiting)}>"
