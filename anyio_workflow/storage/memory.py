"""A store of blocks in a dict: :class:`MemoryStore`, for tests and short-lived runs."""

from __future__ import annotations

import anyio
import anyio.to_thread

from ..errors import (
    BlockNotFound,
)
from .cid import CID
from .store import checked

__all__ = ["MemoryStore"]


class MemoryStore:
    """Blocks in a dict.

    Cancellation: every method completes without waiting; a cancellation takes effect
    before it starts or after it ends.
    """

    def __init__(self) -> None:
        self.blocks: dict[CID, bytes] = {}
        self.pins: set[CID] = set()

    async def put(self, data: bytes, *, codec: str = "raw") -> CID:
        cid = CID.of(data, codec)
        self.blocks[cid] = bytes(data)
        await anyio.lowlevel.checkpoint()
        return cid

    async def put_block(self, cid: CID, data: bytes) -> None:
        self.blocks[cid] = checked(cid, bytes(data), "put_block")
        await anyio.lowlevel.checkpoint()

    async def get(self, cid: CID) -> bytes:
        await anyio.lowlevel.checkpoint()
        try:
            data = self.blocks[cid]
        except KeyError:
            raise BlockNotFound(f"no block {cid} in memory") from None
        return checked(cid, data, "memory store")

    async def has(self, cid: CID) -> bool:
        await anyio.lowlevel.checkpoint()
        return cid in self.blocks

    async def pin(self, cid: CID) -> None:
        if not await self.has(cid):
            raise BlockNotFound(f"cannot pin {cid}: no such block")
        self.pins.add(cid)

    def __repr__(self) -> str:
        return f"<MemoryStore blocks={len(self.blocks)} pins={len(self.pins)}>"
