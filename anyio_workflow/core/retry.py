"""The retry engine's settings: :class:`RetryPolicy`.

It sits in the bottom layer because the engine (agent attempts) and the JSON-RPC client
(transient request failures) both read it.
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import InvalidArgument

__all__ = ["RetryPolicy"]


class RetryPolicy(BaseModel):
    """How the retry engine treats an agent whose attempt raised a transient error.

    The delay before retry ``n`` (1 for the first retry) is drawn uniformly from
    ``[0, min(max_delay, base_delay * multiplier ** (n - 1))]`` ("full jitter", which
    spreads retries out so that many agents failing together do not retry together).
    With ``jitter="none"`` the delay is that upper bound itself.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    attempts: int = Field(
        default=3, ge=1, le=100, description="Attempts in all, the first included."
    )
    base_delay: float = Field(
        default=0.25, ge=0, description="Seconds; the ceiling of the first delay."
    )
    max_delay: float = Field(default=8.0, ge=0, description="Seconds; no delay is ever longer.")
    multiplier: float = Field(default=2.0, ge=1, description="Growth of the ceiling per retry.")
    jitter: Literal["full", "none"] = "full"
    attempt_timeout: float | None = Field(
        default=None,
        gt=0,
        description="Seconds one attempt may take; past it, AttemptTimeout (transient).",
    )

    @model_validator(mode="after")
    def _delays_ordered(self) -> RetryPolicy:
        if self.max_delay < self.base_delay:
            raise InvalidArgument("max_delay must be at least base_delay")
        return self

    def ceiling(self, retry: int) -> float:
        """The longest delay allowed before retry number ``retry`` (1-based)."""
        if retry < 1:
            raise InvalidArgument("retry: retry numbers start at 1")
        # Compare exponents rather than computing a huge power for large retry numbers.
        if self.base_delay == 0:
            return 0.0
        growth = self.multiplier ** min(retry - 1, 1024)
        return min(self.max_delay, self.base_delay * growth)

    def delay(self, retry: int, rng: random.Random) -> float:
        """The delay before retry number ``retry``, drawn with ``rng``."""
        ceiling = self.ceiling(retry)
        return rng.uniform(0.0, ceiling) if self.jitter == "full" else ceiling
