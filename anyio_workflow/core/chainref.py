"""Chain references as the library keys them: an EVM chain id (``int``), or a CAIP-2 id.

The bottom layer's part of :mod:`anyio_workflow.chains.caip` (which re-exports it): the
task model validates its ``chain_id`` with it.
"""

from __future__ import annotations

import re

from ..errors import InvalidArgument

__all__ = ["EIP155", "SOLANA", "SOLANA_MAINNET", "ChainRef", "chain_ref"]

ChainRef = int | str
"""A chain as the library takes it: an EVM chain id, or a CAIP-2 identifier."""

EIP155 = re.compile(r"^eip155:([1-9][0-9]{0,19})$")
SOLANA = re.compile(r"^solana:([1-9A-HJ-NP-Za-km-z]{32})$")
SOLANA_MAINNET = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"


def chain_ref(value: object, field: str = "chain_id") -> ChainRef:
    """``value`` as the library keys chains: an ``int`` for an EVM chain (``"eip155:N"``
    becomes ``N``), the CAIP-2 string for a Solana cluster; :class:`InvalidArgument`
    naming ``field`` otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value >= 1:
            return value
        raise InvalidArgument(f"{field}: {value}; an EVM chain id is at least 1")
    if isinstance(value, str):
        if match := EIP155.match(value):
            return int(match[1])
        if SOLANA.match(value):
            return value
    raise InvalidArgument(
        f"{field}: {value!r} is not a chain: an EVM chain id (1, 137), or a CAIP-2 id "
        f"('eip155:137', '{SOLANA_MAINNET}')"
    )
