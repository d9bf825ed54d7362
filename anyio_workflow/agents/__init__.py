"""Agents: the :class:`BaseAgent` base class, roles, and the built-in agents."""

from .base import BaseAgent, Role

__all__ = ["BaseAgent", "Role"]
