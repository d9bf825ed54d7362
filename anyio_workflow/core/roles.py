"""Roles: what an agent does in a run, and so in which phase it runs."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role"]


class Role(StrEnum):
    """What an agent does in a run, and so in which phase it runs."""

    VALIDATOR = "validator"
    """Checks the task first, concurrently with the other validators; may raise ``Veto``."""
    EXECUTOR = "executor"
    """Does the work (builds, signs and sends transactions) under the capacity limiter."""
    AUDITOR = "auditor"
    """Records what happened; runs after success, failure or cancellation, shielded."""
