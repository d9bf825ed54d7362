"""Where blocks live: the :class:`ContentStore` protocol and its implementations.

- :class:`MemoryStore`: a dict, for tests.
- :class:`LocalStore`: the embedded default, a filesystem blockstore under a directory.
  A write goes to a temporary file that is flushed, fsynced and renamed into place, so a
  crash mid-write leaves either the whole block or none of it.
- :class:`KuboStore`: a Kubo node's RPC API over httpx (``block/put``, ``block/get``,
  ``block/stat``, ``dag/put``, ``add``, ``pin/add``). It has been tested against
  :class:`anyio_workflow.testing.kubo.FakeKubo`, written from the Kubo RPC reference, not
  against a live Kubo (none can be installed here).
- :class:`GatewayReader`: reads through a trustless HTTP gateway (``?format=raw``).

Every ``get`` checks the bytes against the CID, whatever the store, and raises
:class:`CorruptBlock` on a mismatch: a store is never trusted.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import anyio
import anyio.to_thread
import httpx

from ..errors import AnyioWorkflowError
from ..rpc.redact import redact_url
from .car import read_car, write_car
from .cid import CID
from .dag import dag_cbor_decode, dag_json_decode, dag_json_encode
from .unixfs import PBNode

__all__ = [
    "BlockNotFound",
    "ContentStore",
    "CorruptBlock",
    "GatewayReader",
    "KuboStore",
    "LocalStore",
    "MemoryStore",
    "StoreError",
    "StoreUnavailable",
    "export_car",
    "get_record",
    "import_car",
    "links_of",
    "put_record",
]


class StoreError(AnyioWorkflowError):
    """A store failed."""


class StoreUnavailable(StoreError):
    """The store did not answer, or answered with a server error: it may pass."""

    transient = True


class BlockNotFound(StoreError, LookupError):
    """The store does not have the block."""


class CorruptBlock(StoreError):
    """The bytes a store returned are not the block the CID names."""

    transient = False


def _check(cid: CID, data: bytes, where: str) -> bytes:
    if not cid.verify(data):
        raise CorruptBlock(f"{where}: the bytes of {cid} do not match its hash")
    return data


@runtime_checkable
class ContentStore(Protocol):
    """A content-addressed block store."""

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


class MemoryStore:
    """Blocks in a dict."""

    def __init__(self) -> None:
        self.blocks: dict[CID, bytes] = {}
        self.pins: set[CID] = set()

    async def put(self, data: bytes, *, codec: str = "raw") -> CID:
        cid = CID.of(data, codec)
        self.blocks[cid] = bytes(data)
        await anyio.lowlevel.checkpoint()
        return cid

    async def put_block(self, cid: CID, data: bytes) -> None:
        self.blocks[cid] = _check(cid, bytes(data), "put_block")
        await anyio.lowlevel.checkpoint()

    async def get(self, cid: CID) -> bytes:
        await anyio.lowlevel.checkpoint()
        try:
            data = self.blocks[cid]
        except KeyError:
            raise BlockNotFound(f"no block {cid} in memory") from None
        return _check(cid, data, "memory store")

    async def has(self, cid: CID) -> bool:
        await anyio.lowlevel.checkpoint()
        return cid in self.blocks

    async def pin(self, cid: CID) -> None:
        if not await self.has(cid):
            raise BlockNotFound(f"cannot pin {cid}: no such block")
        self.pins.add(cid)

    def __repr__(self) -> str:
        return f"<MemoryStore blocks={len(self.blocks)} pins={len(self.pins)}>"


class LocalStore:
    """A blockstore in ``root``: ``blocks/<last 2 chars>/<cid>``, ``pins/<cid>``."""

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
        await anyio.to_thread.run_sync(self._write, cid, _check(cid, bytes(data), "put_block"))

    async def get(self, cid: CID) -> bytes:
        try:
            data = await anyio.Path(self._path(cid)).read_bytes()
        except FileNotFoundError:
            raise BlockNotFound(f"no block {cid} in {self.root}") from None
        return _check(cid, data, f"local store {self.root}")

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


class KuboStore:
    """A Kubo node's RPC API (``http://127.0.0.1:5001`` by default).

    ``headers`` carry the auth a pinning service or a proxied node wants; they are never
    shown (nor is a password in the URL). ``transport`` is for tests (an ASGI app).
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:5001",
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._url = url.rstrip("/")
        self.endpoint = redact_url(self._url)
        self._client = httpx.AsyncClient(
            base_url=self._url + "/api/v0/",
            headers=dict(headers or {}),
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> KuboStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _post(
        self, command: str, params: Mapping[str, str], data: bytes | None = None
    ) -> httpx.Response:
        files = {"file": ("block", data, "application/octet-stream")} if data is not None else None
        try:
            response = await self._client.post(command, params=dict(params), files=files)
        except httpx.HTTPError as exc:
            raise StoreUnavailable(
                f"kubo {self.endpoint} {command}: {type(exc).__name__}"
            ) from None
        if response.status_code != 200:
            message = _kubo_message(response)
            if "not found" in message.lower() or "block was not found" in message.lower():
                raise BlockNotFound(f"kubo {self.endpoint} {command}: {message}")
            error = StoreUnavailable if response.status_code in (502, 503, 504) else StoreError
            raise error(f"kubo {self.endpoint} {command}: HTTP {response.status_code}: {message}")
        return response

    async def put(self, data: bytes, *, codec: str = "raw") -> CID:
        answer = await self._post(
            "block/put", {"cid-codec": codec, "mhtype": "sha2-256", "pin": "false"}, data
        )
        cid = CID.parse(answer.json()["Key"])
        if cid != CID.of(data, codec):
            raise CorruptBlock(f"kubo {self.endpoint} stored the block as {cid}, not its CID")
        return cid

    async def put_block(self, cid: CID, data: bytes) -> None:
        _check(cid, data, "put_block")
        stored = await self.put(data, codec=cid.codec_name)
        if stored.digest != cid.digest:
            raise CorruptBlock(f"kubo {self.endpoint} answered {stored} for {cid}")

    async def put_dag_json(self, record: Any) -> CID:
        """``dag/put``: the node encodes and stores a DAG-JSON document."""
        data = dag_json_encode(record)
        answer = await self._post(
            "dag/put", {"store-codec": "dag-json", "input-codec": "dag-json", "pin": "false"}, data
        )
        cid = CID.parse(answer.json()["Cid"]["/"])
        if cid != CID.of(data, "dag-json"):
            raise CorruptBlock(f"kubo {self.endpoint} made {cid} of a canonical record")
        return cid

    async def add(self, data: bytes, *, cid_version: int = 1, pin: bool = True) -> CID:
        """``add``: a UnixFS file (kubo chunks it); its root CID."""
        answer = await self._post(
            "add",
            {"cid-version": str(cid_version), "pin": str(pin).lower(), "raw-leaves": "true"}
            if cid_version == 1
            else {"cid-version": "0", "pin": str(pin).lower()},
            data,
        )
        return CID.parse(answer.json()["Hash"])

    async def get(self, cid: CID) -> bytes:
        answer = await self._post("block/get", {"arg": str(cid)})
        return _check(cid, answer.content, f"kubo {self.endpoint}")

    async def has(self, cid: CID) -> bool:
        try:  # offline: a block this node does not hold is not fetched from the network
            await self._post("block/stat", {"arg": str(cid), "offline": "true"})
        except BlockNotFound:
            return False
        return True

    async def pin(self, cid: CID) -> None:
        answer = await self._post("pin/add", {"arg": str(cid)})
        if str(cid) not in answer.json().get("Pins", []):
            raise StoreError(f"kubo {self.endpoint} did not confirm the pin of {cid}")

    def __repr__(self) -> str:
        return f"<KuboStore {self.endpoint}>"


def _kubo_message(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body.get("Message", body))[:200]
    except ValueError:
        return response.text[:200]


class GatewayReader:
    """Reads blocks through a trustless gateway (``/ipfs/<cid>?format=raw``), checking
    each against its CID; ``get_car`` fetches a whole DAG (``?format=car``)."""

    def __init__(
        self, url: str, *, timeout: float = 30.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._url = url.rstrip("/")
        self.endpoint = redact_url(self._url)
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> GatewayReader:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _fetch(self, cid: CID, fmt: str, accept: str) -> bytes:
        try:
            response = await self._client.get(
                f"{self._url}/ipfs/{cid}", params={"format": fmt}, headers={"Accept": accept}
            )
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"gateway {self.endpoint}: {type(exc).__name__}") from None
        if response.status_code == 404:
            raise BlockNotFound(f"gateway {self.endpoint} has no {cid}")
        if response.status_code != 200:
            raise StoreError(f"gateway {self.endpoint}: HTTP {response.status_code} for {cid}")
        return response.content

    async def get(self, cid: CID) -> bytes:
        data = await self._fetch(cid, "raw", "application/vnd.ipld.raw")
        return _check(cid, data, f"gateway {self.endpoint}")

    async def get_car(self, cid: CID) -> dict[CID, bytes]:
        """Every block of the DAG under ``cid``, each verified."""
        _, blocks = read_car(await self._fetch(cid, "car", "application/vnd.ipld.car"))
        if cid not in blocks:
            raise BlockNotFound(f"gateway {self.endpoint}: the CAR for {cid} lacks its root")
        return blocks

    async def has(self, cid: CID) -> bool:
        try:
            await self.get(cid)
        except BlockNotFound:
            return False
        return True

    def __repr__(self) -> str:
        return f"<GatewayReader {self.endpoint}>"


# -- records and archives ---------------------------------------------------------------


async def put_record(store: ContentStore, record: Any) -> CID:
    """Store ``record`` as canonical DAG-JSON; its CID."""
    return await store.put(dag_json_encode(record), codec="dag-json")


async def get_record(store: ContentStore | GatewayReader, cid: CID) -> Any:
    """A DAG-JSON (or DAG-CBOR) record, checked against ``cid``."""
    data = await store.get(cid)
    if cid.codec_name == "dag-cbor":
        return dag_cbor_decode(data)
    if cid.codec_name != "dag-json":
        raise StoreError(f"{cid} is {cid.codec_name}, not a DAG-JSON or DAG-CBOR record")
    return dag_json_decode(data)


def links_of(cid: CID, data: bytes) -> list[CID]:
    """The CIDs a block links to (DAG-JSON, DAG-CBOR and dag-pb; raw has none)."""
    if cid.codec_name == "dag-pb":
        return [link.cid for link in PBNode.decode(data).links]
    if cid.codec_name in ("dag-json", "dag-cbor"):
        value = dag_json_decode(data) if cid.codec_name == "dag-json" else dag_cbor_decode(data)
        found: list[CID] = []
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, CID):
                found.append(item)
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return found
    return []


async def export_car(store: ContentStore, root: CID, *, follow: bool = True) -> bytes:
    """A CAR v1 of ``root`` and, with ``follow``, every block it links to that the store
    holds (a record's link to a previous record in another store is left out)."""
    blocks: list[tuple[CID, bytes]] = []
    seen: set[CID] = set()
    stack = [root]
    while stack:
        cid = stack.pop()
        if cid in seen:
            continue
        seen.add(cid)
        if cid != root and not await store.has(cid):
            continue
        data = await store.get(cid)
        blocks.append((cid, data))
        if follow:
            stack.extend(reversed(links_of(cid, data)))
    return write_car([root], blocks)


async def import_car(store: ContentStore, archive: bytes) -> list[CID]:
    """Store every block of a CAR (each verified on the way in); its roots."""
    roots, blocks = read_car(archive)
    for cid, data in blocks.items():
        await store.put_block(cid, data)
    return roots
