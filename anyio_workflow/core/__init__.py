"""The bottom layer: the contracts every other layer builds on, importing nothing of ours
but the error tree (:mod:`anyio_workflow.errors`).

- :mod:`.task`: :class:`Task`, what a run is asked to do;
- :mod:`.roles`, :mod:`.agent`: :class:`Role` and :class:`BaseAgent`;
- :mod:`.context`: the :class:`RunContext` protocol agents are handed;
- :mod:`.status`, :mod:`.outcome`: how runs and agents end;
- :mod:`.config`, :mod:`.retry`, :mod:`.fees`: :class:`AsyncWorkflowConfig`,
  :class:`RetryPolicy`, and the fee strategies as data;
- :mod:`.redact`: URLs and headers without their credentials.

Chains are data in :mod:`anyio_workflow.chains`, a leaf beside this layer.
"""

from .agent import BaseAgent, ContextT
from .config import AsyncWorkflowConfig
from .context import RunContext
from .fees import FEE_STRATEGIES, CustomFees, FeeStrategy, GasStrategy, fee_strategy
from .outcome import AgentOutcome, Attempt
from .retry import RetryPolicy
from .roles import Role
from .status import AgentStatus, Phase, RunStatus
from .task import Task, TaskLike

__all__ = [
    "FEE_STRATEGIES",
    "AgentOutcome",
    "AgentStatus",
    "AsyncWorkflowConfig",
    "Attempt",
    "BaseAgent",
    "ContextT",
    "CustomFees",
    "FeeStrategy",
    "GasStrategy",
    "Phase",
    "Role",
    "RetryPolicy",
    "RunContext",
    "RunStatus",
    "Task",
    "TaskLike",
    "fee_strategy",
]
