"""A JSON-RPC proxy to serve on loopback in front of a node, to test what a process does
when its node misbehaves or when it is killed: fault injection from outside the process.

::

    proxy = RpcProxy(node_url)
    async with serve_asgi(proxy) as url:   # anyio_workflow.devnet.serve_asgi
        ...  # the process under test talks to url
        proxy.down = True                  # every request answered 503 until set back

``before`` and ``after`` are awaited with each request's calls (a batch's several) before
it is forwarded and after the node answered; when one returns ``True`` the request is
dropped (answered 502): what a test kills the process in.

The upstream is a URL, or a :class:`~anyio_workflow.rpc.transport.Transport` of the
serving process: a :class:`~anyio_workflow.testing.faults.ScheduledTransport` applies a
drawn fault schedule to a process outside (an injected HTTP status is answered as it is, a
timeout as 504, a lost answer or connection as 502: what a client meets through a real
gateway).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .._hash import keccak256
from ..errors import HttpStatusError, RequestTimeout, TransportError
from ..rpc.transport import Transport
from .asgi import read_body

__all__ = ["RpcProxy"]

Hook = Callable[[list[dict[str, Any]]], Awaitable[bool]]


class RpcProxy:
    """An ASGI app forwarding every POST to ``upstream`` (see the module's docstring).

    Cancellation: a request cancelled while forwarded is dropped with its connection; the
    node may or may not have received it (as with any real proxy).
    """

    def __init__(self, upstream: str | Transport) -> None:
        self.upstream = upstream
        self.before: Hook | None = None
        self.after: Hook | None = None
        self.down = False
        """While set, every request is answered HTTP 503 without reaching the node."""
        self.broadcasts: list[str] = []
        """The hash of every ``eth_sendRawTransaction`` forwarded, in order."""
        self.requests = 0
        self._client = httpx.AsyncClient(timeout=30)

    async def aclose(self) -> None:
        await self._client.aclose()
        if not isinstance(self.upstream, str):
            await self.upstream.aclose()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        self.requests += 1
        if self.down:
            return await _answer(send, 503, b"down")
        payload = json.loads(body)
        calls = payload if isinstance(payload, list) else [payload]
        if self.before is not None and await self.before(calls):
            return await _answer(send, 502, b"dropped")
        self.broadcasts += [
            "0x" + keccak256(bytes.fromhex(c["params"][0][2:])).hex()
            for c in calls
            if c.get("method") == "eth_sendRawTransaction"
        ]
        if isinstance(self.upstream, str):
            headers = {"content-type": "application/json"}
            answer = await self._client.post(self.upstream, content=body, headers=headers)
            status, content = answer.status_code, answer.content
        else:
            try:
                status, content = 200, json.dumps(await self.upstream.send(payload)).encode()
            except HttpStatusError as exc:
                status, content = exc.status, b"injected"
            except RequestTimeout:
                status, content = 504, b"timed out"
            except TransportError:
                status, content = 502, b"dropped"
        if self.after is not None and await self.after(calls):
            return await _answer(send, 502, b"dropped")
        await _answer(send, status, content)

    def __repr__(self) -> str:
        return f"<RpcProxy requests={self.requests} down={self.down}>"


async def _answer(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
