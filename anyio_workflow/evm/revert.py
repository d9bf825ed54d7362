"""Decoding revert data: ``Error(string)``, ``Panic(uint256)`` and custom errors.

The decoder lives beside :class:`~anyio_workflow.errors.ExecutionReverted`, which explains
itself with it, at the bottom of the package; this module is its place in ``evm``.
"""

from ..errors import PANIC_REASONS, DecodedRevert, decode_revert

__all__ = ["PANIC_REASONS", "DecodedRevert", "decode_revert"]
