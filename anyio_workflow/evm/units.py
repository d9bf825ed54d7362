"""Units: wei and its named multiples, and token amounts with their decimals.

``to_wei(Decimal("1.5"), "ether")`` is ``1_500_000_000_000_000_000``; ``from_wei`` goes
back, exactly (a ``Decimal``). ``to_units`` / ``from_units`` do the same for a token's
``decimals``. Amounts are never floats: a float is refused, and so is an amount finer
than the unit's smallest part.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ..core.exact import scaled as exact_scaled
from ..errors import InvalidArgument

__all__ = ["UNITS", "from_units", "from_wei", "to_units", "to_wei"]

UNITS = {"wei": 0, "kwei": 3, "mwei": 6, "gwei": 9, "szabo": 12, "finney": 15, "ether": 18}
"""The named units of ether, by their power of ten."""


def _decimals(unit: str) -> int:
    try:
        return UNITS[unit.lower()]
    except KeyError:
        raise InvalidArgument(f"unit: {unit!r}; one of {', '.join(UNITS)}") from None


def to_units(amount: int | str | Decimal, decimals: int) -> int:
    """``amount`` whole units (an ``int``, a ``Decimal``, or its text) in base units of a
    token with ``decimals``; refuses floats, negatives and finer amounts than it has."""
    if isinstance(amount, bool | float) or not isinstance(amount, int | str | Decimal):
        raise InvalidArgument(f"amount: {amount!r}; an int, a Decimal or its text (not a float)")
    if not 0 <= decimals <= 255:
        raise InvalidArgument(f"decimals: {decimals}; between 0 and 255")
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise InvalidArgument(f"amount: {amount!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise InvalidArgument(f"amount: {amount!r}; a finite amount, at least 0")
    scaled = exact_scaled(value, decimals)
    if scaled != scaled.to_integral_value():
        raise InvalidArgument(f"amount: {amount!r} has more than {decimals} decimal places")
    return int(scaled)


def from_units(value: int, decimals: int) -> Decimal:
    """``value`` base units of a token with ``decimals``, in whole units, exactly."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"value: {value!r}; base units are an int")
    if not 0 <= decimals <= 255:
        raise InvalidArgument(f"decimals: {decimals}; between 0 and 255")
    return exact_scaled(value, -decimals)


def to_wei(amount: int | str | Decimal, unit: str = "ether") -> int:
    """``amount`` of ``unit`` (``"ether"``, ``"gwei"``...) in wei."""
    return to_units(amount, _decimals(unit))


def from_wei(wei: int, unit: str = "ether") -> Decimal:
    """``wei`` in ``unit``, exactly."""
    return from_units(wei, _decimals(unit))
