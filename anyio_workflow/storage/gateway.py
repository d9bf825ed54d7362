"""Reading through a trustless HTTP gateway (``?format=raw``): :class:`GatewayReader`."""

from __future__ import annotations

import httpx

from ..core.redact import redact_url
from ..errors import (
    BlockNotFound,
    StoreError,
    StoreUnavailable,
)
from .car import read_car
from .cid import CID
from .store import checked

__all__ = ["GatewayReader"]


class GatewayReader:
    """Reads blocks through a trustless gateway (``/ipfs/<cid>?format=raw``), checking
    each against its CID; ``get_car`` fetches a whole DAG (``?format=car``).

    Cancellation: it only reads; a cancelled request is abandoned.
    """

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
        return checked(cid, data, f"gateway {self.endpoint}")

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
