"""Role-based agents: :class:`Role` and :class:`BaseAgent` live in the bottom layer
(:mod:`anyio_workflow.core.agent`), which the engine and the agents both build on."""

from ..core.agent import BaseAgent, Role

__all__ = ["BaseAgent", "Role"]
