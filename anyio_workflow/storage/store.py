"""The :class:`ContentStore` protocol every block store implements, and the check every
``get`` makes: the bytes against the CID. A store is never trusted."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..errors import (
    CorruptBlock,
)
from .cid import CID

__all__ = ["ContentStore", "checked"]


def checked(cid: CID, data: bytes, where: str) -> bytes:
    if not cid.verify(data):
        raise CorruptBlock(f"{where}: the bytes of {cid} do not match its hash")
    return data


@runtime_checkable
class ContentStore(Protocol):
    """A content-addressed block store.

    Cancellation: a cancelled ``put`` may or may not have stored the block (a block is
    whole or absent, never partial); reads change nothing.
    """

    async def put(self, data: bytes, *, codec: str = "raw") -> CID:
        """Store ``data`` as one block; its CIDv1."""
        ...

    async def put_block(self, cid: CID, data: bytes) -> None:
        """Store a block under a CID made elsewhere (checked first)."""
        ...

    async def get(self, cid: CID) -> bytes:
        """The block's bytes, checked against ``cid``."""
        ...

    async def has(self, cid: CID) -> bool: ...

    async def pin(self, cid: CID) -> None:
        """Keep ``cid`` (and, for a remote node, what it links to) from garbage collection."""
        ...
