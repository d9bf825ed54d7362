"""The states a run and its agents end in, and the phases of a run."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AgentStatus", "Phase", "RunStatus"]


class RunStatus(StrEnum):
    """How a run ended."""

    SUCCEEDED = "succeeded"
    VETOED = "vetoed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


class AgentStatus(StrEnum):
    """How one agent's part of a run ended."""

    PENDING = "pending"
    """Not finished yet (only ever seen while the run is in progress)."""
    SKIPPED = "skipped"
    """Never started: the run was vetoed or stopped before its phase."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    VETOED = "vetoed"
    CANCELLED = "cancelled"


class Phase(StrEnum):
    """The three phases of a run, in order."""

    VALIDATE = "validate"
    EXECUTE = "execute"
    AUDIT = "audit"
