"""Fee strategies as data: one :class:`FeeStrategy` per ``gas_strategy`` name.

Every module that treats strategies differently reads these values (the fee oracle its
tip percentile, boost and headroom; the send queue its urgency; the sender whether it
waits for a lower base fee and its default cap), so a strategy is defined in one place:

| name | tip | max fee | legacy gas price | urgency | waits for a lower base fee |
| --- | --- | --- | --- | --- | --- |
| ``fast`` | 90th percentile x 1.2 | next base fee x 2 + tip | x 1.25 | 0 (first) | no |
| ``optimal`` | 50th percentile | next base fee x 2 + tip | x 1.1 | 1 | no |
| ``custom`` | :class:`CustomFees` | :class:`CustomFees` | x 1.0 | 1 | no |
| ``eco`` | 10th percentile | next base fee x 1.25 + tip | x 1.0 | 2 (last) | yes |
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import InvalidArgument

__all__ = ["FEE_STRATEGIES", "CustomFees", "FeeStrategy", "GasStrategy", "fee_strategy"]

GasStrategy = Literal["optimal", "fast", "eco", "custom"]
"""The names of the fee strategies (``AsyncWorkflowConfig.gas_strategy``)."""

Fraction = tuple[int, int]


class FeeStrategy(BaseModel):
    """How one strategy prices, orders and waits; see the module docstring."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: GasStrategy
    tip_percentile: float = Field(ge=0, le=100)
    """The percentile of each recent block's tips that ``eth_feeHistory`` is asked for."""
    tip_boost: Fraction = (1, 1)
    """The median tip is multiplied by this fraction."""
    base_headroom: Fraction = (2, 1)
    """The max fee is the next base fee times this fraction, plus the tip."""
    legacy_multiplier: Fraction = (1, 1)
    """On a chain without base fees: ``eth_gasPrice`` times this fraction."""
    urgency: int = Field(ge=0)
    """The send queue admits lower urgency first."""
    waits_for_base_fee: bool = False
    """Whether the sender first waits (within its deadline) for a lower base fee."""
    fee_cap: int | None = Field(default=None, ge=0)
    """The default cap on the max fee per gas, in wei; ``None`` for none."""


FEE_STRATEGIES: Mapping[str, FeeStrategy] = MappingProxyType(
    {
        s.name: s
        for s in (
            FeeStrategy(name="fast", tip_percentile=90.0, tip_boost=(6, 5),
                        legacy_multiplier=(5, 4), urgency=0),
            FeeStrategy(name="optimal", tip_percentile=50.0, legacy_multiplier=(11, 10),
                        urgency=1),
            FeeStrategy(name="custom", tip_percentile=50.0, urgency=1),
            FeeStrategy(name="eco", tip_percentile=10.0, base_headroom=(5, 4), urgency=2,
                        waits_for_base_fee=True),
        )
    }
)  # fmt: skip


def fee_strategy(strategy: GasStrategy | FeeStrategy | str) -> FeeStrategy:
    """The :class:`FeeStrategy` of a name (a ``FeeStrategy`` is returned as it is)."""
    if isinstance(strategy, FeeStrategy):
        return strategy
    try:
        return FEE_STRATEGIES[strategy]
    except KeyError:
        known = ", ".join(FEE_STRATEGIES)
        raise InvalidArgument(
            f"gas_strategy: {strategy!r} is not a fee strategy (known: {known})"
        ) from None


class CustomFees(BaseModel):
    """``gas_strategy="custom"``: fixed fees, or a function of the next base fee.

    Give it as ``AsyncWorkflowConfig(gas_strategy="custom", custom_fees=CustomFees(...))``
    (or to a ``TxSender`` directly). ``compute`` is
    ``async (next_base_fee) -> (max_fee_per_gas, max_priority_fee_per_gas)``; it is not
    part of the config's dump (an audit record shows only that there is one).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_fee_per_gas: int | None = Field(default=None, ge=0)
    max_priority_fee_per_gas: int | None = Field(default=None, ge=0)
    compute: Callable[[int], Awaitable[tuple[int, int]]] | None = Field(default=None, exclude=True)

    def __init__(
        self,
        max_fee_per_gas: int | None = None,
        max_priority_fee_per_gas: int | None = None,
        compute: Callable[[int], Awaitable[tuple[int, int]]] | None = None,
    ) -> None:
        super().__init__(
            max_fee_per_gas=max_fee_per_gas,
            max_priority_fee_per_gas=max_priority_fee_per_gas,
            compute=compute,
        )

    @model_validator(mode="after")
    def _complete(self) -> CustomFees:
        if self.compute is None and (
            self.max_fee_per_gas is None or self.max_priority_fee_per_gas is None
        ):
            raise InvalidArgument("CustomFees: give both fees, or compute")
        fee, tip = self.max_fee_per_gas, self.max_priority_fee_per_gas
        if fee is not None and tip is not None and tip > fee:
            raise InvalidArgument(
                f"max_priority_fee_per_gas ({tip}) is above max_fee_per_gas ({fee}): "
                "the tip is part of the max fee"
            )
        return self
