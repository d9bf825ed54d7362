"""Addresses at the edge: validated, and checksummed as EIP-55 says.

An all-lowercase or all-uppercase address carries no checksum and is accepted; a
mixed-case one must match its EIP-55 checksum exactly, or it is a typo and an error.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator

from .._hash import keccak256 as keccak
from ..core.redact import shown
from ..errors import InvalidAddress

__all__ = ["Address", "InvalidAddress", "to_checksum"]

_HEX40 = re.compile(r"^0x[0-9a-fA-F]{40}$")


@lru_cache(maxsize=8192)  # the same owners, tokens and vendors come back all the time
def _checksum(lower: str) -> str:
    digest = keccak(lower.encode()).hex()[:40]
    return "0x" + "".join(
        c.upper() if int(d, 16) >= 8 else c for c, d in zip(lower, digest, strict=True)
    )


def to_checksum(address: str) -> str:
    """``address`` in EIP-55 form; raises :class:`InvalidAddress` for a bad one."""
    if not isinstance(address, str) or not _HEX40.match(address):
        raise InvalidAddress(f"not a 20-byte 0x-hex address: {shown(address)}")
    body = address[2:]
    checksummed = _checksum(body.lower())
    if body not in (body.lower(), body.upper()) and address != checksummed:
        raise InvalidAddress(f"{address} has a wrong EIP-55 checksum (expected {checksummed})")
    return checksummed


Address = Annotated[str, AfterValidator(to_checksum)]
"""A pydantic field type: any valid address in, its EIP-55 form out."""
