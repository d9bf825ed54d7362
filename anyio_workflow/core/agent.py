"""Role-based agents: :class:`Role` and the :class:`BaseAgent` every agent subclasses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Generic, Literal

from typing_extensions import TypeVar

from ..errors import InvalidArgument
from .context import RunContext
from .protection import MevProtection
from .roles import Role
from .task import Task

__all__ = ["BaseAgent", "ContextT", "Role"]


ContextT = TypeVar("ContextT", bound=RunContext, default=Any, contravariant=True)
"""The run context an agent is written against: at least :class:`RunContext`; the built-in
agents, which reach chains, ask for :class:`~anyio_workflow.agents.AgentContext`. A bare
``BaseAgent`` leaves it open (``Any``), so that any agent fits in a ``list[BaseAgent]``."""


class BaseAgent(Generic[ContextT]):
    """Base class of all agents.

    A subclass sets the class attribute ``role`` and implements :meth:`execute`::

        class PriceCheck(BaseAgent):
            role = Role.VALIDATOR

            async def execute(self, task, ctx):
                if task.params["amount"] > 10**24:
                    raise Veto("amount is over the treasury limit")

    An agent that reaches chains through ``ctx`` says so for the type checker with
    ``class Payout(BaseAgent[AgentContext])``; the engine hands every agent the same
    context, which provides both.


    MEV protection (the seed's ``MEVResistantAgent``) is asked for here, for every
    transaction the agent sends through ``ctx.sender``: ``flashbots=True`` or
    ``private_rpc=URL`` send them to a private relay and never to the public mempool
    (``private_fallback``: ``"wait"``, or ``"public"`` after ``private_blocks``);
    ``max_slippage`` (a percentage) and ``frontrun_protection`` bound the agents that
    trade. See :mod:`anyio_workflow.core.protection`.
    """

    role: ClassVar[Role] = Role.EXECUTOR

    def __init__(
        self,
        name: str | None = None,
        *,
        flashbots: bool = False,
        private_rpc: str | None = None,
        private_method: Literal["eth_sendRawTransaction", "eth_sendPrivateTransaction"] = (
            "eth_sendRawTransaction"
        ),
        private_blocks: int = 25,
        private_fallback: Literal["wait", "public"] = "wait",
        max_slippage: float | Decimal | str | None = None,
        frontrun_protection: bool = False,
    ) -> None:
        if name is not None and (not isinstance(name, str) or not name):
            raise InvalidArgument("name: an agent's name must be a non-empty string")
        self.name: str = name if name is not None else type(self).__name__
        self.protection: MevProtection | None = MevProtection.of(
            flashbots=flashbots, private_rpc=private_rpc, private_method=private_method,
            private_blocks=private_blocks, private_fallback=private_fallback,
            max_slippage=max_slippage, frontrun_protection=frontrun_protection,
        )  # fmt: skip

    async def execute(self, task: Task, ctx: ContextT) -> Any:
        """Do this agent's part of ``task``; what it returns is the agent's output.

        Raise ``TransientError`` (or any error marked transient) for a failure worth
        retrying, ``Veto`` from a validator to stop the run. Cancellation reaches the
        agent as the backend's cancellation exception: clean up and let it propagate;
        what the agent had already sent stays sent, and the run records it as cancelled.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement execute(task, ctx)")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} role={self.role.value}>"
