"""A stand-in Kubo node for tests: :class:`FakeKubo`, an ASGI app.

It implements, over a :class:`~anyio_workflow.storage.MemoryStore`, the part of the Kubo
RPC API that :class:`~anyio_workflow.storage.KuboStore` uses, as the Kubo RPC reference
describes it (every command is a POST to ``/api/v0/<command>``, arguments in the query
string, data as a ``multipart/form-data`` file; errors are HTTP 500 with ``{"Message",
"Code", "Type": "error"}``): ``block/put``, ``block/get``, ``block/stat``, ``dag/put``,
``add`` and ``pin/add``; and a trustless gateway's ``GET /ipfs/<cid>?format=raw|car``.

``required_headers`` makes it answer 401 without them (to test auth); ``corrupt`` names
CIDs whose bytes it returns altered (to test that clients check what they read). This is
not Kubo: it was written from the documentation, and a live Kubo was never run here.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from ..errors import RpcFault
from ..storage.car import write_car
from ..storage.cid import CID, InvalidCID
from ..storage.dag import DagError, dag_json_decode, dag_json_encode
from ..storage.stores import MemoryStore, links_of
from ..storage.unixfs import import_file
from .asgi import read_body

__all__ = ["FakeKubo"]

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _Error(message: str, status: int = 500) -> RpcFault:
    """An error answer of the fake node: HTTP ``status`` with Kubo's JSON error body."""
    return RpcFault(status, message)


def _multipart_file(body: bytes, content_type: str) -> bytes:
    """The first file part of a ``multipart/form-data`` body."""
    marker = "boundary="
    if marker not in content_type:
        raise _Error("expected multipart/form-data with a boundary", 400)
    boundary = content_type.split(marker, 1)[1].split(";")[0].strip().strip('"').encode()
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, rest = part.partition(b"\r\n\r\n")
        if b"filename=" in head or b'name="file"' in head or b"name=file" in head:
            return rest[:-2] if rest.endswith(b"\r\n") else rest
    raise _Error("file argument 'data' is required", 400)


class FakeKubo:
    """An ASGI app; use it with ``httpx.ASGITransport(app=FakeKubo())``.

    Cancellation: a request cancelled mid-call gets no answer; a block already stored
    stays stored.
    """

    def __init__(
        self,
        store: MemoryStore | None = None,
        *,
        required_headers: Mapping[str, str] | None = None,
        corrupt: set[CID] | None = None,
    ) -> None:
        self.store = store or MemoryStore()
        self.required_headers = {k.lower(): v for k, v in (required_headers or {}).items()}
        self.corrupt = corrupt if corrupt is not None else set()
        self.calls: list[str] = []
        """The commands it served, in order (``"block/put"``, ``"gateway"``, ...)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        path: str = scope["path"]
        try:
            for name, value in self.required_headers.items():
                if headers.get(name) != value:
                    raise _Error("unauthorized", 401)
            if path.startswith("/ipfs/") and scope["method"] == "GET":
                self.calls.append("gateway")
                status, content_type, payload = await self._gateway(path[6:], query)
            elif path.startswith("/api/v0/") and scope["method"] == "POST":
                command = path[len("/api/v0/") :]
                self.calls.append(command)
                status, content_type, payload = await self._rpc(command, query, body, headers)
            else:
                raise _Error(f"405 - {scope['method']} {path} is not served", 405)
        except RpcFault as exc:
            status, content_type = exc.code, "application/json"
            payload = json.dumps({"Message": exc.message, "Code": 0, "Type": "error"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", content_type.encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _read(self, cid: CID) -> bytes:
        if cid not in self.store.blocks:
            raise _Error(f"block was not found locally (offline): {cid}")
        data = self.store.blocks[cid]
        return data[:-1] + bytes([data[-1] ^ 1]) if cid in self.corrupt and data else data

    def _cid(self, query: Mapping[str, str]) -> CID:
        try:
            return CID.parse(query.get("arg", ""))
        except InvalidCID as exc:
            raise _Error(f"invalid path {query.get('arg', '')!r}: {exc}") from None

    async def _rpc(
        self, command: str, query: Mapping[str, str], body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, str, bytes]:
        def answer(value: Any) -> tuple[int, str, bytes]:
            return 200, "application/json", json.dumps(value).encode()

        if command == "block/put":
            data = _multipart_file(body, headers.get("content-type", ""))
            codec = query.get("cid-codec", "raw")
            if query.get("mhtype", "sha2-256") != "sha2-256":
                raise _Error("only sha2-256 here")
            cid = await self.store.put(data, codec=codec)
            return answer({"Key": str(cid), "Size": len(data)})
        if command == "block/get":
            return 200, "text/plain", await self._read(self._cid(query))
        if command == "block/stat":
            cid = self._cid(query)
            return answer({"Key": str(cid), "Size": len(await self._read(cid))})
        if command == "dag/put":
            data = _multipart_file(body, headers.get("content-type", ""))
            if query.get("input-codec", "dag-json") != "dag-json":
                raise _Error("this stand-in takes dag-json input only")
            try:
                canonical = dag_json_encode(dag_json_decode(data))
            except DagError as exc:
                raise _Error(f"failed to parse dag-json: {exc}") from None
            cid = await self.store.put(canonical, codec="dag-json")
            return answer({"Cid": {"/": str(cid)}})
        if command == "add":
            data = _multipart_file(body, headers.get("content-type", ""))
            version = int(query.get("cid-version", "0"))
            blocks: list[tuple[CID, bytes]] = []
            root = import_file(data, cid_version=version,
                               on_block=lambda b: blocks.append((b.cid, b.data)))  # fmt: skip
            for cid, block in blocks:
                await self.store.put_block(cid, block)
            if query.get("pin", "true") == "true":
                self.store.pins.add(root)
            return answer({"Name": "block", "Hash": str(root), "Size": str(len(data))})
        if command == "pin/add":
            cid = self._cid(query)
            await self._read(cid)
            self.store.pins.add(cid)
            return answer({"Pins": [str(cid)]})
        raise _Error(f"unknown command {command!r}", 404)

    async def _gateway(self, path: str, query: Mapping[str, str]) -> tuple[int, str, bytes]:
        try:
            cid = CID.parse(path.split("/")[0])
        except InvalidCID:
            raise _Error("invalid CID", 400) from None
        if cid not in self.store.blocks:
            raise _Error("not found", 404)
        if query.get("format") == "car":
            blocks = []
            stack, seen = [cid], set()
            while stack:
                current = stack.pop()
                if current in seen or current not in self.store.blocks:
                    continue
                seen.add(current)
                data = await self._read(current)
                blocks.append((current, data))
                stack.extend(links_of(current, self.store.blocks[current]))
            return 200, "application/vnd.ipld.car", write_car([cid], blocks)
        return 200, "application/vnd.ipld.raw", await self._read(cid)
