"""``ctx.journal``: an agent's own steps, checkpointed by name, so that a multi-step agent
resumes after its last completed step.

::

    class Rebalance(BaseAgent):
        async def run(self, ctx):
            quote = await ctx.journal.step("quote", fetch_quote, "USDC")
            await ctx.journal.step("bridge", bridge, quote)  # done once, even across a crash
            return quote

With a journal, a step's value is durable before ``step`` returns it: a resumed run (same
idempotency key) returns the recorded value instead of running the step again, as does a
retry of the same agent in the same run. Without one, checkpoints last for the run (its
retries skip finished steps).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ..errors import NotFound
from .journal import Journal

__all__ = ["Steps"]

T = TypeVar("T")


class Steps:
    """One run's checkpoints, seen from the agent whose task asks (``agent()`` names it)."""

    def __init__(self, journal: Journal | None, key: str, agent: Callable[[], str]) -> None:
        self.journal = journal
        """The workflow's journal (transactions and runs), or ``None``."""
        self.key = key
        """The run's key: its idempotency key, else its run id."""
        self._agent = agent
        self._memory: dict[tuple[str, str], Any] = {}

    async def step(self, name: str, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``await fn(*args)``, once: its value is recorded under ``name``; called again
        (a retry, or a resumed run), the recorded value is returned and ``fn`` is not
        called. A step that raised records nothing: it runs again.

        Cancellation: a step cancelled while ``fn`` runs records nothing and runs again
        next time; once ``fn`` returned, its value is recorded (the journal waits for its
        commit shielded) and the cancellation comes at the caller's next checkpoint."""
        found, value = self.recorded(name)
        if found:
            return value  # type: ignore[no-any-return]
        value = await fn(*args)
        await self.record(name, value)
        return value

    async def record(self, name: str, value: Any) -> None:
        """Record ``value`` under ``name`` for this agent (durable when this returns, with a
        journal; :class:`~anyio_workflow.errors.JournalError` when it cannot be).
        Cancellation: shielded until the value is committed (one commit: milliseconds), so
        that the caller knows it is recorded; cancelled at its next checkpoint."""
        agent = self._agent()
        if self.journal is not None:
            await self.journal.checkpoint(self.key, agent, name, value)
        self._memory[agent, name] = value

    def recorded(self, name: str) -> tuple[bool, Any]:
        """``(True, value)`` when this agent recorded ``name`` (in this run or a run it
        resumes), else ``(False, None)``."""
        agent = self._agent()
        if (agent, name) in self._memory:
            return True, self._memory[agent, name]
        if self.journal is not None:
            return self.journal.checkpoint_value(self.key, agent, name)
        return False, None

    def get(self, name: str) -> Any:
        found, value = self.recorded(name)
        if not found:
            raise NotFound(f"checkpoint: {name!r} was not recorded by {self._agent()!r}")
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.recorded(name)[0]

    def __repr__(self) -> str:
        where = "memory" if self.journal is None else repr(self.journal)
        return f"<Steps run={self.key} in {where}>"
