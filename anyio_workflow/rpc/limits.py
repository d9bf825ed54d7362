"""Per-endpoint request limits: a token bucket for requests per second."""

from __future__ import annotations

import anyio

from ..errors import InvalidArgument

__all__ = ["TokenBucket"]


class TokenBucket:
    """Allows ``rate`` requests per second on average, and bursts of up to ``burst``.

    Waiters are served in arrival order (an AnyIO lock queues them), and waiting is a
    cancellable ``anyio.sleep``: a cancelled waiter takes no token.

    Cancellation: a cancelled ``acquire`` takes no token.
    """

    def __init__(self, rate: float, burst: int | None = None) -> None:
        if rate <= 0:
            raise InvalidArgument("rate: requests per second must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1, int(rate))
        if self.burst < 1:
            raise InvalidArgument("burst: must be at least 1")
        self._tokens = float(self.burst)
        self._updated: float | None = None
        self._lock = anyio.Lock()

    def _refill(self) -> None:
        now = anyio.current_time()
        if self._updated is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self) -> None:
        async with self._lock:
            self._refill()
            while self._tokens < 1:
                await anyio.sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1
