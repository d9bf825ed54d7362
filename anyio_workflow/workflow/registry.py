"""The action registry: which agents run a task when a workflow is built without agents.

``AsyncWorkflow(config=...)`` with no agents looks the task's action up here, as the
seed's ``run("mint_erc721_batch", params={"count": 100})`` expects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..agents.base import BaseAgent
from ..errors import UnknownActionError
from .task import Task

__all__ = ["AgentFactory", "agents_for", "known_actions", "register_action", "unregister_action"]

AgentFactory = Callable[[Task], Sequence[BaseAgent]]
"""Builds the agents that carry out one task of an action."""

_registry: dict[str, AgentFactory] = {}


def register_action(action: str, factory: AgentFactory, *, replace: bool = False) -> None:
    """Make ``factory`` build the agents for tasks whose action is ``action``."""
    Task(action=action)  # validates the name the way task actions are validated
    _load_builtins()  # a user's action may replace a built-in one, not the other way
    if action in _registry and not replace:
        raise ValueError(f"action: {action!r} is already registered (pass replace=True)")
    _registry[action] = factory


def unregister_action(action: str) -> None:
    """Forget ``action``; unknown actions are ignored."""
    _registry.pop(action, None)


_builtins_loaded = False


def _load_builtins() -> None:
    """The built-in actions (``anyio_workflow.agents.actions``), registered on first use."""
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        from ..agents.actions import register_builtins

        register_builtins()


def known_actions() -> list[str]:
    _load_builtins()
    return sorted(_registry)


def agents_for(task: Task) -> list[BaseAgent]:
    """The agents registered for ``task.action``; raises :class:`UnknownActionError`."""
    _load_builtins()
    try:
        factory = _registry[task.action]
    except KeyError:
        raise UnknownActionError(task.action, list(_registry)) from None
    agents = list(factory(task))
    if not agents:
        raise ValueError(f"action {task.action!r}: its factory built no agents")
    return agents
