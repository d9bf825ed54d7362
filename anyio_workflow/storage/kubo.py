"""A Kubo node's RPC API over httpx: :class:`KuboStore` (``block/put``, ``block/get``,
``block/stat``, ``dag/put``, ``add``, ``pin/add``). It has been tested against
:class:`anyio_workflow.testing.kubo.FakeKubo`, written from the Kubo RPC reference, not
against a live Kubo (none can be installed here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ..core.redact import redact_url
from ..errors import (
    BlockNotFound,
    CorruptBlock,
    StoreError,
    StoreUnavailable,
)
from .cid import CID
from .dag import dag_json_encode
from .store import checked

__all__ = ["KuboStore", "kubo_message"]


class KuboStore:
    """A Kubo node's RPC API (``http://127.0.0.1:5001`` by default).

    ``headers`` carry the auth a pinning service or a proxied node wants; they are never
    shown (nor is a password in the URL). ``transport`` is for tests (an ASGI app).

    Cancellation: a cancelled request is abandoned; the node may still store or pin what
    it had received.
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
            message = kubo_message(response)
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
        checked(cid, data, "put_block")
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
        return checked(cid, answer.content, f"kubo {self.endpoint}")

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


def kubo_message(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body.get("Message", body))[:200]
    except ValueError:
        return response.text[:200]
