"""Exact decimal scaling for amounts.

``Decimal.scaleb`` rounds to the context's precision, 28 significant digits by default:
``Decimal("12345678901234567890123.456789").scaleb(18)`` loses its last digits, and an
amount of a 29-digit number of base units (12 billion of an 18-decimal token) would be
paid rounded. :func:`scaled` scales with enough precision for any uint256 and more, and
refuses rather than rounds.
"""

from __future__ import annotations

from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow, Underflow

from ..errors import InvalidArgument

__all__ = ["scaled"]

_EXACT = Context(prec=400, Emax=10_000, Emin=-10_000,
                 traps=[Inexact, InvalidOperation, Overflow, Underflow])  # fmt: skip


def scaled(value: Decimal | int, places: int) -> Decimal:
    """``value`` times ten to the ``places``, exactly."""
    try:
        return Decimal(value).scaleb(places, context=_EXACT)
    except (Inexact, InvalidOperation, Overflow, Underflow):
        raise InvalidArgument(f"amount: {value} cannot be scaled by 10**{places} exactly") from None
