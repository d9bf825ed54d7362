"""anyio-workflow: structured-concurrency workflows for Web3 tasks, under asyncio or trio.

This module is the public face; everything else is an implementation detail::

    from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, BaseAgent, Role
"""

from .agents.base import BaseAgent, Role
from .errors import (
    AnyioWorkflowError,
    AttemptTimeout,
    DuplicateRunError,
    RunError,
    RunFailed,
    RunTimedOut,
    RunVetoed,
    StepBudgetExceeded,
    TransientError,
    UnknownActionError,
    Veto,
    is_transient,
)
from .workflow.config import AsyncWorkflowConfig, GasStrategy, RetryPolicy
from .workflow.context import RunContext
from .workflow.engine import AsyncWorkflow
from .workflow.events import (
    AgentFinished,
    AgentStarted,
    AttemptFailed,
    Event,
    PhaseStarted,
    RetryScheduled,
    RunFinished,
    RunStarted,
    Vetoed,
)
from .workflow.registry import known_actions, register_action, unregister_action
from .workflow.result import AgentOutcome, Attempt, WorkflowResult
from .workflow.status import AgentStatus, Phase, RunStatus
from .workflow.task import Task

__version__ = "0.1.0"

__all__ = [
    "AgentFinished",
    "AgentOutcome",
    "AgentStarted",
    "AgentStatus",
    "AnyioWorkflowError",
    "AsyncWorkflow",
    "AsyncWorkflowConfig",
    "Attempt",
    "AttemptFailed",
    "AttemptTimeout",
    "BaseAgent",
    "DuplicateRunError",
    "Event",
    "GasStrategy",
    "Phase",
    "PhaseStarted",
    "RetryPolicy",
    "RetryScheduled",
    "Role",
    "RunContext",
    "RunError",
    "RunFailed",
    "RunFinished",
    "RunStarted",
    "RunStatus",
    "RunTimedOut",
    "RunVetoed",
    "StepBudgetExceeded",
    "Task",
    "TransientError",
    "UnknownActionError",
    "Veto",
    "Vetoed",
    "WorkflowResult",
    "__version__",
    "is_transient",
    "known_actions",
    "register_action",
    "unregister_action",
]
