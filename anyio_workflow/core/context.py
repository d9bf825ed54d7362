"""The :class:`RunContext` protocol: what every agent of a run can count on from ``ctx``.

The engine's context (``anyio_workflow.workflow.context``) implements it, and more: the
chain accessors that :class:`~anyio_workflow.agents.AgentContext` describes. Agents are
written against these protocols, never against the engine's class, so that the agents
layer does not depend on the engine that runs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from .config import AsyncWorkflowConfig
from .outcome import AgentOutcome
from .status import RunStatus
from .task import Task

__all__ = ["RunContext"]


class RunContext(Protocol):
    """The run as one agent sees it: its task, its settings, its shared state."""

    @property
    def run_id(self) -> str: ...

    @property
    def task(self) -> Task: ...

    @property
    def config(self) -> AsyncWorkflowConfig: ...

    @property
    def chain_id(self) -> int:
        """The task's chain, an EVM chain id (an EVM agent's default chain); raises
        :class:`InvalidArgument` when the task's chain is a Solana cluster."""
        ...

    @property
    def chain(self) -> int | str:
        """The task's chain: an EVM chain id, or a Solana cluster's CAIP-2 id."""
        ...

    @property
    def state(self) -> dict[str, Any]:
        """Values the run's agents hand each other (see :meth:`publish`)."""
        ...

    @property
    def services(self) -> Mapping[str, Any]:
        """The user's own services, as given to ``AsyncWorkflow(**services)``."""
        ...

    @property
    def status(self) -> RunStatus | None:
        """The run's status: set before the auditors run, ``None`` until then."""
        ...

    @property
    def outcomes(self) -> tuple[AgentOutcome, ...]:
        """Every agent's outcome so far, in agent order."""
        ...

    def publish(self, key: str, value: Any) -> None:
        """Hand ``value`` to the run's other agents under ``key``."""
        ...

    async def wait_for(self, key: str, *, timeout: float | None = 60.0) -> Any:  # noqa: ASYNC109
        """The value published under ``key``, waiting for it ``timeout`` seconds at most
        (``None``: as long as the run lasts), then :class:`~anyio_workflow.errors.NotFound`
        naming the key. Cancellation (the phase failing, the run's deadline) ends the
        wait; nothing is left behind."""
        ...

    def step(self, n: int = 1) -> None:
        """Charge ``n`` steps to the run's budget (``context_length``)."""
        ...

    def elapsed(self) -> float:
        """Seconds since the run started, by the workflow's clock."""
        ...

    def now(self) -> float:
        """The workflow's clock."""
        ...
