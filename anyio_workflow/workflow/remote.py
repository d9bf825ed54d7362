"""One attempt of one agent of a run whose phases are driven elsewhere: what a Temporal
activity runs (:meth:`AsyncWorkflow.attempt <anyio_workflow.AsyncWorkflow.attempt>`).

The attempt sees the run as an agent of an in-process run would: the task, the outcomes of
the agents before it (their outputs restored), the run's status for auditors, and what the
run's agents sent elsewhere, so that an auditor's record lists every transaction. Its
transactions are journaled under the run's key and the agent's name, so that an attempt
that runs again (on another worker, after one died) meets the intents of the attempts
before it and reconciles them with the chain instead of paying again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from typing import Any

import anyio

from ..chains.caip import ChainRef
from ..core.agent import BaseAgent
from ..core.outcome import AgentOutcome, Attempt
from ..core.roles import Role
from ..core.status import AgentStatus
from ..errors import StepBudgetExceeded, Veto, is_transient, single_error
from ..rpc.client import JsonRpcClient
from .context import CURRENT_AGENT, CURRENT_PROTECTION, WorkflowContext

__all__ = ["AgentAttempt", "Sent"]

Sent = tuple[str, int | str, str, bool]
"""(agent, chain, hash, whether its fate is known): one transaction a run's agent sent."""


class AgentAttempt:
    """One call of one agent's ``execute``, with a context of its own; made by
    :meth:`AsyncWorkflow.attempt <anyio_workflow.AsyncWorkflow.attempt>`. After
    :meth:`run` (however it ended, cancellation included), :attr:`outcome` says how it
    went; what it sent is in the workflow's journal, under the run's key."""

    def __init__(
        self,
        agent: BaseAgent[Any],
        outcome: AgentOutcome,
        make_context: Callable[[Mapping[ChainRef, JsonRpcClient]], WorkflowContext],
        open_clients: Callable[[AsyncExitStack], Any],
        *,
        follow: float,
    ) -> None:
        self.agent = agent
        self.outcome = outcome
        self.transient = False
        """Whether the attempt failed with a transient error (another may succeed)."""
        self.steps = 0
        """The run's steps after this attempt."""
        self.exhausted = False
        """Whether the run's step budget ran out in this attempt: the run is over."""
        self._make_context = make_context
        self._open_clients = open_clients
        self._follow = follow
        self._ctx: WorkflowContext | None = None

    async def run(self) -> None:
        """Call the agent once. Its error is not raised: it is in :attr:`outcome`.

        Cancellation: propagates once the agent has been cancelled; what it sent stays in
        the journal (an auditor's follow of earlier transactions is abandoned)."""
        outcome = self.outcome
        async with AsyncExitStack() as stack:
            ctx = self._ctx = self._make_context(await self._open_clients(stack))
            CURRENT_AGENT.set(outcome.agent)
            CURRENT_PROTECTION.set(getattr(self.agent, "protection", None))
            attempt = Attempt(number=len(outcome.attempts) + 1, started_at=ctx.now())
            outcome.attempts.append(attempt)
            outcome.started_at = outcome.started_at or attempt.started_at
            try:
                if outcome.role is Role.AUDITOR:
                    if ctx.unsettled():
                        await ctx.follow(self._follow)
                else:
                    ctx.step()
                output = await self.agent.execute(ctx.task, ctx)
                if outcome.role is not Role.AUDITOR and ctx.exhausted:
                    raise StepBudgetExceeded(ctx.config.context_length)
            except anyio.get_cancelled_exc_class():
                outcome.status = AgentStatus.CANCELLED
                outcome.finished_at = attempt.finished_at = ctx.now()
                raise
            except Exception as raised:
                error = single_error(raised)
                outcome.finished_at = attempt.finished_at = ctx.now()
                attempt.error = outcome.error = error
                outcome.status = (
                    AgentStatus.VETOED if isinstance(error, Veto) else AgentStatus.FAILED
                )
                self.transient = is_transient(error) and not ctx.exhausted
            else:
                outcome.finished_at = attempt.finished_at = ctx.now()
                outcome.status, outcome.output = AgentStatus.SUCCEEDED, output
            finally:
                self.steps, self.exhausted = ctx.steps, ctx.exhausted
