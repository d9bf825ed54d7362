"""Role-based agents: :class:`Role` and the :class:`BaseAgent` every agent subclasses."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..workflow.context import RunContext
    from ..workflow.task import Task

__all__ = ["BaseAgent", "Role"]


class Role(StrEnum):
    """What an agent does in a run, and so in which phase it runs."""

    VALIDATOR = "validator"
    """Checks the task first, concurrently with the other validators; may raise ``Veto``."""
    EXECUTOR = "executor"
    """Does the work (builds, signs and sends transactions) under the capacity limiter."""
    AUDITOR = "auditor"
    """Records what happened; runs after success, failure or cancellation, shielded."""


class BaseAgent:
    """Base class of all agents.

    A subclass sets the class attribute ``role`` and implements :meth:`execute`::

        class PriceCheck(BaseAgent):
            role = Role.VALIDATOR

            async def execute(self, task, ctx):
                if task.params["amount"] > 10**24:
                    raise Veto("amount is over the treasury limit")
    """

    role: ClassVar[Role] = Role.EXECUTOR

    def __init__(self, name: str | None = None) -> None:
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError("name: an agent's name must be a non-empty string")
        self.name: str = name if name is not None else type(self).__name__

    async def execute(self, task: Task, ctx: RunContext) -> Any:
        """Do this agent's part of ``task``; what it returns is the agent's output.

        Raise ``TransientError`` (or any error marked transient) for a failure worth
        retrying, ``Veto`` from a validator to stop the run. Cancellation reaches the
        agent as the backend's cancellation exception: clean up and let it propagate.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement execute(task, ctx)")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} role={self.role.value}>"
