"""Run-time settings: :class:`AsyncWorkflowConfig` and its :class:`RetryPolicy`.

Both are frozen, strict pydantic models: a bad value raises ``ValidationError`` naming
the field, and a typo in a field name is an error rather than a silently ignored key.
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["AsyncWorkflowConfig", "GasStrategy", "RetryPolicy"]

GasStrategy = Literal["optimal", "fast", "eco", "custom"]


class RetryPolicy(BaseModel):
    """How the retry engine treats an agent whose attempt raised a transient error.

    The delay before retry ``n`` (1 for the first retry) is drawn uniformly from
    ``[0, min(max_delay, base_delay * multiplier ** (n - 1))]`` ("full jitter", which
    spreads retries out so that many agents failing together do not retry together).
    With ``jitter="none"`` the delay is that upper bound itself.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    attempts: int = Field(3, ge=1, le=100, description="Attempts in all, the first included.")
    base_delay: float = Field(0.25, ge=0, description="Seconds; the ceiling of the first delay.")
    max_delay: float = Field(8.0, ge=0, description="Seconds; no delay is ever longer.")
    multiplier: float = Field(2.0, ge=1, description="Growth of the ceiling per retry.")
    jitter: Literal["full", "none"] = "full"
    attempt_timeout: float | None = Field(
        None, gt=0, description="Seconds one attempt may take; past it, AttemptTimeout (transient)."
    )

    @model_validator(mode="after")
    def _delays_ordered(self) -> RetryPolicy:
        if self.max_delay < self.base_delay:
            raise ValueError("max_delay must be at least base_delay")
        return self

    def ceiling(self, retry: int) -> float:
        """The longest delay allowed before retry number ``retry`` (1-based)."""
        if retry < 1:
            raise ValueError("retry numbers start at 1")
        # Compare exponents rather than computing a huge power for large retry numbers.
        if self.base_delay == 0:
            return 0.0
        growth = self.multiplier ** min(retry - 1, 1024)
        return min(self.max_delay, self.base_delay * growth)

    def delay(self, retry: int, rng: random.Random) -> float:
        """The delay before retry number ``retry``, drawn with ``rng``."""
        ceiling = self.ceiling(retry)
        return rng.uniform(0.0, ceiling) if self.jitter == "full" else ceiling


class AsyncWorkflowConfig(BaseModel):
    """Settings of an :class:`AsyncWorkflow`; the first five fields are the seed's.

    ``context_length`` is the step budget of one run: each agent attempt (retries
    included) and each ``ctx.step()`` an agent takes for a chained step costs one step.
    A run that would pass it stops with :class:`StepBudgetExceeded`, so a runaway loop
    (say, Uniswap<>Aave rebalancing that never converges) cannot spin forever. Auditors
    are not charged: they must record what happened even when the budget ran out.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    max_workers: int = Field(8, ge=1, le=100_000, description="Agents running at once.")
    gas_strategy: GasStrategy = "optimal"
    auto_store_proofs: bool = True
    rpc_fallback: bool = True
    context_length: int = Field(16_384, ge=1, description="Step budget of one run.")
    retry: RetryPolicy = RetryPolicy()
    timeout: float | None = Field(None, gt=0, description="Seconds a run may take, auditors aside.")
    fail_fast: bool = Field(True, description="A fatal executor failure cancels its siblings.")
    audit_timeout: float = Field(
        30.0, gt=0, description="Seconds the shielded audit phase may take."
    )
