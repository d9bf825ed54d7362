"""The embedded default store: :class:`LocalStore`, a filesystem blockstore under a
directory. A write goes to a temporary file that is flushed, fsynced and renamed into
place, so a crash mid-write leaves either the whole block or none of it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import anyio
import anyio.to_thread
import platformdirs

from ..errors import (
    BlockNotFound,
)
from .cid import CID
from .store import checked

__all__ = ["DATA_DIR_ENV", "LocalStore", "data_dir", "default_store"]


DATA_DIR_ENV = "ANYIO_WORKFLOW_DATA_DIR"


def data_dir() -> Path:
    """Where the library keeps what must outlive a process: ``$ANYIO_WORKFLOW_DATA_DIR``,
    else the user's data directory (``~/.local/share/anyio-workflow`` on Linux)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("anyio-workflow", appauthor=False))


def default_store() -> LocalStore:
    """The store records go to when a workflow is given none: ``data_dir()/records``."""
    return LocalStore(data_dir() / "records")


class LocalStore:
    """A blockstore in ``root``: ``blocks/<last 2 chars>/<cid>``, ``pins/<cid>``.

    Cancellation: a write runs in a worker thread and completes or leaves no block
    (temporary file, fsync, rename); reads change nothing.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, cid: CID) -> Path:
        name = str(cid.to_v1())
        return self.root / "blocks" / name[-2:] / name

    def _write(self, cid: CID, data: bytes) -> None:
        path = self._path(cid)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    async def put(self, data: bytes, *, codec: str = "raw") -> CID:
        cid = CID.of(data, codec)
        await anyio.to_thread.run_sync(self._write, cid, bytes(data))
        return cid

    async def put_block(self, cid: CID, data: bytes) -> None:
        await anyio.to_thread.run_sync(self._write, cid, checked(cid, bytes(data), "put_block"))

    async def get(self, cid: CID) -> bytes:
        try:
            data = await anyio.Path(self._path(cid)).read_bytes()
        except FileNotFoundError:
            raise BlockNotFound(f"no block {cid} in {self.root}") from None
        return checked(cid, data, f"local store {self.root}")

    async def has(self, cid: CID) -> bool:
        return await anyio.Path(self._path(cid)).exists()

    async def pin(self, cid: CID) -> None:
        if not await self.has(cid):
            raise BlockNotFound(f"cannot pin {cid}: no such block")
        pins = anyio.Path(self.root / "pins")
        await pins.mkdir(parents=True, exist_ok=True)
        await (pins / str(cid.to_v1())).touch()

    async def pinned(self) -> set[CID]:
        pins = anyio.Path(self.root / "pins")
        if not await pins.exists():
            return set()
        return {CID.parse(p.name) async for p in pins.iterdir()}

    def __repr__(self) -> str:
        return f"<LocalStore {self.root}>"
