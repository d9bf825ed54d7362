"""Run-time settings live in the bottom layer (:mod:`anyio_workflow.core.config`), where
the agents read them too; this module is their place beside the engine."""

from ..core.config import AsyncWorkflowConfig
from ..core.fees import CustomFees, GasStrategy
from ..core.retry import RetryPolicy

__all__ = ["AsyncWorkflowConfig", "CustomFees", "GasStrategy", "RetryPolicy"]
