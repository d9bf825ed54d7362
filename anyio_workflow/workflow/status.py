"""The states of a run live in the bottom layer (:mod:`anyio_workflow.core.status`)."""

from ..core.status import AgentStatus, Phase, RunStatus

__all__ = ["AgentStatus", "Phase", "RunStatus"]
