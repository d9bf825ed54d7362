"""A virtual clock, so that retries and backoff run in no real time."""

from __future__ import annotations

import anyio

__all__ = ["VirtualClock"]


class VirtualClock:
    """A clock and a sleep for ``AsyncWorkflow(clock=..., sleep=...)``.

    Sleeping advances the clock by the delay at once and records it in ``sleeps``;
    it still checkpoints, so cancellation reaches a sleeping agent. Concurrent sleeps
    add up as if they ran one after the other, so elapsed virtual time is an upper bound.

    Cancellation: a cancelled ``sleep`` advances nothing further.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await anyio.lowlevel.checkpoint()
