"""How each agent's part of a run went: :class:`AgentOutcome`, with an :class:`Attempt` per
call of its ``execute``. The engine fills them in; auditors and results read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .roles import Role
from .status import AgentStatus

__all__ = ["AgentOutcome", "Attempt", "flatten_output"]


@dataclass(slots=True)
class Attempt:
    """One call of an agent's ``execute``."""

    number: int
    started_at: float
    finished_at: float | None = None
    error: BaseException | None = None
    delay: float | None = None
    """The delay the retry engine waited after this attempt, if it retried."""


@dataclass(slots=True, eq=False)
class AgentOutcome:
    """How one agent's part of the run went. Final once ``run()`` has returned."""

    agent: str
    """The agent's name, made unique within the run (``name[i]`` for repeated names)."""
    role: Role
    status: AgentStatus = AgentStatus.PENDING
    attempts: list[Attempt] = field(default_factory=list)
    started_at: float | None = None
    finished_at: float | None = None
    output: Any = None
    error: BaseException | None = None
    resumed: bool = False
    """Whether this outcome is the agent's from the run this one resumed (it succeeded
    there, so it did not run again)."""

    @property
    def duration(self) -> float | None:
        """Seconds from the first attempt's start to the end, by the workflow's clock."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


def flatten_output(output: Any) -> list[Any]:
    """What an executor's output contributes to a run's results: the items of a list or
    tuple, the ``receipts`` of a report of several transactions (``BatchReport``), nothing
    for ``None``, else the output itself."""
    if output is None:
        return []
    if isinstance(output, list | tuple):
        return list(output)
    receipts = getattr(output, "receipts", None)
    if isinstance(receipts, tuple):
        return list(receipts)
    return [output]
