"""Loopback JSON-RPC endpoints that behave as some hosted providers do, in front of anvil."""

from __future__ import annotations

import json
from typing import Any, Literal

import httpx


async def read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _reply(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BatchPolicyProxy:
    """Forwards to ``upstream``, but refuses batches, answers them 413, or caps them."""

    def __init__(self, upstream: str, mode: Literal["refuse", "413", "cap"], cap: int = 3) -> None:
        self.upstream = upstream
        self.mode = mode
        self.cap = cap
        self.seen: list[int] = []  # the size of each payload received (1 for a single call)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        payload = json.loads(await read_body(receive))
        batch = isinstance(payload, list)
        self.seen.append(len(payload) if batch else 1)
        if batch and self.mode == "refuse":
            error = {"code": -32600, "message": "batch requests are not supported"}
            return await _reply(
                send, 200, json.dumps({"jsonrpc": "2.0", "id": None, "error": error}).encode()
            )
        if batch and self.mode == "413" and len(payload) > self.cap:
            return await _reply(send, 413, b"payload too large")
        if batch and self.mode == "cap":
            payload = payload[: self.cap]
        # A client per request (a shared one would outlive the server's event loop);
        # plain HTTP on loopback, so no TLS context to build.
        async with httpx.AsyncClient(verify=False) as client:
            answer = await client.post(self.upstream, json=payload)
        await _reply(send, answer.status_code, answer.content)
