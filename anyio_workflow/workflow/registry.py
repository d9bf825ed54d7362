"""The action registry: which agents run a task when a workflow is built without agents.

``AsyncWorkflow(config=...)`` with no agents looks the task's action up here, as the
seed's ``run("mint_erc721_batch", params={"count": 100})`` expects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..agents.actions import BUILTINS
from ..core.agent import BaseAgent
from ..core.task import Task
from ..errors import InvalidArgument, UnknownActionError

__all__ = ["AgentFactory", "agents_for", "known_actions", "register_action", "unregister_action"]

AgentFactory = Callable[[Task], Sequence[BaseAgent[Any]]]
"""Builds the agents that carry out one task of an action."""

_registry: dict[str, AgentFactory] = dict(BUILTINS)
"""The built-in actions (``anyio_workflow.agents.actions``) and those users register."""


def register_action(action: str, factory: AgentFactory, *, replace: bool = False) -> None:
    """Make ``factory`` build the agents for tasks whose action is ``action``; a built-in
    action is replaced only with ``replace=True``."""
    Task(action=action)  # validates the name the way task actions are validated
    if action in _registry and not replace:
        raise InvalidArgument(f"action: {action!r} is already registered (pass replace=True)")
    _registry[action] = factory


def unregister_action(action: str) -> None:
    """Forget ``action``; unknown actions are ignored."""
    _registry.pop(action, None)


def known_actions() -> list[str]:
    return sorted(_registry)


def agents_for(task: Task) -> list[BaseAgent[Any]]:
    """The agents registered for ``task.action``; raises :class:`UnknownActionError`."""
    try:
        factory = _registry[task.action]
    except KeyError:
        raise UnknownActionError(task.action, list(_registry)) from None
    agents = list(factory(task))
    if not agents:
        raise InvalidArgument(f"action {task.action!r}: its factory built no agents")
    return agents
