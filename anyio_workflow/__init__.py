"""anyio-workflow: structured-concurrency workflows for Web3 tasks, under asyncio or trio.

This module is the public face; everything else is an implementation detail::

    from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, BaseAgent, Role
"""

from .agents.auditor import AuditorAgent
from .agents.context import AgentContext
from .core.agent import BaseAgent
from .core.config import AsyncWorkflowConfig
from .core.context import RunContext
from .core.fees import FEE_STRATEGIES, CustomFees, FeeStrategy, GasStrategy
from .core.outcome import AgentOutcome, Attempt
from .core.retry import RetryPolicy
from .core.roles import Role
from .core.status import AgentStatus, Phase, RunStatus
from .core.task import Task
from .errors import (
    AnyioWorkflowError,
    AttemptTimeout,
    DuplicateRunError,
    InvalidArgument,
    InvalidType,
    JournalError,
    NotFound,
    RunError,
    RunFailed,
    RunTimedOut,
    RunVetoed,
    StepBudgetExceeded,
    TransientError,
    UnknownActionError,
    UsageError,
    Veto,
    is_transient,
)
from .evm.nonce import NonceManagers
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
from .workflow.result import WorkflowResult

__version__ = "0.1.0"

__all__ = [
    "FEE_STRATEGIES",
    "AgentContext",
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
    "JournalError",
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
    "AuditorAgent",
    "CustomFees",
    "FeeStrategy",
    "InvalidArgument",
    "InvalidType",
    "NonceManagers",
    "NotFound",
    "UsageError",
    "__version__",
    "is_transient",
    "known_actions",
    "register_action",
    "unregister_action",
]
