"""Run-time settings: :class:`AsyncWorkflowConfig` (with its :class:`RetryPolicy` and, for
``gas_strategy="custom"``, its :class:`CustomFees`).

Frozen, strict pydantic models: a bad value raises ``ValidationError`` naming the field,
and a typo in a field name is an error rather than a silently ignored key.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .fees import CustomFees, GasStrategy
from .retry import RetryPolicy

__all__ = ["AsyncWorkflowConfig"]


class AsyncWorkflowConfig(BaseModel):
    """Settings of an :class:`AsyncWorkflow`; the first five fields are the seed's.

    ``context_length`` is the step budget of one run: each agent attempt (retries
    included) and each ``ctx.step()`` an agent takes for a chained step costs one step.
    A run that would pass it stops with :class:`StepBudgetExceeded`, so a runaway loop
    (say, Uniswap<>Aave rebalancing that never converges) cannot spin forever. Auditors
    are not charged: they must record what happened even when the budget ran out.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    max_workers: int = Field(default=8, ge=1, le=100_000, description="Agents running at once.")
    gas_strategy: GasStrategy = "optimal"
    auto_store_proofs: bool = True
    rpc_fallback: bool = True
    context_length: int = Field(default=16_384, ge=1, description="Step budget of one run.")
    retry: RetryPolicy = RetryPolicy()
    timeout: float | None = Field(
        default=None, gt=0, description="Seconds a run may take, auditors aside."
    )
    fail_fast: bool = Field(
        default=True, description="A fatal executor failure cancels its siblings."
    )
    audit_timeout: float = Field(
        default=30.0, gt=0, description="Seconds the shielded audit phase may take."
    )
    follow_pending: float = Field(
        default=5.0,
        ge=0,
        description="Seconds (at most half of audit_timeout) the engine follows the "
        "transactions whose agents stopped waiting, before the auditors record them.",
    )
    custom_fees: CustomFees | None = Field(
        default=None, description='The fees of gas_strategy="custom": fixed, or computed.'
    )
